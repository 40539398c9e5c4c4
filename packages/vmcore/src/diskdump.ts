// The kdump-compressed ("diskdump") format written by makedumpfile -c/-l/-p/-z or without -E
// (kdump-formats §4.3; makedumpfile diskdump_mod.h). Pages are found through the 2nd bitmap (1 =
// dumped) and a page_desc per dumped page; zlib pages are inflated with node:zlib. Memory stays
// bounded: bitmap blocks and pages are read on demand through small caches, and the rank of a pfn
// comes from a per-block prefix count (4 bytes per 32,768 pfns of a 4 KiB bitmap block).
import { inflateSync } from "node:zlib";
import { EM, ET, parseNotes, parseVmcoreinfo, type ElfHeader, type ElfNote, type NoteSegment, type ProgramHeader, type Vmcoreinfo } from "@kdumpkit/elf";
import { type DumpArch, defaultPageSize } from "./arch.js";
import type { ByteSource } from "./byte-source.js";
import { type Dump, type PhysicalMemory, readVirtualInto } from "./dump.js";
import { VmcoreError, hex } from "./errors.js";
import { DEFAULT_LIMITS, type DumpLimits } from "./limits.js";
import type { DumpProblem, LoadSegment } from "./load-segment.js";
import type { PageChunk, PhysicalRange } from "./physical.js";
import { createTranslator, type TranslatorOptions } from "./translate/index.js";
import type { AddressTranslator } from "./translate/translator.js";

/** `disk_dump_header.signature`. */
export const KDUMP_SIGNATURE = "KDUMP   ";

/** page_desc.flags / header status bits. */
export const DUMP_DH = { COMPRESSED_ZLIB: 0x1, COMPRESSED_LZO: 0x2, COMPRESSED_SNAPPY: 0x4, COMPRESSED_INCOMPLETE: 0x8, EXCLUDED_VMEMMAP: 0x10, COMPRESSED_ZSTD: 0x20 } as const;

/** `struct disk_dump_header` + `struct kdump_sub_header` (LP64 layout), field names as in diskdump_mod.h. */
export interface DiskDumpHeader {
  header_version: number;
  utsname: { sysname: string; nodename: string; release: string; version: string; machine: string; domainname: string };
  timestamp: { tv_sec: bigint; tv_usec: bigint };
  status: number;
  block_size: number;
  sub_hdr_size: number;
  bitmap_blocks: number;
  max_mapnr: number;
  nr_cpus: number;
  sub: {
    phys_base: bigint; dump_level: number; split: number;
    offset_vmcoreinfo: bigint; size_vmcoreinfo: bigint; offset_note: bigint; size_note: bigint;
    offset_eraseinfo: bigint; size_eraseinfo: bigint; start_pfn_64: bigint; end_pfn_64: bigint; max_mapnr_64: bigint;
  };
}

const DISK_DUMP_HEADER_SIZE = 464;
const SUB_HEADER_SIZE = 104;
const PAGE_DESC_SIZE = 24;

function cstr(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return new TextDecoder().decode(nul === -1 ? bytes : bytes.subarray(0, nul));
}

/** True when `bytes` start with the kdump-compressed signature. */
export function looksLikeDiskDump(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && cstr(bytes.subarray(0, 8)) === KDUMP_SIGNATURE;
}

function archForMachineName(machine: string): DumpArch {
  if (machine === "x86_64" || machine === "aarch64" || machine === "s390x" || machine === "ppc64" || machine === "ppc64le") return machine;
  if (/^i[3-6]86$/.test(machine)) return "i386";
  return machine || "unknown";
}

const MACHINE: Record<string, number> = { x86_64: EM.X86_64, aarch64: EM.AARCH64, ppc64: EM.PPC64, ppc64le: EM.PPC64, s390x: EM.S390, i386: EM.I386 };

function popcount8(b: number): number {
  b = b - ((b >> 1) & 0x55);
  b = (b & 0x33) + ((b >> 2) & 0x33);
  return (b + (b >> 4)) & 0x0f;
}

/** The page table of a kdump-compressed file: bitmap blocks on demand, prefix ranks, decompressed-page cache. */
class CompressedMemory implements PhysicalMemory {
  private readonly blockCache = new Map<number, Uint8Array>();
  private readonly pageCache = new Map<number, Uint8Array>();
  private prefix: Float64Array | undefined;
  private readonly bitmapBlocks: number;
  private readonly source: ByteSource;
  private readonly le: boolean;
  private readonly blockSize: number;
  private readonly bitmap2Offset: number;
  private readonly descOffset: number;
  private readonly maxMapnr: number;

