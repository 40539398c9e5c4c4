// PowerPC kdump helpers (arch/powerpc/kexec/file_load_64.c, crash.c; drivers/of/kexec.c):
// FDT headroom for CPU hotplug, CPU nodes under /cpus, /chosen kdump properties, /memory nodes.
import type { EditableFdt } from "./blob.js";
import { fail } from "./errors.js";
import { cellsValue, checkCellCount } from "./tree.js";

/** What the helpers need to read a tree: both {@link Fdt} and {@link EditableFdt} provide it. */
export interface FdtReader {
  getProp(path: string, name: string): Uint8Array | undefined;
  childNames(path: string): string[];
}

/** An address range `{address, size}` as stored in `reg`-like properties. */
export interface AddressRange {
  address: bigint;
  size: bigint;
}

function u32At(v: Uint8Array, i: number): number {
  return ((v[i * 4]! << 24) | (v[i * 4 + 1]! << 16) | (v[i * 4 + 2]! << 8) | v[i * 4 + 3]!) >>> 0;
}

function isCpu(r: FdtReader, path: string): boolean {
  const t = r.getProp(path, "device_type");
  return t !== undefined && new TextDecoder().decode(t) === "cpu\0";
}

/** Paths of the `/cpus` children whose device_type is "cpu", in blob order. FDT_ERR_NOTFOUND without /cpus. */
export function cpuNodePaths(r: FdtReader): string[] {
  return r.childNames("/cpus").map((n) => `/cpus/${n}`).filter((p) => isCpu(r, p));
}

/**
 * The kernel's `cpu_node_size()` for a CPU node: strlen(node name without unit address) + 5 +
 * Σ (strlen(property name) + property length). It sizes one more CPU node in the kdump FDT.
 */
export function cpuNodeSize(r: FdtReader, path: string, properties: readonly string[]): number {
  const last = path.slice(path.lastIndexOf("/") + 1);
  const at = last.indexOf("@");
  let size = (at < 0 ? last : last.slice(0, at)).length + 5;
  for (const name of properties) size += name.length + (r.getProp(path, name)?.length ?? 0);
  return size;
}

/** Inputs of {@link kdumpFdtSize}, named after the kernel's variables. */
export interface KdumpFdtSizeInput {
  /** fdt_totalsize of the boot FDT. */
  fdtTotalsize: number;
  /** strlen of the capture kernel's command line. */
  cmdlineLength: number;
  /** cpu_node_size(). */
  cpuNodeSize: number;
  /** num_possible_cpus(). */
  possibleCpus: number;
  /** threads_per_core: one CPU node per core. */
  threadsPerCore: number;
  /** CPU nodes in the FDT now. */
  cpuNodes: number;
  /** CPU nodes at boot (CPUs added since boot are sized too). Default: cpuNodes. */
  bootCpuNodes?: number;
  /** rmem->nr_ranges: reserved ranges, one fdt_reserve_entry (16 bytes) each. Default 0. */
  reservedRanges?: number;
  /** memory_hotplug_max(), lmb size and crashkernel size for the usable-memory properties (kdump). */
  memoryHotplugMax?: bigint;
  lmbSize?: bigint;
  crashkSize?: bigint;
  /** PLPKS password length. Default 0. */
  plpksPasswordLength?: number;
  /** CONFIG_CRASH_HOTPLUG: size for every possible CPU's node. Default true. */
  crashHotplug?: boolean;
}

/** FDT_EXTRA_SPACE of drivers/of/kexec.c. */
export const FDT_EXTRA_SPACE = 0x1000;

/**
 * The size the kernel gives the kdump FDT (`of_kexec_alloc_and_setup_fdt` with
 * `kexec_extra_fdt_size_ppc64`): totalsize + cmdline + FDT_EXTRA_SPACE + extra, where extra covers
 * CPUs added since boot, reserved ranges, usable-memory properties and, with CRASH_HOTPLUG, one
 * node per possible core not yet in the tree. See reference §1.5 powerpc.
 */
export function kdumpFdtSize(i: KdumpFdtSizeInput): number {
  let extra = i.plpksPasswordLength ?? 0;
  const boot = i.bootCpuNodes ?? i.cpuNodes;
  if (i.cpuNodes > boot) extra += (i.cpuNodes - boot) * i.cpuNodeSize;
  extra += 16 * (i.reservedRanges ?? 0);
  if (i.lmbSize && i.lmbSize > 0n) {
    const n = (i.memoryHotplugMax ?? 0n) / i.lmbSize + (2n * (i.crashkSize ?? 0n)) / i.lmbSize;
    extra += 8 * Number(n);
  }
  if (i.crashHotplug ?? true) {
    const cores = Math.floor(i.possibleCpus / Math.max(1, i.threadsPerCore));
    if (cores > i.cpuNodes) extra += (cores - i.cpuNodes) * i.cpuNodeSize;
  }
  return i.fdtTotalsize + i.cmdlineLength + FDT_EXTRA_SPACE + extra;
}

