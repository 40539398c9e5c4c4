// An editable blob with free space, edited in place like libfdt's fdt_rw.c: every edit goes
// through one splice primitive that checks the free space before touching a byte, so an edit
// that does not fit throws FDT_ERR_NOSPACE and leaves the blob byte-identical.
import { checkFdt } from "./check.js";
import { fail } from "./errors.js";
import { FDT_RESERVE_ENTRY_SIZE, FDT_V17_HEADER_SIZE } from "./header.js";
import { nextTagOffset } from "./layout.js";
import { parseFdt } from "./parse.js";
import { FDT_TOKEN, latin1, latin1Bytes, tagAlign } from "./structure.js";
import { type Fdt, splitPath } from "./tree.js";

/** A node: its absolute path, or its structure offset (relative to off_dt_struct, as in libfdt). */
export type NodeRef = string | number;

/** A property to write with {@link EditableFdt.addNode}: name and raw value. */
export type PropertyInit = readonly [name: string, value: Uint8Array];

/** Where a new child goes among its siblings. */
export type ChildPosition = "first" | "last";

const H_TOTALSIZE = 4;
const H_OFF_STRUCT = 8;
const H_OFF_STRINGS = 12;
const H_OFF_RSVMAP = 16;
const H_VERSION = 20;
const H_SIZE_STRINGS = 32;
const H_SIZE_STRUCT = 36;

type Block = "rsvmap" | "struct" | "strings";

/**
 * A version-17 blob that can be edited in place within its totalsize (libfdt's read-write
 * model). Offsets of nodes change with edits, as in libfdt; paths do not.
 * Errors (all {@link FdtError}): FDT_ERR_NOSPACE, NOTFOUND, EXISTS, BADPATH, BADVERSION,
 * BADLAYOUT, BADVALUE, and the parse errors of {@link checkFdt} when opening.
 */
export class EditableFdt {
  private buf: Uint8Array;
  private view: DataView;
  // Node index in document order: structure offset and depth (root 0) of every BEGIN_NODE.
  // Built on first use, kept right by splice(), so path lookups skip properties entirely.
  private idxOff: number[] | null = null;
  private idxDepth: number[] = [];
  private strTable: string | null = null;
  private readonly strCache = new Map<string, number>();

  private constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /**
   * Copies a blob into a new buffer of `size` bytes, like `fdt_open_into`: blocks already in
   * order are copied as they are (totalsize becomes `size`); otherwise they are repacked at
   * 40 / rsvmap end / structure end. The free space is zeroed (libfdt leaves it as it was).
   * FDT_ERR_NOSPACE when the blob does not fit; FDT_ERR_BADVERSION for versions below 16.
   */
  static openInto(bytes: Uint8Array, size: number): EditableFdt {
    const l = checkFdt(bytes);
    const h = l.header;
    if (h.version < 16) fail("FDT_ERR_BADVERSION", `version ${h.version} blobs cannot be opened for editing`, 20);
    if (!Number.isSafeInteger(size) || size < 0 || size > 0x7fffffff) fail("FDT_ERR_BADVALUE", `buffer size ${size} is impossible`);
    const rsvSize = l.rsvmapEnd - l.rsvmapStart;
    const structSize = l.structEnd - l.structStart;
    const stringsSize = l.stringsEnd - l.stringsStart;
    let out: Uint8Array;
    if (!misordered(h.off_mem_rsvmap, h.off_dt_struct, h.off_dt_strings, h.totalsize, rsvSize, structSize, stringsSize)) {
      if (h.totalsize > size) fail("FDT_ERR_NOSPACE", `the blob needs ${h.totalsize} bytes, the buffer has ${size}`);
      out = new Uint8Array(size);
      out.set(bytes.subarray(0, h.totalsize));
    } else {
      const need = FDT_V17_HEADER_SIZE + rsvSize + structSize + stringsSize;
      if (need > size) fail("FDT_ERR_NOSPACE", `the repacked blob needs ${need} bytes, the buffer has ${size}`);
      out = new Uint8Array(size);
      out.set(bytes.subarray(0, FDT_V17_HEADER_SIZE));
      const rsv = FDT_V17_HEADER_SIZE;
      out.set(bytes.subarray(l.rsvmapStart, l.rsvmapEnd), rsv);
      out.set(bytes.subarray(l.structStart, l.structEnd), rsv + rsvSize);
      out.set(bytes.subarray(l.stringsStart, l.stringsEnd), rsv + rsvSize + structSize);
      const v = new DataView(out.buffer);
      v.setUint32(H_OFF_RSVMAP, rsv);
      v.setUint32(H_OFF_STRUCT, rsv + rsvSize);
      v.setUint32(H_OFF_STRINGS, rsv + rsvSize + structSize);
      v.setUint32(24, 16);
    }
    const v = new DataView(out.buffer);
    v.setUint32(H_VERSION, 17);
    v.setUint32(H_SIZE_STRUCT, structSize);
    v.setUint32(H_SIZE_STRINGS, stringsSize);
    v.setUint32(H_TOTALSIZE, size);
    return new EditableFdt(out);
  }