  constructor(source: ByteSource, le: boolean, blockSize: number, bitmap2Offset: number, descOffset: number, maxMapnr: number) {
    this.source = source;
    this.le = le;
    this.blockSize = blockSize;
    this.bitmap2Offset = bitmap2Offset;
    this.descOffset = descOffset;
    this.maxMapnr = maxMapnr;
    this.bitmapBlocks = Math.ceil(Math.ceil(maxMapnr / 8) / blockSize);
  }

  private bitmapBlock(i: number): Uint8Array {
    let b = this.blockCache.get(i);
    if (!b) {
      b = this.source.read(this.bitmap2Offset + i * this.blockSize, this.blockSize);
      if (this.blockCache.size >= 64) this.blockCache.delete(this.blockCache.keys().next().value!);
      this.blockCache.set(i, b);
    }
    return b;
  }

  private isDumped(pfn: number): boolean {
    if (pfn < 0 || pfn >= this.maxMapnr) return false;
    const bitsPerBlock = this.blockSize * 8;
    const block = this.bitmapBlock(Math.floor(pfn / bitsPerBlock));
    const bit = pfn % bitsPerBlock;
    return ((block[bit >> 3]! >> (bit & 7)) & 1) === 1;
  }

  /** Number of dumped pfns below `pfn` = index of its page_desc. */
  private rank(pfn: number): number {
    const bitsPerBlock = this.blockSize * 8;
    if (!this.prefix) {
      // One pass over the 2nd bitmap on first use (not at open): 4 bytes of table per bitmap block.
      const prefix = new Float64Array(this.bitmapBlocks + 1);
      for (let i = 0; i < this.bitmapBlocks; i++) {
        const block = this.source.read(this.bitmap2Offset + i * this.blockSize, this.blockSize);
        let n = 0;
        for (let k = 0; k < block.length; k++) n += popcount8(block[k]!);
        prefix[i + 1] = prefix[i]! + n;
      }
      this.prefix = prefix;
    }
    const blockIndex = Math.floor(pfn / bitsPerBlock);
    const block = this.bitmapBlock(blockIndex);
    const bit = pfn % bitsPerBlock;
    let n = this.prefix[blockIndex]!;
    for (let k = 0; k < bit >> 3; k++) n += popcount8(block[k]!);
    n += popcount8(block[bit >> 3]! & ((1 << (bit & 7)) - 1));
    return n;
  }

  private page(pfn: number): Uint8Array {
    const cached = this.pageCache.get(pfn);
    if (cached) return cached;
    const address = BigInt(pfn) * BigInt(this.blockSize);
    const descAt = this.descOffset + this.rank(pfn) * PAGE_DESC_SIZE;
    const desc = this.source.read(descAt, PAGE_DESC_SIZE);
    const v = new DataView(desc.buffer, desc.byteOffset, PAGE_DESC_SIZE);
    const offset = v.getBigInt64(0, this.le);
    const size = v.getUint32(8, this.le);
    const flags = v.getUint32(12, this.le);
    if (offset <= 0n || offset > BigInt(this.source.size)) {
      // makedumpfile: offset 0 means the page was lost (incomplete dump).
      throw new VmcoreError("E_BAD_PAGE", `page at physical ${hex(address)}: page_desc at ${hex(descAt)} has offset ${offset} (lost or corrupt)`, { address, offset: descAt });
    }
    if (size === 0 || size > this.blockSize) {
      throw new VmcoreError("E_BAD_PAGE", `page at physical ${hex(address)}: page_desc size ${size} (block size ${this.blockSize})`, { address, offset: descAt });
    }
    const stored = this.source.read(Number(offset), size);
    let data: Uint8Array;
    if (flags & DUMP_DH.COMPRESSED_ZLIB) {
      try {
        data = new Uint8Array(inflateSync(stored));
      } catch (cause) {
        throw new VmcoreError("E_BAD_PAGE", `page at physical ${hex(address)}: zlib data at ${hex(offset)} does not inflate`, { address, offset: Number(offset), cause });
      }
    } else if (flags & (DUMP_DH.COMPRESSED_LZO | DUMP_DH.COMPRESSED_SNAPPY | DUMP_DH.COMPRESSED_ZSTD)) {
      throw new VmcoreError("E_UNSUPPORTED_COMPRESSION", `page at physical ${hex(address)}: lzo/snappy/zstd compression (flags ${hex(flags)}) is not supported; use makedumpfile -c (zlib)`, { address });
    } else data = stored;
    if (data.length !== this.blockSize) {
      throw new VmcoreError("E_BAD_PAGE", `page at physical ${hex(address)}: ${data.length} bytes after decompression, expected ${this.blockSize}`, { address, offset: Number(offset) });
    }
    if (this.pageCache.size >= 32) this.pageCache.delete(this.pageCache.keys().next().value!);
    this.pageCache.set(pfn, data);
    return data;
  }