/** A CPU node to copy: its property names and values, and the SMT thread count. */
export interface CpuTemplate {
  /** Node name without unit address, e.g. "PowerPC,POWER9". */
  baseName: string;
  properties: [string, Uint8Array][];
  /** Cells in ibm,ppc-interrupt-server#s (threads per core), at least 1. */
  threads: number;
  /** Highest `reg` among the existing CPU nodes. */
  maxReg: number;
}

/** Reads the last CPU node under /cpus as a template. FDT_ERR_NOTFOUND when there is none. */
export function cpuTemplate(blob: EditableFdt): CpuTemplate {
  const paths = cpuNodePaths(blob);
  if (paths.length === 0) fail("FDT_ERR_NOTFOUND", "no CPU node (device_type \"cpu\") under /cpus");
  let maxReg = 0;
  for (const p of paths) {
    const reg = blob.getProp(p, "reg");
    if (reg && reg.length >= 4) maxReg = Math.max(maxReg, u32At(reg, 0));
  }
  const path = paths[paths.length - 1]!;
  const props = blob.propNames(path).map((n): [string, Uint8Array] => [n, blob.getProp(path, n)!]);
  const servers = props.find(([n]) => n === "ibm,ppc-interrupt-server#s")?.[1];
  const last = path.slice(path.lastIndexOf("/") + 1);
  const at = last.indexOf("@");
  return {
    baseName: at < 0 ? last : last.slice(0, at),
    properties: props,
    threads: servers && servers.length >= 4 ? servers.length >> 2 : 1,
    maxReg,
  };
}

/** The properties of a new CPU node with id `id`: reg, interrupt server numbers updated. */
export function cpuNodeProperties(t: CpuTemplate, id: number): [string, Uint8Array][] {
  return t.properties.map(([name, value]): [string, Uint8Array] => {
    if (name === "reg" && value.length >= 4) {
      const v = value.slice();
      new DataView(v.buffer).setUint32(0, id);
      return [name, v];
    }
    if (name === "ibm,ppc-interrupt-server#s") {
      const v = new Uint8Array(value.length);
      const dv = new DataView(v.buffer);
      for (let k = 0; k * 4 + 4 <= v.length; k++) dv.setUint32(k * 4, id + k);
      return [name, v];
    }
    if (name === "ibm,ppc-interrupt-gserver#s") {
      // Pairs of (server, group): the server numbers follow the new CPU's threads.
      const v = value.slice();
      const dv = new DataView(v.buffer);
      for (let k = 0; k * 8 + 8 <= v.length; k++) dv.setUint32(k * 8, id + k);
      return [name, v];
    }
    return [name, value];
  });
}

/**
 * Adds a CPU node under /cpus modelled on `template` with `reg` = id (default: the next core
 * after the highest existing reg), `name@<id in hex>`, after the existing children, in one
 * splice. Returns the new node's path. FDT_ERR_NOSPACE (blob unchanged) when it does not fit;
 * FDT_ERR_EXISTS when that CPU exists; FDT_ERR_BADVALUE when the id, or the server number of its
 * last thread, is not a u32 (the cells would silently wrap).
 */
export function addCpuNode(blob: EditableFdt, template: CpuTemplate, id?: number): { path: string; id: number } {
  const cpuId = id ?? template.maxReg + template.threads;
  if (!Number.isInteger(cpuId) || cpuId < 0 || cpuId + Math.max(1, template.threads) - 1 > 0xffffffff) {
    fail("FDT_ERR_BADVALUE", `CPU id ${cpuId} with ${template.threads} thread(s) does not fit in u32 cells`);
  }
  const name = `${template.baseName}@${cpuId.toString(16)}`;
  blob.addNode("/cpus", name, cpuNodeProperties(template, cpuId), "last");
  if (cpuId > template.maxReg) template.maxReg = cpuId;
  return { path: `/cpus/${name}`, id: cpuId };
}

/** Removes the CPU node whose reg is `id`. FDT_ERR_NOTFOUND when there is none. */
export function removeCpuNode(blob: EditableFdt, id: number): void {
  for (const p of cpuNodePaths(blob)) {
    const reg = blob.getProp(p, "reg");
    if (reg && reg.length >= 4 && u32At(reg, 0) === id) {
      blob.delNode(p);
      return;
    }
  }
  fail("FDT_ERR_NOTFOUND", `no CPU node with reg 0x${id.toString(16)}`);
}

/**
 * The root's #address-cells and #size-cells (defaults 2 and 1, libfdt fdt_address_cells /
 * fdt_size_cells). FDT_ERR_BADNCELLS for a wrong length, 0 address cells, or more than 4.
 */