  /**
   * Edits `bytes` in place (libfdt's rw probe): the blob must pass {@link checkFdt}, be version
   * 17 (FDT_ERR_BADVERSION) with blocks in rsvmap → struct → strings order (FDT_ERR_BADLAYOUT).
   */
  static wrap(bytes: Uint8Array): EditableFdt {
    const l = checkFdt(bytes);
    const h = l.header;
    if (h.version < 17) fail("FDT_ERR_BADVERSION", `version ${h.version}: in-place edits need version 17 (use openInto)`, 20);
    if (misordered(h.off_mem_rsvmap, h.off_dt_struct, h.off_dt_strings, h.totalsize, FDT_RESERVE_ENTRY_SIZE, h.size_dt_struct, h.size_dt_strings)) {
      fail("FDT_ERR_BADLAYOUT", "blocks are not in rsvmap, struct, strings order (use openInto)");
    }
    const e = new EditableFdt(bytes.subarray(0, h.totalsize));
    if (h.version > 17) e.view.setUint32(H_VERSION, 17);
    return e;
  }

  /** The blob: `totalsize` bytes, free space included (a view, not a copy). */
  get bytes(): Uint8Array {
    return this.buf.subarray(0, this.totalsize);
  }

  /** Header totalsize. */
  get totalsize(): number {
    return this.view.getUint32(H_TOTALSIZE);
  }

  /** Bytes in use: up to the end of the strings block. */
  get usedSize(): number {
    return this.view.getUint32(H_OFF_STRINGS) + this.view.getUint32(H_SIZE_STRINGS);
  }

  /** Free space left for edits (totalsize minus the end of the strings block). */
  get headroom(): number {
    return this.totalsize - this.usedSize;
  }

  /** Parses the current blob into a tree. */
  toFdt(): Fdt {
    return parseFdt(this.bytes, { copy: true });
  }

  /** Structure offset of a node; FDT_ERR_NOTFOUND when absent, FDT_ERR_BADPATH for a bad path. */
  nodeOffset(ref: NodeRef): number {
    return this.indexEntry(ref).off;
  }

  /** The value of a property (a copy), or undefined when the property is absent. FDT_ERR_NOTFOUND for a missing node. */
  getProp(node: NodeRef, name: string): Uint8Array | undefined {
    const e = this.indexEntry(node);
    const p = this.findProp(e.off, name);
    return p ? this.buf.slice(p.abs + 12, p.abs + 12 + p.len) : undefined;
  }

  /** Names of the properties of a node, in blob order. */
  propNames(node: NodeRef): string[] {
    const e = this.indexEntry(node);
    const out: string[] = [];
    this.eachProp(e.off, (abs) => {
      out.push(this.stringAt(this.view.getUint32(abs + 8)));
      return false;
    });
    return out;
  }