  private checkCovered(address: bigint, length: number): void {
    if (!Number.isSafeInteger(length) || length < 0) throw new VmcoreError("E_INVALID_ARGUMENT", `bad read length ${length}`, { address });
    if (length === 0) return;
    const bs = BigInt(this.blockSize);
    const first = address / bs;
    const last = (address + BigInt(length) - 1n) / bs;
    for (let pfn = first; pfn <= last; pfn++) {
      if (pfn > BigInt(Number.MAX_SAFE_INTEGER) || address < 0n || !this.isDumped(Number(pfn))) {
        const bad = pfn * bs > address ? pfn * bs : address;
        throw new VmcoreError("E_NOT_IN_DUMP", `physical address ${hex(bad)} is not in the dump (page not dumped; read of ${length} bytes at ${hex(address)})`, { address: bad });
      }
    }
  }

  readInto(target: Uint8Array, address: bigint): void {
    this.checkCovered(address, target.length);
    let done = 0;
    const bs = this.blockSize;
    while (done < target.length) {
      const at = address + BigInt(done);
      const pfn = Number(at / BigInt(bs));
      const inPage = Number(at % BigInt(bs));
      const take = Math.min(bs - inPage, target.length - done);
      target.set(this.page(pfn).subarray(inPage, inPage + take), done);
      done += take;
    }
  }

  read(address: bigint, length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) throw new VmcoreError("E_INVALID_ARGUMENT", `bad read length ${length}`, { address });
    const out = new Uint8Array(length);
    this.readInto(out, address);
    return out;
  }

  isCovered(address: bigint, length: number): boolean {
    try {
      this.checkCovered(address, length);
      return true;
    } catch (error) {
      if (error instanceof VmcoreError) return false;
      throw error;
    }
  }

  readableRanges(): PhysicalRange[] {
    const out: PhysicalRange[] = [];
    let start = -1;
    const bs = BigInt(this.blockSize);
    for (let pfn = 0; pfn <= this.maxMapnr; pfn++) {
      const on = pfn < this.maxMapnr && this.isDumped(pfn);
      if (on && start < 0) start = pfn;
      else if (!on && start >= 0) {
        out.push({ start: BigInt(start) * bs, end: BigInt(pfn) * bs });
        start = -1;
      }
    }
    return out;
  }

  *pages(): Generator<PageChunk> {
    for (const r of this.readableRanges()) {
      for (let a = r.start; a < r.end; a += BigInt(this.blockSize)) yield { address: a, length: this.blockSize };
    }
  }
}

class DiskDump implements Dump {
  readonly format = "kdump-compressed";
  readonly source: ByteSource;
  readonly header: ElfHeader;
  readonly programHeaders: ProgramHeader[] = [];
  readonly loads: LoadSegment[] = [];
  readonly noteSegments: NoteSegment[] = [];
  readonly notes: ElfNote[] = [];
  readonly vmcoreinfo: Vmcoreinfo | undefined;
  readonly vmcoreinfoText: string | undefined;
  readonly arch: DumpArch;
  readonly littleEndian: boolean;
  readonly pageSize: number;
  readonly problems: DumpProblem[] = [];
  /** The decoded disk_dump_header and kdump_sub_header. */
  readonly diskdump: DiskDumpHeader;
  private readonly memory: CompressedMemory;
  private readonly options: TranslatorOptions;
  private translatorInstance: AddressTranslator | undefined;

