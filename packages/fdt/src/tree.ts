// The in-memory tree: nodes with ordered properties and children (devicetree spec §2.2).
import { fail } from "./errors.js";

/** One `/memreserve/` entry (devicetree spec §5.3). */
export interface FdtReserveEntry {
  address: bigint;
  size: bigint;
}

const EMPTY = new Uint8Array(0);
// One decoder for every string read: constructing one per string cost more than the decoding.
const utf8 = new TextDecoder();

/** A property: its name and raw big-endian value bytes. */
export class FdtProperty {
  name: string;
  /** The name's offset in the strings block it was parsed from (used by `stringTable: "preserve"`). */
  nameoff: number | undefined;
  // The value is kept as (source, start, length) and turned into a view only when asked for:
  // creating tens of thousands of typed-array views dominated parse time on big blobs.
  private src: Uint8Array;
  private start: number;
  private len: number;
  private view: Uint8Array | null;

  constructor(name: string, value: Uint8Array = new Uint8Array(0), nameoff?: number) {
    this.name = name;
    this.nameoff = nameoff;
    this.src = value;
    this.start = 0;
    this.len = value.length;
    this.view = value;
  }

  /** A property whose value is `length` bytes of `source` at `start` (a lazy view; used by the parser). */
  static fromSource(name: string, source: Uint8Array, start: number, length: number, nameoff?: number): FdtProperty {
    const p = new FdtProperty(name, EMPTY, nameoff);
    p.src = source;
    p.start = start;
    p.len = length;
    p.view = null;
    return p;
  }

  /** The raw value. After `parseFdt` a view into the parsed bytes unless `copy` was asked. */
  get value(): Uint8Array {
    return (this.view ??= this.src.subarray(this.start, this.start + this.len));
  }

  set value(v: Uint8Array) {
    this.src = v;
    this.start = 0;
    this.len = v.length;
    this.view = v;
  }

  /** Length of the value in bytes. */
  get length(): number {
    return this.len;
  }

  /** The u32 cell at index `i` (FDT_ERR_BADVALUE when the value is too short). */
  u32(i = 0): number {
    return propU32(this, i);
  }

  /** Every u32 cell (FDT_ERR_BADVALUE when the length is not a multiple of 4). */
  u32s(): number[] {
    return propU32s(this);
  }

  /** The u64 made of cells 2i, 2i+1 (FDT_ERR_BADVALUE when too short). */
  u64(i = 0): bigint {
    return propCells(this, i * 2, 2);
  }

  /** The first NUL-terminated string (FDT_ERR_BADVALUE when unterminated). */
  string(): string {
    const l = propStrings(this);
    return l[0]!;
  }

  /** All NUL-terminated strings of a string list (FDT_ERR_BADVALUE when the last is unterminated). */
  strings(): string[] {
    return propStrings(this);
  }
}

/** A node: `name@unit-address`, properties in blob order, children in blob order. */
export class FdtNode {
  /** Full name including any unit address; "" for the root. */
  name: string;
  properties: FdtProperty[] = [];
  children: FdtNode[] = [];

  constructor(name: string) {
    this.name = name;
  }

  /** The name without the unit address. */
  get nodeName(): string {
    const at = this.name.indexOf("@");
    return at < 0 ? this.name : this.name.slice(0, at);
  }

  /** The unit address (text after '@'), or undefined. */
  get unitAddress(): string | undefined {
    const at = this.name.indexOf("@");
    return at < 0 ? undefined : this.name.slice(at + 1);
  }

  /** The property named `name`, or undefined. */
  property(name: string): FdtProperty | undefined {
    for (const p of this.properties) if (p.name === name) return p;
    return undefined;
  }

  /**
   * The child named `name`, matched like libfdt's `fdt_nodename_eq_`: an exact match, or, when
   * `name` has no '@', the first child whose name is `name@…`.
   */
  child(name: string): FdtNode | undefined {
    const loose = !name.includes("@");
    for (const c of this.children) {
      if (c.name === name) return c;
      if (loose && c.name.length > name.length && c.name.startsWith(name) && c.name[name.length] === "@") return c;
    }
    return undefined;
  }