  /** Full names of the children of a node, in blob order. */
  childNames(node: NodeRef): string[] {
    const { i } = this.indexEntry(node);
    const off = this.idxOff!;
    const dep = this.idxDepth;
    const out: string[] = [];
    for (let j = i + 1; j < off.length && dep[j]! > dep[i]!; j++) if (dep[j] === dep[i]! + 1) out.push(this.nodeName(off[j]!));
    return out;
  }

  /**
   * Adds an empty child node. `position` "first" (default) puts it before existing children,
   * as `fdt_add_subnode` does; "last" after them. Returns its structure offset.
   * FDT_ERR_EXISTS when a child of that exact name exists; FDT_ERR_NOSPACE when it does not fit.
   */
  addSubnode(parent: NodeRef, name: string, position: ChildPosition = "first"): number {
    return this.addNode(parent, name, [], position);
  }

  /**
   * Adds a child node with all its properties in ONE splice: either the whole node appears or,
   * on FDT_ERR_NOSPACE, nothing changes (libfdt's add_subnode + setprop sequence can leave a
   * half-built node). New property names are appended to the strings block (suffix-shared
   * when possible). FDT_ERR_EXISTS when the exact name exists among the children.
   */
  addNode(parent: NodeRef, name: string, properties: readonly PropertyInit[], position: ChildPosition = "first"): number {
    validateName(name, "node");
    const pe = this.indexEntry(parent);
    if (this.childIndex(pe.i, name, true) >= 0) fail("FDT_ERR_EXISTS", `node ${name} already exists`, this.structStart + pe.off);
    const nb = latin1Bytes(name);
    const { offs: nameoffs, added } = this.planStrings(properties.map((p) => p[0]));
    let nodeLen = 4 + tagAlign(nb.length + 1) + 4;
    for (const [, v] of properties) nodeLen += 12 + tagAlign(v.length);
    this.ensureSpace(nodeLen + added.length);

    // Where the node goes, and where its entry goes in the index.
    let at: number;
    let idxAt: number;
    if (position === "first") {
      at = this.propsEnd(pe.off);
      idxAt = pe.i + 1;
    } else {
      idxAt = this.subtreeEndIndex(pe.i);
      at = this.nodeEndOffset(pe.i) - 4; // before the parent's FDT_END_NODE
    }
    this.appendStrings(added);
    const abs = this.structStart + at;
    this.splice("struct", abs, 0, nodeLen);
    const v = this.view;
    let o = abs;
    v.setUint32(o, FDT_TOKEN.BEGIN_NODE);
    this.buf.set(nb, o + 4);
    this.buf.fill(0, o + 4 + nb.length, o + 4 + tagAlign(nb.length + 1));
    o += 4 + tagAlign(nb.length + 1);
    for (let k = 0; k < properties.length; k++) {
      const val = properties[k]![1];
      v.setUint32(o, FDT_TOKEN.PROP);
      v.setUint32(o + 4, val.length);
      v.setUint32(o + 8, nameoffs[k]!);
      this.buf.set(val, o + 12);
      const padded = tagAlign(val.length);
      this.buf.fill(0, o + 12 + val.length, o + 12 + padded);
      o += 12 + padded;
    }
    v.setUint32(o, FDT_TOKEN.END_NODE);
    this.idxOff!.splice(idxAt, 0, at);
    this.idxDepth.splice(idxAt, 0, this.idxDepth[pe.i]! + 1);
    return at;
  }

