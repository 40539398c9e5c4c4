import { ntName } from "./constants.js";
import { ElfError } from "./errors.js";
import { NHDR_SIZE } from "./header.js";
import { viewOf } from "./internal/bounds.js";

/** One decoded note (`Elf_Nhdr` + name + desc). */
export interface ElfNote {
  /** Offset of the Nhdr: position in the scanned buffer plus `baseOffset`. */
  offset: number;
  n_namesz: number;
  n_descsz: number;
  n_type: number;
  /** The owner name without its terminating NUL. */
  name: string;
  /** The descriptor bytes (a view into the scanned buffer, not a copy). */
  desc: Uint8Array;
  /** `ntName(n_type, name)`, e.g. "NT_PRSTATUS", "VMCOREINFO". */
  typeName: string;
}

/** Why a note walk stopped. Offsets are positions in the scanned buffer plus `baseOffset`. */
export type NoteScanEnd =
  /** Consumed exactly the buffer. */
  | { kind: "end"; offset: number }
  /** 12 zero bytes: the kernel's `final_note`, or a `crash_notes` buffer that was never written. */
  | { kind: "zero-header"; offset: number }
  /** `n_namesz == 0` with other fields non-zero: the kernel (fs/proc/vmcore.c) stops here too. */
  | { kind: "zero-namesz"; offset: number }
  /** A note (or its 12-byte header) runs past the end of the buffer; `needed` is its full size. */
  | { kind: "truncated"; offset: number; needed: number };

/** The notes of one PT_NOTE segment (or any note buffer) and how the walk ended. */
export interface NoteSegment {
  notes: ElfNote[];
  end: NoteScanEnd;
  /** Index of the PT_NOTE program header this segment came from (set by parseElfFile). */
  phdrIndex?: number;
  /** File offset of the segment (set by parseElfFile). */
  fileOffset?: number;
  /** Segment size in bytes (set by parseElfFile). */
  size?: number;
}

/** What encodeNote takes: the owner name (without NUL), the type and the descriptor. */
export interface NoteInput {
  name: string;
  type: number;
  desc: Uint8Array;
}

/** Rounds up to a multiple of 4: the kernel pads name and desc to 4 bytes in ELF64 too. */
function pad4(n: number): number {
  // Arithmetic, not `& ~3`: n_namesz/n_descsz are u32 and bitwise ops would wrap them negative.
  return n + ((4 - (n % 4)) % 4);
}

/**
 * Bytes one note takes on disk: 12 + roundup4(n_namesz) + roundup4(n_descsz).
 * @param n_namesz the name size counting its NUL (5 for "CORE", 11 for "VMCOREINFO").
 * @param n_descsz the descriptor size.
 */
export function noteSize(n_namesz: number, n_descsz: number): number {
  return NHDR_SIZE + pad4(n_namesz) + pad4(n_descsz);
}

const utf8 = new TextDecoder("utf-8", { fatal: false });
const utf8enc = new TextEncoder();

/**
 * Walks notes the way the kernel does (fs/proc/vmcore.c update_note_header_size_elf64, with the
 * 4-byte padding of kernel/crash_core.c append_elf_note, also in ELF64). Never throws on bad
 * data: a zero header, a zero `n_namesz` or a note that overruns the buffer ends the walk and is
 * reported in `end`, so that callers can flag uninitialized `crash_notes`.
 * @param baseOffset added to every reported offset (e.g. the segment's file offset).
 */
export function parseNotes(bytes: Uint8Array, littleEndian: boolean, baseOffset = 0): NoteSegment {
  const v = viewOf(bytes);
  const notes: ElfNote[] = [];
  const len = bytes.length;
  let o = 0;
  for (;;) {
    if (o === len) return { notes, end: { kind: "end", offset: baseOffset + o } };
    if (len - o < NHDR_SIZE) return { notes, end: { kind: "truncated", offset: baseOffset + o, needed: NHDR_SIZE } };
    const n_namesz = v.getUint32(o, littleEndian);
    const n_descsz = v.getUint32(o + 4, littleEndian);
    const n_type = v.getUint32(o + 8, littleEndian);
    if (n_namesz === 0) {
      const kind = n_descsz === 0 && n_type === 0 ? "zero-header" : "zero-namesz";
      return { notes, end: { kind, offset: baseOffset + o } };
    }
    const nameStart = o + NHDR_SIZE;
    const descStart = nameStart + pad4(n_namesz);
    const size = noteSize(n_namesz, n_descsz);
    // The last note's desc padding may be missing at the very end of a segment (readelf accepts
    // that too); everything else must fit.
    if (descStart + n_descsz > len) {
      return { notes, end: { kind: "truncated", offset: baseOffset + o, needed: size } };
    }
    // Search the NUL only inside n_namesz: a name without one must not scan the rest of the segment.
    let nameEnd = nameStart + n_namesz;
    const nul = bytes.subarray(nameStart, nameEnd).indexOf(0);
    if (nul !== -1) nameEnd = nameStart + nul;
    const name = utf8.decode(bytes.subarray(nameStart, nameEnd));
    notes.push({
      offset: baseOffset + o,
      n_namesz,
      n_descsz,
      n_type,
      name,
      desc: bytes.subarray(descStart, descStart + n_descsz),
      typeName: ntName(n_type, name),
    });
    o = Math.min(o + size, len);
  }
}

/**
 * Encodes one note with the kernel's 4-byte padding (name NUL-terminated).
 * @throws ElfError `E_BAD_NOTE` for an empty name or a name containing NUL (readers would stop
 *   there), or an n_type that is not a u32.
 */
export function encodeNote(note: NoteInput, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(encodedNoteSize(note));
  writeNote(out, 0, note, littleEndian);
  return out;
}

function checkType(type: number): void {
  if (!Number.isInteger(type) || type < 0 || type > 0xffffffff) throw new ElfError("E_BAD_NOTE", `n_type ${type} is not a u32`);
}

function nameBytes(name: string): Uint8Array {
  if (name.length === 0) throw new ElfError("E_BAD_NOTE", "a note name may not be empty: n_namesz 0 ends the notes");
  if (name.includes("\0")) throw new ElfError("E_BAD_NOTE", `note name ${JSON.stringify(name)} contains NUL`);
  return utf8enc.encode(name);
}

function encodedNoteSize(note: NoteInput): number {
  checkType(note.type);
  return noteSize(nameBytes(note.name).length + 1, note.desc.length);
}

function writeNote(out: Uint8Array, o: number, note: NoteInput, le: boolean): number {
  const name = nameBytes(note.name);
  const v = viewOf(out);
  v.setUint32(o, name.length + 1, le);
  v.setUint32(o + 4, note.desc.length, le);
  v.setUint32(o + 8, note.type, le);
  out.set(name, o + NHDR_SIZE);
  const descStart = o + NHDR_SIZE + pad4(name.length + 1);
  out.set(note.desc, descStart);
  return descStart + pad4(note.desc.length);
}

/**
 * Encodes notes back to back; with `terminator` a 12-byte zero header follows, like the kernel's
 * `final_note`.
 * @throws ElfError `E_BAD_NOTE` (see encodeNote).
 */
export function encodeNotes(notes: NoteInput[], littleEndian: boolean, options: { terminator?: boolean } = {}): Uint8Array {
  let total = options.terminator ? NHDR_SIZE : 0;
  for (const n of notes) total += encodedNoteSize(n);
  const out = new Uint8Array(total);
  let o = 0;
  for (const n of notes) o = writeNote(out, o, n, littleEndian);
  return out;
}
