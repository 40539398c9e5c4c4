// Opening an ELF dump (/proc/vmcore copies, makedumpfile -E output, QEMU dump-guest-memory):
// gABI ELF header and program headers, the notes of every PT_NOTE (kdump-formats §3), VMCOREINFO,
// and the physical index of the PT_LOADs. Only the headers and notes are read at open.
import {
  ELF32_EHDR_SIZE,
  ELF64_EHDR_SIZE,
  ElfError,
  ET,
  PN_XNUM,
  PT,
  parseElfHeader,
  parseNotes,
  parseProgramHeaders,
  parseSectionHeader,
  parseVmcoreinfo,
  type ElfHeader,
  type ElfNote,
  type NoteSegment,
  type ProgramHeader,
  type Vmcoreinfo,
} from "@kdumpkit/elf";
import { archForMachine, defaultPageSize, type DumpArch } from "./arch.js";
import { type ByteSource, openFileSource } from "./byte-source.js";
import { type KdumpCompressedOptions, openKdumpCompressed } from "./diskdump/open.js";
import { looksLikeKdumpCompressed } from "./diskdump/header.js";
import { type FlattenedOptions, looksLikeFlattened, openFlattenedSource } from "./flattened.js";
import type { Dump } from "./dump.js";
import { DumpBase } from "./dump-base.js";
import { VmcoreError, hex } from "./errors.js";
import { DEFAULT_LIMITS, type DumpLimits } from "./limits.js";
import { phdrName } from "./internal/phdr-name.js";
import type { DumpProblem, LoadSegment } from "./load-segment.js";
import { buildPhysicalIndex, type PhysicalIndex } from "./physical.js";
import { createTranslator, type TranslatorOptions } from "./translate/index.js";
import type { AddressTranslator } from "./translate/translator.js";

/** Options of {@link openDump}. */
export interface OpenDumpOptions extends TranslatorOptions {
  /** Limits against hostile headers (defaults in `DEFAULT_LIMITS`). */
  limits?: Partial<DumpLimits>;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Rethrows an ElfError from header decoding as the VmcoreError a dump reader promises. */
function wrapElf(error: unknown, what: string): never {
  if (error instanceof ElfError) {
    const code = error.code === "E_TRUNCATED" || error.code === "E_OUT_OF_BOUNDS" ? "E_TRUNCATED" : "E_NOT_A_DUMP";
    throw new VmcoreError(code, `${what}: ${error.message}`, { offset: error.offset, cause: error });
  }
  throw error;
}

function limitError(name: keyof DumpLimits, value: number, limit: number, offset?: number): VmcoreError {
  return new VmcoreError("E_LIMIT", `limit ${name} (${limit}) exceeded: the dump declares ${value}`, { offset });
}

class ElfDump extends DumpBase<OpenDumpOptions> implements Dump {
  readonly format = "elf";
  readonly header: ElfHeader;
  readonly programHeaders: ProgramHeader[];
  readonly loads: LoadSegment[];
  readonly noteSegments: NoteSegment[];
  readonly notes: ElfNote[];
  readonly vmcoreinfo: Vmcoreinfo | undefined;
  readonly vmcoreinfoText: string | undefined;
  readonly arch: DumpArch;
  readonly littleEndian: boolean;
  readonly pageSize: number;
  readonly problems: DumpProblem[];
  protected readonly physical: PhysicalIndex;