  /**
   * Sets a property, like `fdt_setprop`: an existing value is resized in place; a new property
   * is inserted first in the node (where libfdt puts it). FDT_ERR_NOSPACE leaves the blob as it was.
   */
  setProp(node: NodeRef, name: string, value: Uint8Array): void {
    validateName(name, "property");
    const e = this.indexEntry(node);
    const p = this.findProp(e.off, name);
    if (p) {
      const oldPadded = tagAlign(p.len);
      this.ensureSpace(tagAlign(value.length) - oldPadded);
      this.splice("struct", p.abs + 12, oldPadded, tagAlign(value.length));
      this.view.setUint32(p.abs + 4, value.length);
      this.writeValue(p.abs + 12, value);
      return;
    }
    const { offs, added } = this.planStrings([name]);
    const len = 12 + tagAlign(value.length);
    this.ensureSpace(len + added.length);
    this.appendStrings(added);
    const abs = this.structStart + this.nameEnd(e.off);
    this.splice("struct", abs, 0, len);
    this.view.setUint32(abs, FDT_TOKEN.PROP);
    this.view.setUint32(abs + 4, value.length);
    this.view.setUint32(abs + 8, offs[0]!);
    this.writeValue(abs + 12, value);
  }

  /** Appends bytes to a property's value (creating it when absent), like `fdt_appendprop`. */
  appendProp(node: NodeRef, name: string, value: Uint8Array): void {
    const e = this.indexEntry(node);
    const p = this.findProp(e.off, name);
    if (!p) {
      this.setProp(node, name, value);
      return;
    }
    const newLen = p.len + value.length;
    this.ensureSpace(tagAlign(newLen) - tagAlign(p.len));
    const old = this.buf.slice(p.abs + 12, p.abs + 12 + p.len);
    this.splice("struct", p.abs + 12, tagAlign(p.len), tagAlign(newLen));
    this.view.setUint32(p.abs + 4, newLen);
    const joined = new Uint8Array(newLen);
    joined.set(old);
    joined.set(value, p.len);
    this.writeValue(p.abs + 12, joined);
  }

  /** Deletes a property, like `fdt_delprop`. FDT_ERR_NOTFOUND when absent. */
  delProp(node: NodeRef, name: string): void {
    const e = this.indexEntry(node);
    const p = this.findProp(e.off, name);
    if (!p) fail("FDT_ERR_NOTFOUND", `no property ${name}`, this.structStart + e.off);
    this.splice("struct", p.abs, 12 + tagAlign(p.len), 0);
  }

  /** Deletes a node and its subtree, like `fdt_del_node`. The root cannot be deleted (FDT_ERR_BADOFFSET). */
  delNode(node: NodeRef): void {
    const e = this.indexEntry(node);
    if (e.i === 0) fail("FDT_ERR_BADOFFSET", "the root node cannot be deleted", this.structStart);
    const end = this.nodeEndOffset(e.i);
    this.splice("struct", this.structStart + e.off, end - e.off, 0);
  }

  /** The memory reservations (rsvmap entries before the terminator). */
  memoryReservations(): { address: bigint; size: bigint }[] {
    const out: { address: bigint; size: bigint }[] = [];
    for (let o = this.view.getUint32(H_OFF_RSVMAP); ; o += 16) {
      const size = this.view.getBigUint64(o + 8);
      if (size === 0n) return out;
      out.push({ address: this.view.getBigUint64(o), size });
    }
  }

  /** Adds a memory reservation at the end of the map, like `fdt_add_mem_rsv`. */
  addMemReserve(address: bigint, size: bigint): void {
    if (size === 0n) fail("FDT_ERR_BADVALUE", "a reservation of size 0 would end the map");
    const n = this.memoryReservations().length;
    this.ensureSpace(FDT_RESERVE_ENTRY_SIZE);
    const at = this.view.getUint32(H_OFF_RSVMAP) + n * FDT_RESERVE_ENTRY_SIZE;
    this.splice("rsvmap", at, 0, FDT_RESERVE_ENTRY_SIZE);
    this.view.setBigUint64(at, BigInt.asUintN(64, address));
    this.view.setBigUint64(at + 8, BigInt.asUintN(64, size));
  }