  /**
   * Sets a property: replaces the value in place when it exists, else inserts it FIRST, as libfdt's
   * `fdt_setprop` does (it splices the new property right after FDT_BEGIN_NODE).
   */
  setProperty(name: string, value: Uint8Array): FdtProperty {
    const p = this.property(name);
    if (p) {
      p.value = value;
      return p;
    }
    const np = new FdtProperty(name, value);
    this.properties.unshift(np);
    return np;
  }

  /** Removes a property; FDT_ERR_NOTFOUND when absent. */
  deleteProperty(name: string): void {
    const i = this.properties.findIndex((p) => p.name === name);
    if (i < 0) fail("FDT_ERR_NOTFOUND", `no property ${name} in node ${this.name || "/"}`);
    this.properties.splice(i, 1);
  }

  /**
   * Adds an empty child. `position` "first" matches libfdt's `fdt_add_subnode` (before existing
   * children); "last" matches dtc's order for sources. FDT_ERR_EXISTS when the exact name exists.
   */
  addChild(name: string, position: "first" | "last" = "first"): FdtNode {
    if (this.children.some((c) => c.name === name)) fail("FDT_ERR_EXISTS", `node ${name} already exists`);
    const n = new FdtNode(name);
    if (position === "first") this.children.unshift(n);
    else this.children.push(n);
    return n;
  }
}

/** A device tree: the root node, the memory reservations and the header values that carry meaning. */
export class Fdt {
  root: FdtNode;
  memoryReservations: FdtReserveEntry[];
  /** Header `boot_cpuid_phys`. */
  bootCpuidPhys: number;
  /** The version the tree was read from (written blobs are always version 17). */
  version: number;
  /** The strings block it was parsed from, for `stringTable: "preserve"`. */
  strings: Uint8Array | undefined;

  constructor(root: FdtNode = new FdtNode(""), memoryReservations: FdtReserveEntry[] = [], bootCpuidPhys = 0) {
    this.root = root;
    this.memoryReservations = memoryReservations;
    this.bootCpuidPhys = bootCpuidPhys;
    this.version = 17;
    this.strings = undefined;
  }

  /** The node at an absolute path (`/cpus/PowerPC,POWER9@0`), or undefined. FDT_ERR_BADPATH for a relative path. */
  node(path: string): FdtNode | undefined {
    let n: FdtNode | undefined = this.root;
    for (const part of splitPath(path)) {
      n = n.child(part);
      if (!n) return undefined;
    }
    return n;
  }

  /** Like {@link Fdt.node} but FDT_ERR_NOTFOUND when absent. */
  requireNode(path: string): FdtNode {
    const n = this.node(path);
    if (!n) fail("FDT_ERR_NOTFOUND", `no node ${path}`);
    return n;
  }

  /** The value of property `name` of the node at `path`, or undefined (FDT_ERR_NOTFOUND for a missing node). */
  getProp(path: string, name: string): Uint8Array | undefined {
    return this.requireNode(path).property(name)?.value;
  }

  /** Full names of the children of the node at `path` (FDT_ERR_NOTFOUND for a missing node). */
  childNames(path: string): string[] {
    return this.requireNode(path).children.map((c) => c.name);
  }

  /** The node whose `phandle` (or `linux,phandle`) is `phandle`, or undefined. FDT_ERR_BADPHANDLE for 0 / 0xffffffff. */
  nodeByPhandle(phandle: number): FdtNode | undefined {
    if (phandle === 0 || phandle === 0xffffffff) fail("FDT_ERR_BADPHANDLE", `0x${phandle.toString(16)} is not a valid phandle`);
    const stack = [this.root];
    while (stack.length) {
      const n = stack.pop()!;
      if (nodePhandle(n) === phandle) return n;
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
    }
    return undefined;
  }
}

/** Splits an absolute path into components. FDT_ERR_BADPATH for a relative path or an empty component. */
export function splitPath(path: string): string[] {
  if (!path.startsWith("/")) fail("FDT_ERR_BADPATH", `path ${JSON.stringify(path)} is not absolute`);
  if (path === "/") return [];
  const parts = path.slice(1).replace(/\/$/, "").split("/");
  if (parts.some((p) => p === "")) fail("FDT_ERR_BADPATH", `path ${JSON.stringify(path)} has an empty component`);
  return parts;
}

/**
 * The node's phandle from `phandle`, else `linux,phandle` (libfdt `fdt_get_phandle`); undefined
 * when it has none. FDT_ERR_BADPHANDLE when the property is not 4 bytes.
 */