  constructor(source: ByteSource, options: TranslatorOptions & { limits?: Partial<DumpLimits> }) {
    this.source = source;
    this.options = options;
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    if (source.size < DISK_DUMP_HEADER_SIZE) throw new VmcoreError("E_TRUNCATED", `${source.name}: too short for disk_dump_header`, { offset: source.size });
    const h = source.read(0, DISK_DUMP_HEADER_SIZE);
    const hv = new DataView(h.buffer, h.byteOffset, h.length);
    // makedumpfile writes its structs in the dumped machine's byte order: pick the one whose block_size is sane.
    const sane = (le: boolean) => {
      const bs = hv.getInt32(428, le);
      return bs >= 512 && bs <= 1 << 20 && (bs & (bs - 1)) === 0;
    };
    if (!sane(true) && !sane(false)) throw new VmcoreError("E_NOT_A_DUMP", `${source.name}: disk_dump_header.block_size is not a power of two`, { offset: 428 });
    const le = sane(true);
    this.littleEndian = le;
    const uts = (i: number) => cstr(h.subarray(12 + i * 65, 12 + (i + 1) * 65));
    const blockSize = hv.getInt32(428, le);
    const base: Omit<DiskDumpHeader, "sub"> = {
      header_version: hv.getInt32(8, le),
      utsname: { sysname: uts(0), nodename: uts(1), release: uts(2), version: uts(3), machine: uts(4), domainname: uts(5) },
      timestamp: { tv_sec: hv.getBigInt64(408, le), tv_usec: hv.getBigInt64(416, le) },
      status: hv.getUint32(424, le),
      block_size: blockSize,
      sub_hdr_size: hv.getInt32(432, le),
      bitmap_blocks: hv.getUint32(436, le),
      max_mapnr: hv.getUint32(440, le),
      nr_cpus: hv.getInt32(460, le),
    };
    if (base.sub_hdr_size < 0 || base.bitmap_blocks === 0) throw new VmcoreError("E_NOT_A_DUMP", `${source.name}: sub_hdr_size ${base.sub_hdr_size}, bitmap_blocks ${base.bitmap_blocks}`, { offset: 432 });
    if (blockSize + SUB_HEADER_SIZE > source.size) throw new VmcoreError("E_TRUNCATED", `${source.name}: ends before kdump_sub_header`, { offset: blockSize });
    const s = source.read(blockSize, SUB_HEADER_SIZE);
    const sv = new DataView(s.buffer, s.byteOffset, s.length);
    const u64 = (o: number) => sv.getBigUint64(o, le);
    const sub: DiskDumpHeader["sub"] = {
      phys_base: u64(0), dump_level: sv.getInt32(8, le), split: sv.getInt32(12, le),
      offset_vmcoreinfo: u64(32), size_vmcoreinfo: u64(40), offset_note: u64(48), size_note: u64(56),
      offset_eraseinfo: u64(64), size_eraseinfo: u64(72), start_pfn_64: u64(80), end_pfn_64: u64(88), max_mapnr_64: u64(96),
    };
    this.diskdump = { ...base, sub };
    if (base.status & DUMP_DH.COMPRESSED_INCOMPLETE) {
      this.problems.push({ code: "E_TRUNCATED", severity: "error", message: "the dump is flagged incomplete (DUMP_DH_COMPRESSED_INCOMPLETE): makedumpfile ran out of space" });
    }
    if (sub.split !== 0) this.problems.push({ code: "E_NOT_A_DUMP", severity: "warning", message: "this file is one part of a split dump (--split); pages of other parts are missing" });
    const maxMapnr = Number(base.header_version >= 6 && sub.max_mapnr_64 > 0n && sub.max_mapnr_64 < 1n << 40n ? sub.max_mapnr_64 : BigInt(base.max_mapnr));
    const bitmapOffset = (1 + base.sub_hdr_size) * blockSize;
    const lenBitmap = base.bitmap_blocks * blockSize;
    const descOffset = bitmapOffset + lenBitmap;
    if (descOffset > source.size) throw new VmcoreError("E_TRUNCATED", `${source.name}: the bitmaps end at ${hex(descOffset)}, past the file (${hex(source.size)})`, { offset: descOffset });
    if (Math.ceil(maxMapnr / 8) > lenBitmap / 2) throw new VmcoreError("E_NOT_A_DUMP", `${source.name}: bitmaps of ${lenBitmap} bytes cannot hold 2 × ${maxMapnr} bits`, { offset: 436 });
    this.memory = new CompressedMemory(source, le, blockSize, bitmapOffset + lenBitmap / 2, descOffset, maxMapnr);

    // Notes: a verbatim copy of the dumped kernel's PT_NOTE segment.
    if (sub.size_note > 0n) {
      const offset = Number(sub.offset_note);
      const size = Number(sub.size_note);
      if (size > limits.maxNoteBytes) throw new VmcoreError("E_LIMIT", `limit maxNoteBytes (${limits.maxNoteBytes}) exceeded: the dump declares ${size}`, { offset: 1 * blockSize + 56 });
      if (offset + size > source.size) throw new VmcoreError("E_TRUNCATED", `${source.name}: note copy at ${hex(offset)} + ${size} passes the end`, { offset });
      const segment = parseNotes(source.read(offset, size), le, offset);
      if (segment.notes.length > limits.maxNotes) throw new VmcoreError("E_LIMIT", `limit maxNotes (${limits.maxNotes}) exceeded: the dump declares ${segment.notes.length}`, { offset });
      segment.fileOffset = offset;
      segment.size = size;
      this.noteSegments.push(segment);
      this.notes.push(...segment.notes);
    }
    const infoNote = this.notes.find((n) => n.name === "VMCOREINFO" && n.n_type === 0);
    if (infoNote) this.vmcoreinfoText = new TextDecoder().decode(infoNote.desc).replace(/\0+$/, "");
    else if (sub.size_vmcoreinfo > 0n && sub.offset_vmcoreinfo + sub.size_vmcoreinfo <= BigInt(source.size)) {
      this.vmcoreinfoText = new TextDecoder().decode(source.read(Number(sub.offset_vmcoreinfo), Number(sub.size_vmcoreinfo))).replace(/\0+$/, "");
    }
    if (this.vmcoreinfoText !== undefined) this.vmcoreinfo = parseVmcoreinfo(this.vmcoreinfoText);
    this.arch = archForMachineName(base.utsname.machine);
    this.pageSize = this.vmcoreinfo?.pageSize ?? (blockSize || defaultPageSize(this.arch));
    this.header = {
      ident: { elfClass: 64, littleEndian: le, version: 1, osabi: 0, abiversion: 0 },
      e_type: ET.CORE, e_machine: MACHINE[this.arch] ?? 0, e_version: 1, e_entry: 0n, e_phoff: 0n, e_shoff: 0n, e_flags: 0,
      e_ehsize: 0, e_phentsize: 0, e_phnum: 0, e_shentsize: 0, e_shnum: 0, e_shstrndx: 0,
    };
  }