  /** Deletes memory reservation `n`, like `fdt_del_mem_rsv`. FDT_ERR_NOTFOUND when out of range. */
  delMemReserve(n: number): void {
    if (!(n >= 0 && n < this.memoryReservations().length)) fail("FDT_ERR_NOTFOUND", `no memory reservation ${n}`);
    this.splice("rsvmap", this.view.getUint32(H_OFF_RSVMAP) + n * FDT_RESERVE_ENTRY_SIZE, FDT_RESERVE_ENTRY_SIZE, 0);
  }

  /**
   * Removes the free space like `fdt_pack`: blocks moved to 40 / rsvmap end / structure end,
   * totalsize = end of strings. The bytes after the new totalsize keep their old contents.
   */
  pack(): Uint8Array {
    const v = this.view;
    const rsvOld = v.getUint32(H_OFF_RSVMAP);
    const rsvSize = (this.memoryReservations().length + 1) * FDT_RESERVE_ENTRY_SIZE;
    const structOld = v.getUint32(H_OFF_STRUCT);
    const structSize = v.getUint32(H_SIZE_STRUCT);
    const stringsOld = v.getUint32(H_OFF_STRINGS);
    const stringsSize = v.getUint32(H_SIZE_STRINGS);
    const rsv = FDT_V17_HEADER_SIZE;
    this.buf.copyWithin(rsv, rsvOld, rsvOld + rsvSize);
    this.buf.copyWithin(rsv + rsvSize, structOld, structOld + structSize);
    this.buf.copyWithin(rsv + rsvSize + structSize, stringsOld, stringsOld + stringsSize);
    v.setUint32(H_OFF_RSVMAP, rsv);
    v.setUint32(H_OFF_STRUCT, rsv + rsvSize);
    v.setUint32(H_OFF_STRINGS, rsv + rsvSize + structSize);
    v.setUint32(H_TOTALSIZE, rsv + rsvSize + structSize + stringsSize);
    return this.bytes;
  }

  // ---- the splice primitive -------------------------------------------------------------

  /** FDT_ERR_NOSPACE unless `delta` more bytes fit in totalsize. Checked before any change. */
  private ensureSpace(delta: number): void {
    if (delta > 0 && this.usedSize + delta > this.totalsize) {
      fail("FDT_ERR_NOSPACE", `the edit needs ${delta} bytes, ${this.headroom} are free`, this.usedSize);
    }
  }

  /**
   * Replaces `oldLen` bytes at absolute offset `at` in `block` by `newLen` bytes (contents left
   * for the caller), moving everything after it up to the end of the strings block, and fixes
   * the header and the node index. The one place where the blob's layout changes (libfdt fdt_splice_).
   */
  private splice(block: Block, at: number, oldLen: number, newLen: number): void {
    const used = this.usedSize;
    const delta = newLen - oldLen;
    if (used + delta > this.totalsize) fail("FDT_ERR_NOSPACE", `the edit needs ${delta} bytes, ${this.headroom} are free`, used);
    if (at < 0 || at + oldLen > used) fail("FDT_ERR_BADOFFSET", "splice outside the blob", at);
    if (delta !== 0) this.buf.copyWithin(at + newLen, at + oldLen, used);
    const v = this.view;
    if (block === "strings") {
      v.setUint32(H_SIZE_STRINGS, v.getUint32(H_SIZE_STRINGS) + delta);
      return;
    }
    v.setUint32(H_OFF_STRINGS, v.getUint32(H_OFF_STRINGS) + delta);
    if (block === "rsvmap") {
      v.setUint32(H_OFF_STRUCT, v.getUint32(H_OFF_STRUCT) + delta);
      return;
    }
    v.setUint32(H_SIZE_STRUCT, v.getUint32(H_SIZE_STRUCT) + delta);
    const offs = this.idxOff;
    if (offs && delta !== 0) {
      const rel = at - this.structStart;
      const relEnd = rel + oldLen;
      // Nodes inside a removed range leave the index; nodes after it move by delta.
      let first = -1;
      let count = 0;
      for (let j = 0; j < offs.length; j++) {
        const o = offs[j]!;
        if (o >= relEnd) offs[j] = o + delta;
        else if (o >= rel && oldLen > 0) {
          if (first < 0) first = j;
          count++;
        }
      }
      if (count) {
        offs.splice(first, count);
        this.idxDepth.splice(first, count);
      }
    }
  }

