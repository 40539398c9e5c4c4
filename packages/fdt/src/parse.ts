// Blob → tree (devicetree spec §5). One pass over the structure block with the same checks as
// fdt_check_full, so a parsed tree is always one libfdt would accept.
import { checkOverlap } from "./check.js";
import { fail } from "./errors.js";
import { FDT_RESERVE_ENTRY_SIZE } from "./header.js";
import { checkHeader, nextTagOffset } from "./layout.js";
import { FDT_TOKEN, findNul, latin1 } from "./structure.js";
import { Fdt, FdtNode, FdtProperty, type FdtReserveEntry } from "./tree.js";

/** Options for {@link parseFdt}. Limits protect against hostile input. */
export interface ParseOptions {
  /** Copy property values instead of keeping views into the input. Default false. */
  copy?: boolean;
  /** Deepest node nesting accepted (root is 1); deeper is FDT_ERR_LIMIT. Default 1024. */
  maxDepth?: number;
}

/**
 * Parses a DTB (versions 2–17) into a {@link Fdt}. Names are decoded as Latin-1 so that any
 * byte round-trips. Throws {@link FdtError}: FDT_ERR_TRUNCATED, BADMAGIC, BADVERSION, ALIGNMENT,
 * BADSTRUCTURE, BADOFFSET, BADLAYOUT, LIMIT.
 */
export function parseFdt(bytes: Uint8Array, options: ParseOptions = {}): Fdt {
  const l = checkHeader(bytes);
  checkOverlap(l);
  const maxDepth = options.maxDepth ?? 1024;
  const copy = options.copy ?? false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);

  const reservations: FdtReserveEntry[] = [];
  for (let i = 0, o = l.rsvmapStart; i < l.reservationCount; i++, o += FDT_RESERVE_ENTRY_SIZE) {
    reservations.push({ address: view.getBigUint64(o), size: view.getBigUint64(o + 8) });
  }

  const { structStart: start, structEnd: end, stringsStart, stringsEnd } = l;
  const version = l.header.version;
  const stringsSize = stringsEnd - stringsStart;
  const names = new Map<number, string>();
  const stack: FdtNode[] = [];
  let root: FdtNode | undefined;
  let current: FdtNode | undefined;
  let off = start;
  for (;;) {
    const next = nextTagOffset(bytes, view, off, start, end, version);
    const tag = view.getUint32(off);
    if (root && !current && tag !== FDT_TOKEN.END) fail("FDT_ERR_BADSTRUCTURE", "a token follows the root node's FDT_END_NODE", off);
    if (tag === FDT_TOKEN.PROP) {
      if (!current) fail("FDT_ERR_BADSTRUCTURE", "a property outside any node", off);
      const len = view.getUint32(off + 4);
      const nameoff = view.getUint32(off + 8);
      let name = names.get(nameoff);
      if (name === undefined) {
        if (nameoff >= stringsSize) fail("FDT_ERR_BADOFFSET", `property name offset ${nameoff} is outside the strings block`, off + 8);
        const s = stringsStart + nameoff;
        name = latin1(bytes, s, findNul(bytes, s, stringsEnd, "a property name"));
        names.set(nameoff, name);
      }
      // Pre-v16 blobs align values of 8 bytes or more to 8 (libfdt fdt_next_tag).
      const vs = version < 16 ? alignedValueStart(off, len, start) : off + 12;
      current.properties.push(
        copy ? new FdtProperty(name, bytes.slice(vs, vs + len), nameoff) : FdtProperty.fromSource(name, bytes, vs, len, nameoff),
      );
    } else if (tag === FDT_TOKEN.BEGIN_NODE) {
      const ne = bytes.indexOf(0, off + 4);
      let name = ne === off + 4 ? "" : latin1(bytes, off + 4, ne);
      // Before version 16 a node's name is its full path (libfdt fdt_get_name): keep the last part.
      if (version < 16 && name.startsWith("/")) name = name.slice(name.lastIndexOf("/") + 1);
      const node = new FdtNode(name);
      if (current) {
        current.children.push(node);
        stack.push(current);
        if (stack.length >= maxDepth) fail("FDT_ERR_LIMIT", `nodes nest deeper than maxDepth ${maxDepth}`, off);
      } else {
        if (root) fail("FDT_ERR_BADSTRUCTURE", "a second root node", off);
        if (node.name !== "" || (version >= 16 && ne !== off + 4)) fail("FDT_ERR_BADSTRUCTURE", "the root node's name is not empty", off);
        root = node;
      }
      current = node;
    } else if (tag === FDT_TOKEN.END_NODE) {
      if (!current) fail("FDT_ERR_BADSTRUCTURE", "FDT_END_NODE without an open node", off);
      current = stack.pop();
    } else if (tag === FDT_TOKEN.END) {
      if (current || !root) fail("FDT_ERR_BADSTRUCTURE", current ? "FDT_END with nodes still open" : "no root node", off);
      break;
    }
    off = next;
  }
  const fdt = new Fdt(root, reservations, l.header.boot_cpuid_phys);
  fdt.version = version;
  fdt.strings = bytes.slice(stringsStart, stringsEnd);
  return fdt;
}

function alignedValueStart(off: number, len: number, start: number): number {
  const vs = off + 12;
  return len >= 8 && (vs - start) % 8 !== 0 ? vs + 4 : vs;
}
