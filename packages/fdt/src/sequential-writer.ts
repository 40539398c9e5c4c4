// Building a blob from scratch in document order, like libfdt's fdt_sw.c (fdt_create,
// fdt_add_reservemap_entry, fdt_begin_node, fdt_property, fdt_end_node, fdt_finish), with the
// block layout dtc writes (flattree.c): header, rsvmap at 40, structure, then strings.
import { fail } from "./errors.js";
import {
  FDT_LAST_COMPATIBLE_VERSION,
  FDT_LAST_SUPPORTED_VERSION,
  FDT_MAGIC,
  FDT_RESERVE_ENTRY_SIZE,
  FDT_V17_HEADER_SIZE,
  writeHeader,
} from "./header.js";
import { FDT_TOKEN, latin1, latin1Bytes, tagAlign } from "./structure.js";

/** Options for {@link SequentialWriter}. */
export interface SequentialWriterOptions {
  /**
   * Start the strings block with these bytes (a parsed blob's strings block), so names found
   * there keep their offsets; new names are appended. Default: an empty table.
   */
  initialStrings?: Uint8Array;
  /** Reuse an existing string (or any suffix of one) for a repeated name, as dtc and libfdt do. Default true. */
  dedup?: boolean;
}

/**
 * A blob writer driven in document order. Strings are added in first-use order and a name is
 * satisfied by any suffix match in the table (dtc `stringtable_insert`), which makes the output
 * byte-identical to dtc's for the same tree.
 * Errors: FDT_ERR_BADSTATE when calls come out of order.
 */
export class SequentialWriter {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  private len = 0;
  private readonly reservations: [bigint, bigint][] = [];
  private table: string;
  private readonly cache = new Map<string, number>();
  private readonly dedup: boolean;
  private depth = 0;
  private started = false;
  private finished = false;

  constructor(options: SequentialWriterOptions = {}) {
    this.table = options.initialStrings ? latin1(options.initialStrings, 0, options.initialStrings.length) : "";
    this.dedup = options.dedup ?? true;
  }

  /** Adds a memory reservation entry; only before the first node (FDT_ERR_BADSTATE otherwise). */
  addReservation(address: bigint, size: bigint): this {
    if (this.started || this.finished) fail("FDT_ERR_BADSTATE", "memory reservations must come before the first node");
    this.reservations.push([BigInt.asUintN(64, address), BigInt.asUintN(64, size)]);
    return this;
  }

  /** Opens a node; the first one is the root and must be named "". */
  beginNode(name: string): this {
    if (this.finished || (this.started && this.depth === 0)) fail("FDT_ERR_BADSTATE", "only one root node");
    if (!this.started && name !== "") fail("FDT_ERR_BADSTATE", "the root node's name must be empty");
    this.started = true;
    this.depth++;
    const nb = latin1Bytes(name);
    this.reserve(4 + tagAlign(nb.length + 1));
    this.view.setUint32(this.len, FDT_TOKEN.BEGIN_NODE);
    this.buf.set(nb, this.len + 4);
    this.buf.fill(0, this.len + 4 + nb.length, this.len + 4 + tagAlign(nb.length + 1));
    this.len += 4 + tagAlign(nb.length + 1);
    return this;
  }

  /** Adds a property to the open node. `nameoff` proposes a string-table offset to reuse when it holds `name`. */
  property(name: string, value: Uint8Array, nameoff?: number): this {
    if (this.depth === 0) fail("FDT_ERR_BADSTATE", `property ${name} outside any node`);
    const off = this.stringOffset(name, nameoff);
    const padded = tagAlign(value.length);
    this.reserve(12 + padded);
    const o = this.len;
    this.view.setUint32(o, FDT_TOKEN.PROP);
    this.view.setUint32(o + 4, value.length);
    this.view.setUint32(o + 8, off);
    this.buf.set(value, o + 12);
    this.buf.fill(0, o + 12 + value.length, o + 12 + padded);
    this.len += 12 + padded;
    return this;
  }

  /** Closes the open node. */
  endNode(): this {
    if (this.depth === 0) fail("FDT_ERR_BADSTATE", "endNode without an open node");
    this.depth--;
    this.reserve(4);
    this.view.setUint32(this.len, FDT_TOKEN.END_NODE);
    this.len += 4;
    return this;
  }

  /**
   * Ends the tree and returns the blob (version 17, last_comp_version 16). `extraSpace` bytes of
   * zeroed free space are added after the strings block and counted in totalsize.
   * FDT_ERR_BADSTATE when no root was written or nodes are still open.
   */
  finish(options: { bootCpuidPhys?: number; extraSpace?: number } = {}): Uint8Array {
    if (!this.started || this.depth !== 0 || this.finished) fail("FDT_ERR_BADSTATE", "finish needs exactly one closed root node");
    this.finished = true;
    this.reserve(4);
    this.view.setUint32(this.len, FDT_TOKEN.END);
    this.len += 4;
    const rsvStart = FDT_V17_HEADER_SIZE;
    const structStart = rsvStart + (this.reservations.length + 1) * FDT_RESERVE_ENTRY_SIZE;
    const stringsStart = structStart + this.len;
    const stringsSize = this.table.length;
    const total = stringsStart + stringsSize + (options.extraSpace ?? 0);
    const out = new Uint8Array(total);
    const v = new DataView(out.buffer);
    let o = rsvStart;
    for (const [a, s] of this.reservations) {
      v.setBigUint64(o, a);
      v.setBigUint64(o + 8, s);
      o += FDT_RESERVE_ENTRY_SIZE;
    }
    out.set(this.buf.subarray(0, this.len), structStart);
    for (let i = 0; i < stringsSize; i++) out[stringsStart + i] = this.table.charCodeAt(i);
    writeHeader(out, {
      magic: FDT_MAGIC,
      totalsize: total,
      off_dt_struct: structStart,
      off_dt_strings: stringsStart,
      off_mem_rsvmap: rsvStart,
      version: FDT_LAST_SUPPORTED_VERSION,
      last_comp_version: FDT_LAST_COMPATIBLE_VERSION,
      boot_cpuid_phys: options.bootCpuidPhys ?? 0,
      size_dt_strings: stringsSize,
      size_dt_struct: this.len,
    });
    return out;
  }

  private stringOffset(name: string, proposed: number | undefined): number {
    if (proposed !== undefined && proposed + name.length < this.table.length && this.table.charCodeAt(proposed + name.length) === 0 &&
      this.table.startsWith(name, proposed)) {
      return proposed;
    }
    if (this.dedup) {
      const hit = this.cache.get(name);
      if (hit !== undefined) return hit;
      // Any position where the name is followed by NUL will do, even inside a longer string.
      const found = this.table.indexOf(`${name}\0`);
      if (found >= 0) {
        this.cache.set(name, found);
        return found;
      }
    }
    const at = this.table.length;
    this.table += `${name}\0`;
    if (this.dedup) this.cache.set(name, at);
    return at;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
    this.view = new DataView(nb.buffer);
  }
}
