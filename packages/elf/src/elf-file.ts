import { PN_XNUM, PT } from "./constants.js";
import { ElfError, toSafeNumber } from "./errors.js";
import { type ElfHeader, parseElfHeader } from "./header.js";
import { type NoteSegment, parseNotes } from "./note.js";
import { type ProgramHeader, parseProgramHeaders, phdrSize } from "./program-header.js";
import { type SectionHeader, parseSectionHeader, shdrSize } from "./section-header.js";

/** A whole ELF file read from one buffer. */
export interface ElfFile {
  header: ElfHeader;
  /** The real program header count (PN_XNUM resolved through section 0's `sh_info`). */
  phnum: number;
  programHeaders: ProgramHeader[];
  /** Section header 0, when `e_shoff` is non-zero. */
  sectionHeader0?: SectionHeader;
  /** The notes of every PT_NOTE segment that lies inside the buffer, in phdr order. */
  noteSegments: NoteSegment[];
  /** What was tolerated, as readelf tolerates it (e.g. section headers past the end of a truncated core). */
  warnings: string[];
}

/** Options of parseElfFile. */
export interface ParseElfFileOptions {
  /**
   * What to do with a PT_NOTE whose `[p_offset, p_offset + p_filesz)` is outside the buffer:
   * "error" (default) throws `E_OUT_OF_BOUNDS`; "skip" leaves it out of `noteSegments` — for an
   * elfcorehdr, whose PT_NOTE offsets are physical addresses, or a header-only prefix of a file.
   */
  outsideNotes?: "error" | "skip";
}

/**
 * Reads the file header, program headers (at `e_phoff`, any position — QEMU puts them after the
 * section headers), section header 0 and the notes of every PT_NOTE segment.
 * @throws ElfError `E_TRUNCATED`, `E_BAD_MAGIC`, `E_BAD_CLASS`, `E_BAD_DATA`, `E_BAD_VERSION`,
 *   `E_BAD_HEADER` (PN_XNUM without section 0, e_phentsize too small), `E_OUT_OF_BOUNDS`
 *   (phdr table, a note segment, or — with PN_XNUM — section 0 past the buffer), `E_TOO_LARGE`.
 */
export function parseElfFile(bytes: Uint8Array, options: ParseElfFileOptions = {}): ElfFile {
  const header = parseElfHeader(bytes);
  const { ident } = header;
  const warnings: string[] = [];
  let sectionHeader0: SectionHeader | undefined;
  if (header.e_shoff !== 0n) {
    // Section 0 matters only for PN_XNUM; a core cut short (or a header-only prefix) may have its
    // section table past the end: like readelf, tolerate that unless the count depends on it.
    const shoff = toSafeNumber(header.e_shoff, "e_shoff", 0);
    if (shoff + shdrSize(ident.elfClass) > bytes.length) {
      if (header.e_phnum === PN_XNUM) {
        throw new ElfError("E_OUT_OF_BOUNDS", `e_phnum is PN_XNUM but section header 0 at ${shoff} is past the end of the buffer (${bytes.length})`, { offset: shoff });
      }
      warnings.push(`section header 0 at ${shoff} is past the end of the buffer (${bytes.length} bytes); ignored`);
    } else {
      sectionHeader0 = parseSectionHeader(bytes.subarray(shoff), ident, shoff);
    }
  }
  let phnum = header.e_phnum;
  if (phnum === PN_XNUM) {
    // gABI extended numbering: the real count lives in section 0's sh_info.
    if (!sectionHeader0) throw new ElfError("E_BAD_HEADER", "e_phnum is PN_XNUM but there is no section header 0 (e_shoff 0)", { offset: 0 });
    phnum = sectionHeader0.sh_info;
  }
  let programHeaders: ProgramHeader[] = [];
  if (phnum > 0) {
    const phoff = toSafeNumber(header.e_phoff, "e_phoff", 0);
    const size = phdrSize(ident.elfClass);
    if (header.e_phentsize < size) {
      throw new ElfError("E_BAD_HEADER", `e_phentsize ${header.e_phentsize} is smaller than Elf${ident.elfClass}_Phdr (${size})`, { offset: 0 });
    }
    const tableEnd = phoff + (phnum - 1) * header.e_phentsize + size;
    if (phoff === 0 || tableEnd > bytes.length) {
      throw new ElfError("E_OUT_OF_BOUNDS", `program header table [${phoff}, ${tableEnd}) is outside the buffer (${bytes.length} bytes)`, { offset: phoff });
    }
    programHeaders = parseProgramHeaders(bytes.subarray(phoff), ident, phnum, phoff, header.e_phentsize);
  }
  const noteSegments: NoteSegment[] = [];
  programHeaders.forEach((ph, index) => {
    if (ph.p_type !== PT.NOTE) return;
    const inside = ph.p_offset + ph.p_filesz <= BigInt(bytes.length);
    if (!inside) {
      if (options.outsideNotes === "skip") return;
      throw new ElfError(
        "E_OUT_OF_BOUNDS",
        `phdr ${index} (PT_NOTE) [0x${ph.p_offset.toString(16)}, +0x${ph.p_filesz.toString(16)}) is outside the buffer (${bytes.length} bytes)`,
        { offset: Number(ph.p_offset > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : ph.p_offset) },
      );
    }
    const start = Number(ph.p_offset);
    const size = Number(ph.p_filesz);
    const segment = parseNotes(bytes.subarray(start, start + size), ident.littleEndian, start);
    noteSegments.push({ ...segment, phdrIndex: index, fileOffset: start, size });
  });
  const file: ElfFile = { header, phnum, programHeaders, noteSegments, warnings };
  if (sectionHeader0) file.sectionHeader0 = sectionHeader0;
  return file;
}