  // ---- helpers -------------------------------------------------------------------------

  private get structStart(): number {
    return this.view.getUint32(H_OFF_STRUCT);
  }

  private writeValue(abs: number, value: Uint8Array): void {
    this.buf.set(value, abs);
    this.buf.fill(0, abs + value.length, abs + tagAlign(value.length));
  }

  private next(absOff: number): number {
    const s = this.structStart;
    return nextTagOffset(this.buf, this.view, absOff, s, s + this.view.getUint32(H_SIZE_STRUCT), 17);
  }

  private buildIndex(): void {
    const offs: number[] = [];
    const deps: number[] = [];
    const s = this.structStart;
    let depth = -1;
    for (let o = s; ; ) {
      const tag = this.view.getUint32(o);
      const n = this.next(o);
      if (tag === FDT_TOKEN.BEGIN_NODE) {
        depth++;
        offs.push(o - s);
        deps.push(depth);
      } else if (tag === FDT_TOKEN.END_NODE) depth--;
      else if (tag === FDT_TOKEN.END) break;
      o = n;
    }
    this.idxOff = offs;
    this.idxDepth = deps;
  }

  private indexEntry(ref: NodeRef): { i: number; off: number } {
    if (!this.idxOff) this.buildIndex();
    const offs = this.idxOff!;
    if (typeof ref === "number") {
      const i = binarySearch(offs, ref);
      if (i < 0) fail("FDT_ERR_BADOFFSET", `no node starts at structure offset ${ref}`, this.structStart + ref);
      return { i, off: ref };
    }
    let i = 0;
    for (const part of splitPath(ref)) {
      const j = this.childIndex(i, part, false);
      if (j < 0) fail("FDT_ERR_NOTFOUND", `no node ${ref}`);
      i = j;
    }
    return { i, off: offs[i]! };
  }

  /** Index of the child of entry i named `name` (libfdt matching unless `exact`), or -1. */
  private childIndex(i: number, name: string, exact: boolean): number {
    const offs = this.idxOff!;
    const dep = this.idxDepth;
    const want = dep[i]! + 1;
    const s = this.structStart;
    const nb = latin1Bytes(name);
    const loose = !exact && !name.includes("@");
    const buf = this.buf;
    for (let j = i + 1; j < offs.length; j++) {
      const d = dep[j]!;
      if (d < want) break;
      if (d !== want) continue;
      const o = s + offs[j]! + 4;
      let k = 0;
      while (k < nb.length && buf[o + k] === nb[k]) k++;
      if (k === nb.length && (buf[o + k] === 0 || (loose && buf[o + k] === 0x40))) return j;
    }
    return -1;
  }

  /** The index position after the subtree of entry i. */
  private subtreeEndIndex(i: number): number {
    const dep = this.idxDepth;
    let j = i + 1;
    while (j < dep.length && dep[j]! > dep[i]!) j++;
    return j;
  }

  /** Structure offset just after the FDT_END_NODE of entry i. */
  private nodeEndOffset(i: number): number {
    const last = this.subtreeEndIndex(i) - 1; // the last node of the subtree is a leaf
    const s = this.structStart;
    let closes = this.idxDepth[last]! - this.idxDepth[i]! + 1;
    let o = this.next(s + this.idxOff![last]!);
    for (;;) {
      const tag = this.view.getUint32(o);
      const n = this.next(o);
      if (tag === FDT_TOKEN.END_NODE && --closes === 0) return n - s;
      o = n;
    }
  }

