// A test-side AArch64 page-table writer (drgn-style fixtures described in the test). Its geometry
// is written out per configuration from the kernel's Kconfig / pgtable-hwdef.h and the Arm ARM
// descriptor formats, not computed the way src/translate/aarch64.ts computes it, so that a wrong
// formula there shows up as a wrong translation here.
import { EM, PT, encodeNote, encodePrstatus, writeElfCore, NT } from "@kdumpkit/elf";
import { patternBytes } from "./elf-writer.js";

/** One supported kernel configuration: granule, VA_BITS, level shifts (top first) and top-level entries. */
export interface Geometry {
  name: string;
  pageSize: number;
  vaBits: number;
  /** VA bit each level starts at, top level first (PGDIR_SHIFT … PAGE_SHIFT). */
  shifts: number[];
  /** PTRS_PER_PGD. */
  topEntries: number;
  /** Shifts at which the writer may place a block descriptor (Arm ARM D8.3.1 for this granule). */
  blockShifts: number[];
  /** How the output address is stored: "48" (bits in place), "lpa-64k" (PA[51:48] in bits 15:12), "lpa2" (PA[51:50] in bits 9:8). */
  pa: "48" | "lpa-64k" | "lpa2";
}

export const GEOMETRIES: Geometry[] = [
  { name: "4K pages, 39-bit VA (3 levels)", pageSize: 4096, vaBits: 39, shifts: [30, 21, 12], topEntries: 512, blockShifts: [30, 21], pa: "48" },
  { name: "4K pages, 48-bit VA (4 levels)", pageSize: 4096, vaBits: 48, shifts: [39, 30, 21, 12], topEntries: 512, blockShifts: [30, 21], pa: "48" },
  { name: "4K pages, 52-bit VA LPA2 (5 levels)", pageSize: 4096, vaBits: 52, shifts: [48, 39, 30, 21, 12], topEntries: 16, blockShifts: [39, 30, 21], pa: "lpa2" },
  { name: "16K pages, 36-bit VA (2 levels)", pageSize: 16384, vaBits: 36, shifts: [25, 14], topEntries: 2048, blockShifts: [25], pa: "48" },
  { name: "16K pages, 47-bit VA (3 levels)", pageSize: 16384, vaBits: 47, shifts: [36, 25, 14], topEntries: 2048, blockShifts: [25], pa: "48" },
  { name: "16K pages, 48-bit VA (4 levels)", pageSize: 16384, vaBits: 48, shifts: [47, 36, 25, 14], topEntries: 2, blockShifts: [25], pa: "48" },
  { name: "64K pages, 42-bit VA (2 levels)", pageSize: 65536, vaBits: 42, shifts: [29, 16], topEntries: 8192, blockShifts: [29], pa: "48" },
  { name: "64K pages, 48-bit VA (3 levels)", pageSize: 65536, vaBits: 48, shifts: [42, 29, 16], topEntries: 64, blockShifts: [29], pa: "48" },
  { name: "64K pages, 52-bit VA and PA (3 levels)", pageSize: 65536, vaBits: 52, shifts: [42, 29, 16], topEntries: 1024, blockShifts: [29], pa: "lpa-64k" },
];

const MASK64 = (1n << 64n) - 1n;
const AF = 1n << 10n; // access flag: set by Linux on every valid kernel mapping
const UXN_PXN = 3n << 53n; // execute-never bits: must not leak into the address

/** Encodes an output address into a descriptor the way the Arm ARM places its bits. */
export function encodeOutput(pa: bigint, g: Geometry): bigint {
  if (g.pa === "lpa-64k") return (pa & 0x0000ffffffff0000n) | (((pa >> 48n) & 0xfn) << 12n);
  if (g.pa === "lpa2") return (pa & 0x0003fffffffff000n) | (((pa >> 50n) & 3n) << 8n);
  return pa;
}

/** Sparse physical memory in 8-byte words plus the set of pages that must appear in the dump. */
export class TableWriter {
  readonly g: Geometry;
  readonly words = new Map<bigint, bigint>();
  /** Pages (by base address) holding tables; data pages are added with `touch`. */
  readonly tablePages = new Set<bigint>();
  readonly dataPages = new Set<bigint>();
  readonly root: bigint;
  private next: bigint;

  /** `root`: physical address of the top table; `tableArea`: where the other tables are allocated from (default right after the root). */
  constructor(g: Geometry, root: bigint, tableArea?: bigint) {
    this.g = g;
    this.next = root;
    this.root = this.alloc();
    if (tableArea !== undefined) this.next = tableArea;
  }

  private alloc(): bigint {
    const at = this.next;
    this.next += BigInt(this.g.pageSize);
    this.tablePages.add(at);
    return at;
  }

  private index(va: bigint, level: number): bigint {
    const shift = BigInt(this.g.shifts[level]!);
    const entries = level === 0 ? BigInt(this.g.topEntries) : BigInt(this.g.pageSize / 8);
    return (va >> shift) % entries;
  }

  /** Maps [va, va+size) → pa using blocks of `blockShift` (or pages when omitted). */
  map(va: bigint, pa: bigint, size: bigint, blockShift?: number): void {
    const shift = blockShift ?? this.g.shifts[this.g.shifts.length - 1]!;
    if (blockShift !== undefined && !this.g.blockShifts.includes(blockShift)) throw new Error(`test bug: no block at shift ${blockShift}`);
    const step = 1n << BigInt(shift);
    for (let off = 0n; off < size; off += step) this.mapOne(va + off, pa + off, shift);
  }

