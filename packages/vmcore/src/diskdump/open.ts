// Opening a kdump-compressed ("diskdump") file, makedumpfile's default output (kdump-formats §4.3):
// disk_dump_header, kdump_sub_header with a copy of the PT_NOTE segment, two page bitmaps, the
// page_desc table and the (compressed) page data. Only the headers, the notes and the 2nd bitmap
// are read at open; pages are read and decompressed on demand, with every compression makedumpfile
// writes (zlib, lzo, snappy, zstd), incomplete dumps and split dumps.
import { ET, EM, parseNotes, parseVmcoreinfo, type ElfHeader, type ElfNote, type NoteSegment, type ProgramHeader, type Vmcoreinfo } from "@kdumpkit/elf";
import type { DumpArch } from "../arch.js";
import type { ByteSource } from "../byte-source.js";
import type { Dump } from "../dump.js";
import { DumpBase } from "../dump-base.js";
import { VmcoreError, hex } from "../errors.js";
import { DEFAULT_LIMITS, type DumpLimits } from "../limits.js";
import type { DumpProblem, LoadSegment } from "../load-segment.js";
import { createTranslator, type TranslatorOptions } from "../translate/index.js";
import type { AddressTranslator } from "../translate/translator.js";
import { PageBitmap } from "./bitmap.js";
import { DEFAULT_DECOMPRESSORS, type PageCompression, type PageDecompressor } from "./decompress.js";
import { DUMP_DH, readDiskDumpHeader, readKdumpSubHeader, type DiskDumpHeader, type KdumpSubHeader } from "./header.js";
import { PAGE_DESC_SIZE, PageDescTable } from "./page-descriptor.js";
import { KdumpPhysicalMemory } from "./physical.js";

/** Options for kdump-compressed dumps (a superset of `openDump`'s options). */
export interface KdumpCompressedOptions extends TranslatorOptions {
  /** Limits against hostile headers (notes); defaults in `DEFAULT_LIMITS`. */
  limits?: Partial<DumpLimits>;
  /**
   * Replace a page decompressor (e.g. a faster native one), or disable one with `null`: its pages
   * then fail with `E_UNSUPPORTED_COMPRESSION`.
   */
  decompressors?: Partial<Record<PageCompression, PageDecompressor | null>>;
  /** Largest 2nd bitmap read at open, in bytes (default 256 MiB: 2^31 pages). Above → `E_LIMIT`. */
  maxBitmapBytes?: number;
}

/** What a kdump-compressed dump says about itself beyond the common `Dump` fields. */
export interface KdumpCompressedInfo {
  header: DiskDumpHeader;
  subHeader: KdumpSubHeader;
  /** The compression named in `header.status` (each page says its own in `page_desc.flags`). */
  compression: PageCompression | "none";
  /** `header.status & DUMP_DH_COMPRESSED_INCOMPLETE`: makedumpfile ran out of space. */
  incomplete: boolean;
  /** Page frames the bitmaps describe (`max_mapnr_64`, or `max_mapnr` before header_version 6). */
  maxMapnr: number;
  /** Pages dumped (set bits of the 2nd bitmap). */
  dumpedPages: number;
  /** File offsets of the layout, for diagnostics. */
  layout: { bitmapOffset: number; bitmapBytes: number; descriptorOffset: number; dataOffset: number };
}

/** A `Dump` opened from a kdump-compressed file; `kdump` holds its own headers. */
export interface KdumpCompressedDump extends Dump {
  readonly format: "kdump-compressed";
  readonly kdump: KdumpCompressedInfo;
}

/** utsname.machine → e_machine and architecture, for the ELF-shaped fields of `Dump`. */
function machineOf(machine: string): { e_machine: number; arch: DumpArch } {
  if (machine === "x86_64") return { e_machine: EM.X86_64, arch: "x86_64" };
  if (machine === "aarch64" || machine === "arm64") return { e_machine: EM.AARCH64, arch: "aarch64" };
  if (machine === "ppc64le") return { e_machine: EM.PPC64, arch: "ppc64le" };
  if (machine === "ppc64") return { e_machine: EM.PPC64, arch: "ppc64" };
  if (machine === "s390x") return { e_machine: EM.S390, arch: "s390x" };
  if (/^i[3-6]86$/.test(machine)) return { e_machine: EM.I386, arch: "i386" };
  if (machine.startsWith("arm")) return { e_machine: EM.ARM, arch: "arm" };
  if (machine === "riscv64") return { e_machine: EM.RISCV, arch: "riscv64" };
  if (machine === "loongarch64") return { e_machine: EM.LOONGARCH, arch: "loongarch64" };
  return { e_machine: 0, arch: machine || "unknown" };
}