  private nodeName(rel: number): string {
    const o = this.structStart + rel + 4;
    return latin1(this.buf, o, this.buf.indexOf(0, o));
  }

  /** Structure offset just after a node's name (where libfdt inserts a new property). */
  private nameEnd(rel: number): number {
    return this.next(this.structStart + rel) - this.structStart;
  }

  /** Structure offset after a node's properties and NOPs (where fdt_add_subnode inserts). */
  private propsEnd(rel: number): number {
    const s = this.structStart;
    let o = this.next(s + rel);
    for (;;) {
      const tag = this.view.getUint32(o);
      if (tag !== FDT_TOKEN.PROP && tag !== FDT_TOKEN.NOP) return o - s;
      o = this.next(o);
    }
  }

  private eachProp(rel: number, fn: (abs: number) => boolean): number {
    let o = this.next(this.structStart + rel);
    for (;;) {
      const tag = this.view.getUint32(o);
      if (tag === FDT_TOKEN.PROP) {
        if (fn(o)) return o;
      } else if (tag !== FDT_TOKEN.NOP) return -1;
      o = this.next(o);
    }
  }

  private findProp(rel: number, name: string): { abs: number; len: number } | undefined {
    const nb = latin1Bytes(name);
    const strings = this.view.getUint32(H_OFF_STRINGS);
    const buf = this.buf;
    const abs = this.eachProp(rel, (o) => {
      const so = strings + this.view.getUint32(o + 8);
      let k = 0;
      while (k < nb.length && buf[so + k] === nb[k]) k++;
      return k === nb.length && buf[so + k] === 0;
    });
    return abs < 0 ? undefined : { abs, len: this.view.getUint32(abs + 4) };
  }

  private stringAt(nameoff: number): string {
    const o = this.view.getUint32(H_OFF_STRINGS) + nameoff;
    return latin1(this.buf, o, this.buf.indexOf(0, o));
  }

  private table(): string {
    if (this.strTable === null) {
      const o = this.view.getUint32(H_OFF_STRINGS);
      this.strTable = latin1(this.buf, o, o + this.view.getUint32(H_SIZE_STRINGS));
    }
    return this.strTable;
  }

  /**
   * String offsets for `names` (libfdt fdt_find_string_: any suffix match in the table), and the
   * bytes to append for names not found. Nothing is written yet.
   */
  private planStrings(names: readonly string[]): { offs: number[]; added: Uint8Array } {
    const table = this.table();
    let extra = "";
    const offs: number[] = [];
    for (const name of names) {
      validateName(name, "property");
      let off = this.strCache.get(name);
      if (off === undefined) {
        const found = table.indexOf(`${name}\0`);
        if (found >= 0) {
          off = found;
          this.strCache.set(name, off);
        } else {
          const inExtra = extra.indexOf(`${name}\0`);
          if (inExtra >= 0) off = table.length + inExtra;
          else {
            off = table.length + extra.length;
            extra += `${name}\0`;
          }
        }
      }
      offs.push(off);
    }
    return { offs, added: latin1Bytes(extra) };
  }

  private appendStrings(added: Uint8Array): void {
    if (added.length === 0) return;
    const at = this.usedSize;
    this.splice("strings", at, 0, added.length);
    this.buf.set(added, at);
    this.strTable = this.table() + latin1(added, 0, added.length);
  }
}

function misordered(rsv: number, struct: number, strings: number, total: number, rsvSize: number, structSize: number, stringsSize: number): boolean {
  return rsv < FDT_V17_HEADER_SIZE || struct < rsv + rsvSize || strings < struct + structSize || total < strings + stringsSize;
}

function binarySearch(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = a[mid]!;
    if (v === x) return mid;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function validateName(name: string, what: string): void {
  if (name.length === 0 || name.includes("\0") || (what === "node" && name.includes("/"))) {
    fail("FDT_ERR_BADVALUE", `${JSON.stringify(name)} is not a valid ${what} name`);
  }
}