  readPhysical(address: bigint, length: number): Uint8Array {
    return this.memory.read(address, length);
  }
  readPhysicalInto(target: Uint8Array, address: bigint): void {
    this.memory.readInto(target, address);
  }
  translator(): AddressTranslator {
    this.translatorInstance ??= createTranslator(this, { physBase: this.vmcoreinfo?.numbers.get("phys_base") ?? BigInt.asIntN(64, this.diskdump.sub.phys_base), ...this.options });
    return this.translatorInstance;
  }
  readVirtual(address: bigint, length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) throw new VmcoreError("E_INVALID_ARGUMENT", `bad read length ${length}`, { address });
    const out = new Uint8Array(length);
    readVirtualInto(this.memory, this.translator(), out, address);
    return out;
  }
  translate(virtualAddress: bigint): bigint {
    return this.translator().translate(virtualAddress);
  }
  isPhysicalCovered(address: bigint, length: number): boolean {
    return this.memory.isCovered(address, length);
  }
  readableRanges(): PhysicalRange[] {
    return this.memory.readableRanges();
  }
  pages(): Generator<PageChunk> {
    return this.memory.pages();
  }
  close(): void {
    this.source.close();
  }
}

/**
 * Opens a kdump-compressed file (makedumpfile's default output). `loads` and `programHeaders` are
 * empty (the format has none); the decoded headers are in `diskdump`. zlib pages only.
 * @throws VmcoreError `E_NOT_A_DUMP`, `E_TRUNCATED`, `E_LIMIT`; reads: `E_NOT_IN_DUMP`, `E_BAD_PAGE`, `E_UNSUPPORTED_COMPRESSION` (lzo/snappy/zstd).
 */
export function openDiskDump(source: ByteSource, options: TranslatorOptions & { limits?: Partial<DumpLimits> } = {}): Dump & { readonly diskdump: DiskDumpHeader } {
  return new DiskDump(source, options);
}