  constructor(source: ByteSource, options: OpenDumpOptions) {
    super(source, options);
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const problems: DumpProblem[] = [];
    this.problems = problems;

    if (source.size < 16) throw new VmcoreError("E_NOT_A_DUMP", `${source.name} is ${source.size} bytes: too short for an ELF header`, { offset: 0 });
    let header: ElfHeader;
    try {
      header = parseElfHeader(source.read(0, Math.min(source.size, ELF64_EHDR_SIZE)));
    } catch (error) {
      wrapElf(error, `${source.name}: ELF header`);
    }
    this.header = header;
    const { ident } = header;
    this.littleEndian = ident.littleEndian;
    if (header.e_type !== ET.CORE) {
      throw new VmcoreError("E_NOT_A_DUMP", `${source.name}: e_type is ${header.e_type}, not ET_CORE (4)`, { offset: 16 });
    }
    const ehsize = ident.elfClass === 64 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE;
    if (source.size < ehsize) throw new VmcoreError("E_TRUNCATED", `${source.name}: file ends inside the ELF header`, { offset: source.size });
    this.arch = archForMachine(header.e_machine, ident.littleEndian);

    // Program headers (PN_XNUM: the real count is sh_info of section header 0).
    const phoff = this.fileNumber(header.e_phoff, "e_phoff", ident.elfClass === 64 ? 32 : 28);
    let phnum = header.e_phnum;
    if (phnum === PN_XNUM) {
      const shoff = this.fileNumber(header.e_shoff, "e_shoff (PN_XNUM)", ident.elfClass === 64 ? 40 : 32);
      const shsize = ident.elfClass === 64 ? 64 : 40;
      if (shoff === 0 || shoff + shsize > source.size) {
        throw new VmcoreError("E_TRUNCATED", `${source.name}: e_phnum is PN_XNUM but section header 0 at ${hex(shoff)} is not in the file`, { offset: shoff });
      }
      try {
        phnum = parseSectionHeader(source.read(shoff, shsize), ident).sh_info;
      } catch (error) {
        wrapElf(error, `${source.name}: section header 0`);
      }
    }
    if (phnum > limits.maxProgramHeaders) throw limitError("maxProgramHeaders", phnum, limits.maxProgramHeaders, phoff);
    const phentsize = header.e_phentsize;
    const minEntry = ident.elfClass === 64 ? 56 : 32;
    if (phnum > 0 && phentsize < minEntry) {
      throw new VmcoreError("E_NOT_A_DUMP", `${source.name}: e_phentsize ${phentsize} is smaller than Elf${ident.elfClass}_Phdr (${minEntry})`, { offset: ident.elfClass === 64 ? 54 : 42 });
    }
    const tableSize = phnum === 0 ? 0 : (phnum - 1) * phentsize + minEntry;
    if (phoff + tableSize > source.size) {
      throw new VmcoreError("E_TRUNCATED", `${source.name}: ${phnum} program headers at ${hex(phoff)} run past the end of the file (size ${hex(source.size)})`, {
        offset: phoff,
      });
    }
    try {
      this.programHeaders = parseProgramHeaders(source.read(phoff, tableSize), ident, phnum, phoff, phentsize);
    } catch (error) {
      wrapElf(error, `${source.name}: program headers`);
    }
    if (phnum === 0) problems.push({ code: "E_NOT_A_DUMP", severity: "warning", message: "the dump has no program headers", offset: phoff });

    // Notes, grouped per PT_NOTE.
    this.noteSegments = [];
    this.notes = [];
    let noteBytes = 0;
    this.programHeaders.forEach((ph, index) => {
      if (ph.p_type !== PT.NOTE) return;
      const at = phoff + index * phentsize;
      if (ph.p_filesz === 0n) {
        this.noteSegments.push({ notes: [], end: { kind: "end", offset: 0 }, phdrIndex: index, fileOffset: 0, size: 0 });
        return;
      }
      if (ph.p_offset > MAX_SAFE || ph.p_filesz > MAX_SAFE || ph.p_offset + ph.p_filesz > BigInt(source.size)) {
        problems.push({
          code: "E_TRUNCATED",
          severity: "error",
          message: `${phdrName(index, "PT_NOTE")}: file range ${hex(ph.p_offset)} + ${hex(ph.p_filesz)} lies outside the file (size ${hex(source.size)})`,
          offset: at,
          phdrIndex: index,
        });
        if (ph.p_offset >= BigInt(source.size)) return;
      }
      const offset = Number(ph.p_offset);
      const size = Math.min(Number(ph.p_filesz < MAX_SAFE ? ph.p_filesz : MAX_SAFE), source.size - offset);
      noteBytes += size;
      if (noteBytes > limits.maxNoteBytes) throw limitError("maxNoteBytes", noteBytes, limits.maxNoteBytes, offset);
      const segment = parseNotes(source.read(offset, size), ident.littleEndian, offset);
      segment.phdrIndex = index;
      segment.fileOffset = offset;
      segment.size = size;
      if (this.notes.length + segment.notes.length > limits.maxNotes) {
        throw limitError("maxNotes", this.notes.length + segment.notes.length, limits.maxNotes, offset);
      }
      if (segment.end.kind === "truncated") {
        problems.push({
          code: "E_TRUNCATED",
          severity: "warning",
          message: `${phdrName(index, "PT_NOTE")}: the note at ${hex(segment.end.offset)} needs ${segment.end.needed} bytes and runs past the segment`,
          offset: segment.end.offset,
          phdrIndex: index,
        });
      } else if (segment.end.kind === "zero-namesz") {
        problems.push({
          code: "E_BAD_NOTE",
          severity: "warning",
          message: `${phdrName(index, "PT_NOTE")}: a note header at ${hex(segment.end.offset)} has n_namesz 0 with other fields set; the walk stops there as the kernel's does`,
          offset: segment.end.offset,
          phdrIndex: index,
        });
      }
      this.noteSegments.push(segment);
      for (const note of segment.notes) this.notes.push(note);
    });

    const infos = this.notes.filter((n) => n.name === "VMCOREINFO" && n.n_type === 0);
    if (infos.length > 1) {
      problems.push({ code: "E_BAD_NOTE", severity: "warning", message: `${infos.length} VMCOREINFO notes; the first is used`, offset: infos[1]!.offset });
    }
    const info = infos[0];
    if (info) {
      this.vmcoreinfoText = new TextDecoder().decode(info.desc).replace(/\0+$/, "");
      this.vmcoreinfo = parseVmcoreinfo(this.vmcoreinfoText);
    }
    const ps = this.vmcoreinfo?.pageSize;
    this.pageSize = ps !== undefined && ps > 0 && (ps & (ps - 1)) === 0 ? ps : defaultPageSize(this.arch);

    // PT_LOADs → physical index.
    this.loads = [];
    this.programHeaders.forEach((ph, index) => {
      if (ph.p_type !== PT.LOAD) return;
      this.loads.push({
        index,
        paddr: ph.p_paddr,
        vaddr: ph.p_vaddr,
        fileOffset: ph.p_offset > MAX_SAFE ? Number.MAX_SAFE_INTEGER : Number(ph.p_offset),
        filesz: ph.p_filesz,
        memsz: ph.p_memsz,
        flags: ph.p_flags,
        readable: false,
      });
    });
    this.physical = buildPhysicalIndex(source, this.loads, problems);
  }

