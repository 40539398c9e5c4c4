// `kdumpkit fdt info FILE`: the header fields as fdtdump prints them (and pylibfdt's Fdt accessors
// return them), the memory reservations, node and property counts, and the free space an in-place
// edit can use. Loaded only by the fdt command's handler.
import { checkFdt, parseFdt, type FdtHeader, type FdtNode } from "@kdumpkit/fdt";
import { type Hex, hex, SCHEMA_VERSION } from "../../json.js";

/** `kdumpkit fdt info --json`. Header fields keep their spec names (devicetree spec §5.2); all are u32 numbers. */
export interface FdtInfoReport extends FdtHeader {
  schemaVersion: number;
  command: "fdt info";
  file: string;
  /** Memory reservation entries before the terminator (64-bit address and size). */
  memreserves: { address: Hex; size: Hex }[];
  /** Nodes, the root included (as libfdt's fdt_next_node visits them). */
  nodes: number;
  properties: number;
  /** Bytes between the end of the last block and totalsize: the headroom for in-place edits (libfdt's layout). */
  freeSpace: number;
}

/**
 * Builds the `fdt info` report after checking the blob like fdt_check_full.
 * @throws FdtError with the libfdt-style code (FDT_ERR_BADMAGIC, FDT_ERR_TRUNCATED…) for an invalid blob.
 */
export function fdtInfo(file: string, bytes: Uint8Array): FdtInfoReport {
  const l = checkFdt(bytes);
  const tree = parseFdt(bytes);
  let nodes = 0;
  let properties = 0;
  const walk = (n: FdtNode) => {
    nodes++;
    properties += n.properties.length;
    for (const c of n.children) walk(c);
  };
  walk(tree.root);
  const h = l.header;
  // The blocks may come in any order (version 16 blobs, hand-made ones): the free space is after the last.
  const used = Math.max(l.headerSize, l.rsvmapEnd, l.structEnd, l.stringsEnd);
  return {
    schemaVersion: SCHEMA_VERSION,
    command: "fdt info",
    file,
    magic: h.magic,
    totalsize: h.totalsize,
    off_dt_struct: h.off_dt_struct,
    off_dt_strings: h.off_dt_strings,
    off_mem_rsvmap: h.off_mem_rsvmap,
    version: h.version,
    last_comp_version: h.last_comp_version,
    boot_cpuid_phys: h.boot_cpuid_phys,
    size_dt_strings: h.size_dt_strings,
    size_dt_struct: h.size_dt_struct,
    memreserves: tree.memoryReservations.map((r) => ({ address: hex(r.address), size: hex(r.size) })),
    nodes,
    properties,
    freeSpace: h.totalsize - used,
  };
}

/** The human form: fdtdump's header lines (`// name:\t\tvalue`), then the rest. */
export function renderFdtInfo(r: FdtInfoReport): string {
  const x = (n: number) => `0x${n.toString(16)}`;
  const lines: [string, string][] = [
    ["magic", x(r.magic)],
    ["totalsize", `${x(r.totalsize)} (${r.totalsize})`],
    ["off_dt_struct", x(r.off_dt_struct)],
    ["off_dt_strings", x(r.off_dt_strings)],
    ["off_mem_rsvmap", x(r.off_mem_rsvmap)],
    ["version", `${r.version}`],
    ["last_comp_version", `${r.last_comp_version}`],
    ["boot_cpuid_phys", x(r.boot_cpuid_phys)],
    ["size_dt_strings", x(r.size_dt_strings)],
    ["size_dt_struct", x(r.size_dt_struct)],
    ["memreserves", `${r.memreserves.length}${r.memreserves.map((m) => `\n    ${m.address} size ${m.size}`).join("")}`],
    ["nodes", `${r.nodes}`],
    ["properties", `${r.properties}`],
    ["free space", `${r.freeSpace} bytes (headroom for in-place edits)`],
  ];
  return lines.map(([k, v]) => `${`${k}:`.padEnd(20)}${v}`).join("\n") + "\n";
}