export function nodePhandle(node: FdtNode): number | undefined {
  const p = node.property("phandle") ?? node.property("linux,phandle");
  if (!p) return undefined;
  if (p.value.length !== 4) fail("FDT_ERR_BADPHANDLE", `${p.name} of ${node.name || "/"} is ${p.value.length} bytes, not 4`);
  return propU32(p, 0);
}

function view(p: FdtProperty): DataView {
  return new DataView(p.value.buffer, p.value.byteOffset, p.value.byteLength);
}

/** The u32 cell `i` of a property. FDT_ERR_BADVALUE when too short. */
export function propU32(p: FdtProperty, i = 0): number {
  if (p.value.length < (i + 1) * 4) fail("FDT_ERR_BADVALUE", `${p.name} has no cell ${i} (${p.value.length} bytes)`);
  return view(p).getUint32(i * 4);
}

/** All u32 cells. FDT_ERR_BADVALUE when the length is not a multiple of 4. */
export function propU32s(p: FdtProperty): number[] {
  if (p.value.length % 4) fail("FDT_ERR_BADVALUE", `${p.name} is ${p.value.length} bytes, not whole cells`);
  const v = view(p);
  const out: number[] = [];
  for (let o = 0; o < p.value.length; o += 4) out.push(v.getUint32(o));
  return out;
}

/** A number made of `count` cells starting at cell `first` (1..4 cells). FDT_ERR_BADVALUE when too short. */
export function propCells(p: FdtProperty, first: number, count: number): bigint {
  if (p.value.length < (first + count) * 4) {
    fail("FDT_ERR_BADVALUE", `${p.name} has no cells ${first}..${first + count - 1} (${p.value.length} bytes)`);
  }
  const v = view(p);
  let x = 0n;
  for (let i = 0; i < count; i++) x = (x << 32n) | BigInt(v.getUint32((first + i) * 4));
  return x;
}

/** The strings of a string list. FDT_ERR_BADVALUE when empty or the last is unterminated. */
export function propStrings(p: FdtProperty): string[] {
  const b = p.value;
  if (b.length === 0 || b[b.length - 1] !== 0) fail("FDT_ERR_BADVALUE", `${p.name} is not a NUL-terminated string list`);
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0) {
      out.push(utf8.decode(b.subarray(start, i)));
      start = i + 1;
    }
  }
  return out;
}

/** Encodes u32 cells as a big-endian property value. */
export function u32Value(...cells: number[]): Uint8Array {
  const out = new Uint8Array(cells.length * 4);
  const v = new DataView(out.buffer);
  cells.forEach((c, i) => v.setUint32(i * 4, c >>> 0));
  return out;
}

/** libfdt FDT_MAX_NCELLS: the most cells an address or size may take. */
const FDT_MAX_NCELLS = 4;

/** Throws FDT_ERR_BADNCELLS unless `cells` is a whole number of cells from 0 to FDT_MAX_NCELLS (4). */
export function checkCellCount(cells: number, what: string): void {
  if (!Number.isInteger(cells) || cells < 0 || cells > FDT_MAX_NCELLS) {
    fail("FDT_ERR_BADNCELLS", `${what} ${cells} is not a cell count from 0 to ${FDT_MAX_NCELLS}`);
  }
}

/**
 * Encodes a number as `cells` big-endian cells. FDT_ERR_BADVALUE when it does not fit,
 * FDT_ERR_BADNCELLS when `cells` is not 0..4.
 */
export function cellsValue(x: bigint, cells: number): Uint8Array {
  checkCellCount(cells, "cell count");
  if (x < 0n || x >> BigInt(32 * cells) !== 0n) fail("FDT_ERR_BADVALUE", `0x${x.toString(16)} does not fit in ${cells} cell(s)`);
  const out = new Uint8Array(cells * 4);
  const v = new DataView(out.buffer);
  for (let i = cells - 1; i >= 0; i--) {
    v.setUint32(i * 4, Number(x & 0xffffffffn));
    x >>= 32n;
  }
  return out;
}

/** Encodes strings as a NUL-separated string list (UTF-8). */
export function stringsValue(...strings: string[]): Uint8Array {
  return new TextEncoder().encode(strings.map((s) => `${s}\0`).join(""));
}