  private fileNumber(value: bigint, what: string, fieldOffset: number): number {
    if (value > MAX_SAFE) throw new VmcoreError("E_TRUNCATED", `${this.source.name}: ${what} ${hex(value)} is beyond any file`, { offset: fieldOffset });
    return Number(value);
  }

  protected makeTranslator(): AddressTranslator {
    return createTranslator(this, this.options);
  }
}

/** True when `bytes` (the first bytes of a file) start with the ELF magic. */
export function looksLikeElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/**
 * Opens an ELF core dump from a source (the caller keeps ownership of `source` until `close()`).
 * @throws VmcoreError `E_NOT_A_DUMP`, `E_TRUNCATED`, `E_LIMIT`, `E_IO`.
 */
export function openElfDump(source: ByteSource, options: OpenDumpOptions = {}): Dump {
  return new ElfDump(source, options);
}

/**
 * Opens a dump file (or source): ELF cores (ELF64/ELF32, either byte order), kdump-compressed
 * files (makedumpfile: zlib, lzo, snappy, zstd) and makedumpfile's flattened files (-F, read in
 * place). Reads only the headers and notes; memory is read on demand.
 * @throws VmcoreError `E_NOT_A_DUMP`, `E_TRUNCATED`, `E_LIMIT`, `E_IO`.
 */
export function openDump(pathOrSource: string | ByteSource, options: OpenDumpOptions & KdumpCompressedOptions & FlattenedOptions = {}): Dump {
  const source = typeof pathOrSource === "string" ? openFileSource(pathOrSource) : pathOrSource;
  try {
    const magic = source.read(0, Math.min(16, source.size));
    if (looksLikeElf(magic)) return openElfDump(source, options);
    if (looksLikeKdumpCompressed(magic)) return openKdumpCompressed(source, options);
    if (looksLikeFlattened(magic)) {
      // makedumpfile -F: its records are indexed (no -R rewrite) and the dump inside opened in place.
      const inner = openFlattenedSource(source, options);
      const head = inner.read(0, Math.min(16, inner.size));
      if (looksLikeElf(head)) return openElfDump(inner, options);
      if (looksLikeKdumpCompressed(head)) return openKdumpCompressed(inner, options);
      throw new VmcoreError("E_NOT_A_DUMP", `${inner.name} holds neither an ELF core nor a kdump-compressed dump`, { offset: 0 });
    }
    throw new VmcoreError("E_NOT_A_DUMP", `${source.name} is neither an ELF core nor a kdump-compressed dump`, { offset: 0 });
  } catch (error) {
    if (typeof pathOrSource === "string") source.close();
    throw error;
  }
}