function compressionOfStatus(status: number): PageCompression | "none" {
  // makedumpfile's own precedence when it sets the header status.
  if (status & DUMP_DH.COMPRESSED_ZLIB) return "zlib";
  if (status & DUMP_DH.COMPRESSED_LZO) return "lzo";
  if (status & DUMP_DH.COMPRESSED_SNAPPY) return "snappy";
  if (status & DUMP_DH.COMPRESSED_ZSTD) return "zstd";
  return "none";
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

class KdumpDump extends DumpBase<KdumpCompressedOptions> implements KdumpCompressedDump {
  readonly format = "kdump-compressed";
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
  readonly kdump: KdumpCompressedInfo;
  protected readonly physical: KdumpPhysicalMemory;

  constructor(source: ByteSource, options: KdumpCompressedOptions) {
    super(source, options);
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const header = readDiskDumpHeader(source);
    const sub = readKdumpSubHeader(source, header);
    const bs = header.block_size;
    this.littleEndian = header.littleEndian;
    this.pageSize = bs;
    const { e_machine, arch } = machineOf(header.utsname.machine);
    this.arch = arch;
    // The Dump interface speaks ELF; a kdump-compressed file has no ELF header, so this one is
    // synthesized (ET_CORE, the machine from utsname, no program headers).
    this.header = {
      ident: { elfClass: 64, littleEndian: header.littleEndian, version: 1, osabi: 0, abiversion: 0 },
      e_type: ET.CORE,
      e_machine,
      e_version: 1,
      e_entry: 0n,
      e_phoff: 0n,
      e_shoff: 0n,
      e_flags: 0,
      e_ehsize: 0,
      e_phentsize: 0,
      e_phnum: 0,
      e_shentsize: 0,
      e_shnum: 0,
      e_shstrndx: 0,
    };

    // Bitmaps: bitmap_blocks covers both; each half has one bit per pfn below max_mapnr.
    const maxMapnrBig = header.header_version >= 6 && sub.max_mapnr_64 !== undefined ? sub.max_mapnr_64 : BigInt(header.max_mapnr);
    const bitmapOffset = (1 + header.sub_hdr_size) * bs;
    const bitmapBytes = header.bitmap_blocks * bs;
    const half = bitmapBytes / 2;
    if (header.bitmap_blocks === 0 || header.bitmap_blocks % 2 !== 0 || BigInt(half) * 8n < maxMapnrBig) {
      throw new VmcoreError(
        "E_NOT_A_DUMP",
        `${source.name}: bad bitmap size: bitmap_blocks ${header.bitmap_blocks} (${hex(bitmapBytes)} bytes) cannot hold two bitmaps of max_mapnr ${maxMapnrBig} bits`,
        { offset: 436 },
      );
    }
    const maxBitmapBytes = options.maxBitmapBytes ?? 256 << 20;
    if (half > maxBitmapBytes) {
      throw new VmcoreError("E_LIMIT", `limit maxBitmapBytes (${maxBitmapBytes}) exceeded: the dump declares bitmaps of ${half} bytes`, { offset: 436 });
    }
    if (bitmapOffset + bitmapBytes > source.size) {
      throw new VmcoreError("E_TRUNCATED", `${source.name}: bitmaps at ${hex(bitmapOffset)}..${hex(bitmapOffset + bitmapBytes)} pass the end of the file (size ${hex(source.size)})`, {
        offset: Math.max(bitmapOffset, source.size),
      });
    }
    const maxMapnr = Number(maxMapnrBig);
    const dumpable = new PageBitmap(source.read(bitmapOffset + half, half), maxMapnr);
    let pfnRange: [number, number] | undefined;
    if (sub.split !== 0) {
      const start = sub.start_pfn_64 ?? sub.start_pfn;
      const end = sub.end_pfn_64 ?? sub.end_pfn;
      pfnRange = [Number(start < MAX_SAFE ? start : MAX_SAFE), Number(end < MAX_SAFE ? end : MAX_SAFE)];
      this.problems.push({ code: "E_NOT_IN_DUMP", severity: "info", message: `one file of a split dump: pfns ${hex(start)}..${hex(end)}` });
    }
    // Descriptors exist for the dumped pfns of this file's range (all of them unless split).
    const dumpedPages = pfnRange ? Math.max(0, dumpable.rank(pfnRange[1]) - dumpable.rank(pfnRange[0])) : dumpable.setCount;
    const descriptorOffset = bitmapOffset + bitmapBytes;
    const descriptors = new PageDescTable(source, descriptorOffset, dumpedPages, header.littleEndian);
    const dataOffset = descriptorOffset + dumpedPages * PAGE_DESC_SIZE;
    const incomplete = (header.status & DUMP_DH.COMPRESSED_INCOMPLETE) !== 0;
    if (incomplete) {
      this.problems.push({
        code: "E_TRUNCATED",
        severity: "warning",
        message: "status has DUMP_DH_COMPRESSED_INCOMPLETE: makedumpfile ran out of space; pages it did not write are reported as not in the dump",
      });
    } else if (descriptors.available < dumpedPages) {
      this.problems.push({
        code: "E_TRUNCATED",
        severity: "error",
        message: `the file ends inside the page_desc table (${descriptors.available} of ${dumpedPages} descriptors): the file was cut short`,
        offset: source.size,
      });
    }
    this.physical = new KdumpPhysicalMemory({
      source,
      blockSize: bs,
      dumpable,
      ramBitmapOffset: bitmapOffset,
      descriptors,
      dataStart: dataOffset,
      pfnRange,
      incomplete,
      dumpLevel: sub.dump_level,
      decompressors: { ...DEFAULT_DECOMPRESSORS, ...options.decompressors },
    });
    this.kdump = {
      header,
      subHeader: sub,
      compression: compressionOfStatus(header.status),
      incomplete,
      maxMapnr,
      dumpedPages,
      layout: { bitmapOffset, bitmapBytes, descriptorOffset, dataOffset },
    };

    // Notes: a copy of the capture kernel's PT_NOTE segment (header_version ≥ 4).
    if (sub.offset_note !== undefined && sub.size_note !== undefined && sub.size_note > 0n) {
      if (sub.size_note > BigInt(limits.maxNoteBytes)) {
        throw new VmcoreError("E_LIMIT", `limit maxNoteBytes (${limits.maxNoteBytes}) exceeded: the dump declares ${sub.size_note}`, { offset: bs + 56 });
      }
      if (sub.offset_note + sub.size_note > BigInt(source.size)) {
        this.problems.push({
          code: "E_TRUNCATED",
          severity: "error",
          message: `kdump_sub_header: notes at ${hex(sub.offset_note)}+${hex(sub.size_note)} lie outside the file`,
          offset: bs + 48,
        });
      } else {
        const offset = Number(sub.offset_note);
        const size = Number(sub.size_note);
        const segment = parseNotes(source.read(offset, size), header.littleEndian, offset);
        segment.fileOffset = offset;
        segment.size = size;
        if (segment.notes.length > limits.maxNotes) {
          throw new VmcoreError("E_LIMIT", `limit maxNotes (${limits.maxNotes}) exceeded: the dump declares ${segment.notes.length}`, { offset });
        }
        if (segment.end.kind === "truncated" || segment.end.kind === "zero-namesz") {
          this.problems.push({
            code: segment.end.kind === "truncated" ? "E_TRUNCATED" : "E_BAD_NOTE",
            severity: "warning",
            message: `note segment: the walk stopped at ${hex(segment.end.offset)} (${segment.end.kind})`,
            offset: segment.end.offset,
          });
        }
        this.noteSegments.push(segment);
        this.notes.push(...segment.notes);
      }
    }
    const info = this.notes.find((n) => n.name === "VMCOREINFO" && n.n_type === 0);
    let text: string | undefined;
    if (info) text = new TextDecoder().decode(info.desc);
    else if (sub.offset_vmcoreinfo !== undefined && sub.size_vmcoreinfo !== undefined && sub.size_vmcoreinfo > 0n) {
      // header_version 3 files carry VMCOREINFO without the notes around it.
      const end = sub.offset_vmcoreinfo + sub.size_vmcoreinfo;
      if (end <= BigInt(source.size) && sub.size_vmcoreinfo <= BigInt(limits.maxNoteBytes)) {
        text = new TextDecoder().decode(source.read(Number(sub.offset_vmcoreinfo), Number(sub.size_vmcoreinfo)));
      } else {
        this.problems.push({
          code: "E_TRUNCATED",
          severity: "error",
          message: `kdump_sub_header: VMCOREINFO at ${hex(sub.offset_vmcoreinfo)}+${hex(sub.size_vmcoreinfo)} lies outside the file`,
          offset: bs + 32,
        });
      }
    }
    if (text !== undefined) {
      this.vmcoreinfoText = text.replace(/\0+$/, "");
      this.vmcoreinfo = parseVmcoreinfo(this.vmcoreinfoText);
      const ps = this.vmcoreinfo.pageSize;
      if (ps !== undefined && ps !== bs) {
        this.problems.push({ code: "E_NOT_A_DUMP", severity: "warning", message: `VMCOREINFO PAGESIZE ${ps} differs from block_size ${bs}` });
      }
    }
    const prstatus = this.notes.filter((n) => n.name === "CORE" && n.n_type === 1).length;
    if (this.noteSegments.length > 0 && prstatus !== header.nr_cpus) {
      this.problems.push({ code: "E_BAD_NOTE", severity: "warning", message: `nr_cpus is ${header.nr_cpus} but the notes hold ${prstatus} NT_PRSTATUS` });
    }
  }

  protected makeTranslator(): AddressTranslator {
    // makedumpfile stores phys_base in the sub header; VMCOREINFO's NUMBER(phys_base) wins when present.
    const fromSub = this.vmcoreinfo?.numbers.get("phys_base") === undefined ? this.kdump.subHeader.phys_base : undefined;
    const physBase = this.options.physBase ?? fromSub;
    return createTranslator(this, physBase === undefined ? this.options : { ...this.options, physBase });
  }
}

/**
 * Opens a kdump-compressed dump (makedumpfile's default output, any of its compressions) from a
 * source; the caller keeps ownership of `source` until `close()`. kdump-formats §4.3.
 * @throws VmcoreError `E_NOT_A_DUMP` (signature, header_version, block_size, bad bitmap size),
 * `E_TRUNCATED` (header, sub header or bitmaps cut short), `E_LIMIT`, `E_IO`.
 */
export function openKdumpCompressed(source: ByteSource, options: KdumpCompressedOptions = {}): KdumpCompressedDump {
  return new KdumpDump(source, options);
}