  private mapOne(va: bigint, pa: bigint, shift: number): void {
    const level = this.g.shifts.indexOf(shift);
    let table = this.root;
    for (let l = 0; l < level; l++) {
      const at = table + this.index(va, l) * 8n;
      let entry = this.words.get(at);
      if (entry === undefined) {
        const next = this.alloc();
        entry = encodeOutput(next, this.g) | 3n;
        this.words.set(at, entry);
      }
      table = this.decode(entry);
    }
    const last = level === this.g.shifts.length - 1;
    this.words.set(table + this.index(va, level) * 8n, encodeOutput(pa, this.g) | AF | UXN_PXN | (last ? 3n : 1n));
  }

  private decode(entry: bigint): bigint {
    if (this.g.pa === "lpa-64k") return (entry & 0x0000ffffffff0000n) | (((entry >> 12n) & 0xfn) << 48n);
    if (this.g.pa === "lpa2") return (entry & 0x0003fffffffff000n) | (((entry >> 8n) & 3n) << 50n);
    return entry & 0x0000fffffffff000n;
  }

  /** Writes a raw descriptor (for malformed-entry tests). */
  setRaw(va: bigint, level: number, value: bigint): void {
    let table = this.root;
    for (let l = 0; l < level; l++) table = this.decode(this.words.get(table + this.index(va, l) * 8n)!);
    this.words.set(table + this.index(va, level) * 8n, value);
  }

  /** Marks the page holding `pa` as present in the dump (its bytes are `patternBytes`). */
  touch(pa: bigint): void {
    this.dataPages.add(pa - (pa % BigInt(this.g.pageSize)));
  }

  readU64 = (pa: bigint): bigint => this.words.get(pa) ?? 0n;

  /** One physical page's bytes: tables from `words`, data pages from the pattern. */
  pageBytes(base: bigint): Uint8Array {
    const size = this.g.pageSize;
    const out = this.tablePages.has(base) ? new Uint8Array(size) : patternBytes(base, size);
    if (this.tablePages.has(base)) {
      const v = new DataView(out.buffer);
      for (let i = 0; i < size; i += 8) {
        const w = this.words.get(base + BigInt(i));
        if (w !== undefined) v.setBigUint64(i, w & MASK64, true);
      }
    }
    return out;
  }
}

export interface Aarch64CoreSpec {
  writer: TableWriter;
  vmcoreinfo: Record<string, string>;
  /** Extra PT_LOAD headers written as given (e.g. kdump's kernel-text segment with p_vaddr). */
  kernelText?: { vaddr: bigint; paddr: bigint; size: bigint };
  /** Give RAM PT_LOADs p_vaddr = __va(p_paddr) = p_paddr - physOffset + pageOffset, as kdump does (default p_vaddr 0, as QEMU). */
  linearVaddr?: { pageOffset: bigint; physOffset: bigint };
}

/**
 * Writes a little-endian EM_AARCH64 ELF core with @kdumpkit/elf's writeElfCore: one PT_NOTE with
 * two CPUs' NT_PRSTATUS and VMCOREINFO, then one PT_LOAD per page the writer touched.
 */
export function writeAarch64Core(spec: Aarch64CoreSpec): Uint8Array {
  const w = spec.writer;
  const text = Object.entries(spec.vmcoreinfo).map(([k, v]) => `${k}=${v}\n`).join("");
  const prstatus = (pid: number, pc: bigint) => encodePrstatus({ pr_pid: pid, registers: { pc, sp: 0xffff800080003f00n, pstate: 0x3c5n } }, "aarch64");
  const notes = new Uint8Array([
    ...encodeNote({ name: "CORE", type: NT.PRSTATUS, desc: prstatus(1, 0xffff800080123456n) }, true),
    ...encodeNote({ name: "CORE", type: NT.PRSTATUS, desc: prstatus(2, 0xffff800080654321n) }, true),
    ...encodeNote({ name: "VMCOREINFO", type: 0, desc: new TextEncoder().encode(text) }, true),
  ]);
  const k = spec.kernelText;
  const inImage = (base: bigint) => k !== undefined && base >= k.paddr && base < k.paddr + k.size;
  const pages = [...new Set([...w.tablePages, ...w.dataPages])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const segments: Parameters<typeof writeElfCore>[0]["segments"] = [{ p_type: PT.NOTE, data: notes }];
  for (const base of pages) {
    const lv = spec.linearVaddr;
    const p_vaddr = lv === undefined ? 0n : (base - lv.physOffset + lv.pageOffset) & MASK64;
    if (!inImage(base)) segments.push({ p_type: PT.LOAD, p_flags: 7, p_paddr: base, p_vaddr, data: w.pageBytes(base) });
  }
  if (k) {
    // kdump's kernel-text segment: p_vaddr = _text, p_vaddr - p_paddr = kimage_voffset.
    const data = new Uint8Array(Number(k.size));
    for (let off = 0; off < data.length; off += w.g.pageSize) data.set(w.pageBytes(k.paddr + BigInt(off)), off);
    segments.push({ p_type: PT.LOAD, p_flags: 7, p_paddr: k.paddr, p_vaddr: k.vaddr, data });
  }
  return writeElfCore({ e_machine: EM.AARCH64, segments });
}