export function rootCells(r: FdtReader, path = "/"): { addressCells: number; sizeCells: number } {
  const read = (name: string, dflt: number): number => {
    const v = r.getProp(path, name);
    if (!v) return dflt;
    if (v.length !== 4) fail("FDT_ERR_BADNCELLS", `${name} is ${v.length} bytes, not 4`);
    const n = u32At(v, 0);
    if (n > 4) fail("FDT_ERR_BADNCELLS", `${name} is ${n}, more than 4`);
    return n;
  };
  const addressCells = read("#address-cells", 2);
  if (addressCells === 0) fail("FDT_ERR_BADNCELLS", "#address-cells is 0");
  return { addressCells, sizeCells: read("#size-cells", 1) };
}

/**
 * Decodes a property of (address, size) pairs with the given cell counts. FDT_ERR_BADVALUE on a
 * partial pair; FDT_ERR_BADNCELLS when a count is not 0..4 or both are 0.
 */
export function decodeRanges(value: Uint8Array, addressCells: number, sizeCells: number): AddressRange[] {
  checkCellCount(addressCells, "#address-cells");
  checkCellCount(sizeCells, "#size-cells");
  if (addressCells + sizeCells === 0) fail("FDT_ERR_BADNCELLS", "#address-cells and #size-cells are both 0");
  const step = (addressCells + sizeCells) * 4;
  if (value.length % step) fail("FDT_ERR_BADVALUE", `${value.length} bytes are not whole (${addressCells}+${sizeCells})-cell ranges`);
  const out: AddressRange[] = [];
  const num = (o: number, cells: number) => {
    let x = 0n;
    for (let k = 0; k < cells; k++) x = (x << 32n) | BigInt(u32At(value, o + k));
    return x;
  };
  for (let c = 0; c < value.length / 4; c += addressCells + sizeCells) {
    out.push({ address: num(c, addressCells), size: num(c + addressCells, sizeCells) });
  }
  return out;
}

/** Encodes ranges with the given cell counts. FDT_ERR_BADVALUE when a number does not fit, FDT_ERR_BADNCELLS for a count not 0..4. */
export function encodeRanges(ranges: readonly AddressRange[], addressCells: number, sizeCells: number): Uint8Array {
  checkCellCount(addressCells, "#address-cells");
  checkCellCount(sizeCells, "#size-cells");
  const parts = ranges.flatMap((r) => [cellsValue(r.address, addressCells), cellsValue(r.size, sizeCells)]);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The kdump properties of /chosen (drivers/of/kexec.c), decoded with the root's cells. */
export interface KdumpChosen {
  elfcorehdr: AddressRange | undefined;
  usableMemoryRange: AddressRange[];
}

/** Reads /chosen `linux,elfcorehdr` and `linux,usable-memory-range`. FDT_ERR_NOTFOUND without /chosen. */
export function readKdumpChosen(r: FdtReader): KdumpChosen {
  const { addressCells, sizeCells } = rootCells(r);
  const e = r.getProp("/chosen", "linux,elfcorehdr");
  const u = r.getProp("/chosen", "linux,usable-memory-range");
  return {
    elfcorehdr: e ? decodeRanges(e, addressCells, sizeCells)[0] : undefined,
    usableMemoryRange: u ? decodeRanges(u, addressCells, sizeCells) : [],
  };
}

/** Sets /chosen `linux,elfcorehdr` = (address, size) with the root's cells, in place. */
export function setElfcorehdr(blob: EditableFdt, range: AddressRange): void {
  const { addressCells, sizeCells } = rootCells(blob);
  blob.setProp("/chosen", "linux,elfcorehdr", encodeRanges([range], addressCells, sizeCells));
}

/** Sets /chosen `linux,usable-memory-range` with the root's cells, in place. */
export function setUsableMemoryRange(blob: EditableFdt, ranges: readonly AddressRange[]): void {
  const { addressCells, sizeCells } = rootCells(blob);
  blob.setProp("/chosen", "linux,usable-memory-range", encodeRanges(ranges, addressCells, sizeCells));
}

/** The `reg` ranges of every root child with device_type "memory", with the root's cells. */
export function memoryRanges(r: FdtReader): { path: string; ranges: AddressRange[] }[] {
  const { addressCells, sizeCells } = rootCells(r);
  const out: { path: string; ranges: AddressRange[] }[] = [];
  for (const n of r.childNames("/")) {
    const path = `/${n}`;
    const t = r.getProp(path, "device_type");
    if (!t || new TextDecoder().decode(t) !== "memory\0") continue;
    const reg = r.getProp(path, "reg");
    out.push({ path, ranges: reg ? decodeRanges(reg, addressCells, sizeCells) : [] });
  }
  return out;
}
