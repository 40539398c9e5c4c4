import { type ElfNote, type NoteSegment, isAllZero, parsePrstatus, prstatusArchForMachine, prstatusSize } from "@kdumpkit/elf";
import { describeElfcorehdr, type NoteSlot } from "./elfcorehdr-view.js";
import type { AnalyzerInput } from "./input.js";
import { type Hex, hex, SCHEMA_VERSION } from "./json.js";

/** The verdict on one note (issue item 2). */
export type NoteVerdict = "valid" | "uninitialized" | "truncated" | "malformed" | "not-in-file";

/** One note, or one place where a note segment ended abnormally. */
export interface NoteRow {
  /** Index of the note segment (PT_NOTE) in file order. */
  segment: number;
  /** Program header index of that segment, when known. */
  phdrIndex: number | null;
  /** File offset of the note header; null for a bare elfcorehdr's slot, whose note is not in the file. */
  offset: number | null;
  /** Physical address of a bare elfcorehdr's note slot (its PT_NOTE `p_offset`); null for a note in a dump. */
  address: Hex | null;
  owner: string;
  type: number;
  /** Named type: `NT_PRSTATUS`, `VMCOREINFO`, `QEMU`… */
  typeName: string;
  /** n_descsz. */
  size: number;
  verdict: NoteVerdict;
  /** Why the verdict is not `valid`. */
  detail: string | null;
  /** For NT_PRSTATUS: pr_pid, program counter and stack pointer. */
  pid: number | null;
  pc: Hex | null;
  sp: Hex | null;
}

/** `kdumpkit notes --json`. */
export interface NotesReport {
  schemaVersion: number;
  command: "notes";
  file: string;
  /** True for a bare elfcorehdr: rows are its PT_NOTE slots, whose contents live in old memory. */
  bareElfcorehdr: boolean;
  notes: NoteRow[];
  /** Count of rows per verdict. */
  verdicts: Record<NoteVerdict, number>;
}

/** Builds the `notes` report: every note with its segment, owner, named type, size and verdict (issue item 2). */
export function notes(input: AnalyzerInput): NotesReport {
  const rows: NoteRow[] = [];
  if (input.kind === "elfcorehdr") {
    const description = describeElfcorehdr(input.bytes, input.header, input.programHeaders);
    description.noteSlots.forEach((slot, k) => rows.push(slotRow(slot, k)));
  } else {
    const dump = input.dump;
    const arch = prstatusArchForMachine(dump.header.e_machine, dump.littleEndian);
    dump.noteSegments.forEach((segment, k) => rows.push(...segmentRows(segment, k, arch)));
  }
  const verdicts: Record<NoteVerdict, number> = { valid: 0, uninitialized: 0, truncated: 0, malformed: 0, "not-in-file": 0 };
  for (const row of rows) verdicts[row.verdict]++;
  return { schemaVersion: SCHEMA_VERSION, command: "notes", file: input.path, bareElfcorehdr: input.kind === "elfcorehdr", notes: rows, verdicts };
}

function slotRow(slot: NoteSlot, k: number): NoteRow {
  return {
    segment: k,
    phdrIndex: slot.phdrIndex,
    offset: null,
    address: slot.address,
    owner: slot.kind === "cpu" ? "CORE" : "VMCOREINFO",
    type: slot.kind === "cpu" ? 1 : 0,
    typeName: slot.kind === "cpu" ? `crash_notes slot (CPU ${slot.cpuOrdinal})` : "VMCOREINFO slot",
    size: slot.size,
    verdict: "not-in-file",
    detail: `bare elfcorehdr: the ${slot.size}-byte buffer is in old memory at physical ${slot.address}`,
    pid: null,
    pc: null,
    sp: null,
  };
}

/** Rows for one parsed note segment: its notes, then a row for an abnormal end. */
export function segmentRows(segment: NoteSegment, k: number, arch: ReturnType<typeof prstatusArchForMachine>): NoteRow[] {
  const rows = segment.notes.map((note) => noteRow(note, k, segment.phdrIndex ?? null, arch));
  const end = segment.end;
  const base = { segment: k, phdrIndex: segment.phdrIndex ?? null, offset: end.offset, address: null, owner: "", type: 0, typeName: "", size: 0, pid: null, pc: null, sp: null };
  if (end.kind === "zero-header") {
    // A zero header where the segment still has room: an uninitialized buffer or the kernel's
    // final_note. At the very end of a segment it is the normal terminator of a crash_notes buffer.
    const segmentEnd = segment.fileOffset !== undefined && segment.size !== undefined ? segment.fileOffset + segment.size : undefined;
    if (segment.notes.length === 0 || (segmentEnd !== undefined && segmentEnd - end.offset > 12)) {
      rows.push({ ...base, typeName: "(empty)", verdict: "uninitialized", detail: "zero note header: an uninitialized crash_notes buffer (offline or unresponsive CPU)" });
    }
  } else if (end.kind === "zero-namesz") {
    rows.push({ ...base, typeName: "(empty)", verdict: "uninitialized", detail: "n_namesz is 0: the kernel stops reading the segment here" });
  } else if (end.kind === "truncated") {
    rows.push({ ...base, typeName: "(truncated)", verdict: "truncated", detail: `a note runs past the end of its segment (needs ${end.needed} bytes)` });
  }
  return rows;
}

function noteRow(note: ElfNote, segment: number, phdrIndex: number | null, arch: ReturnType<typeof prstatusArchForMachine>): NoteRow {
  const row: NoteRow = {
    segment,
    phdrIndex,
    offset: note.offset,
    address: null,
    owner: note.name,
    type: note.n_type,
    typeName: note.typeName,
    size: note.n_descsz,
    verdict: "valid",
    detail: null,
    pid: null,
    pc: null,
    sp: null,
  };
  const badName = nameProblem(note);
  if (badName !== null) {
    row.verdict = "malformed";
    row.detail = badName;
    return row;
  }
  if (note.name === "CORE" && note.n_type === 1 && arch) {
    const expected = prstatusSize(arch);
    if (note.n_descsz !== expected) {
      row.verdict = "malformed";
      row.detail = `NT_PRSTATUS of ${note.n_descsz} bytes, ${arch} needs ${expected}`;
    } else if (isAllZero(note.desc)) {
      row.verdict = "uninitialized";
      row.detail = "all-zero NT_PRSTATUS: the CPU never saved its registers";
    } else {
      try {
        const p = parsePrstatus(note.desc, arch);
        row.pid = p.pr_pid;
        row.pc = hex(p.pc);
        row.sp = hex(p.sp);
      } catch (error) {
        row.verdict = "malformed";
        row.detail = (error as Error).message;
      }
    }
  } else if (note.name === "VMCOREINFO" && note.n_type === 0 && note.n_descsz === 0) {
    row.verdict = "malformed";
    row.detail = "empty VMCOREINFO";
  }
  return row;
}

/**
 * Why a note's name does not fill `n_namesz` exactly with its NUL last, or null when it does.
 * n_namesz counts the terminating NUL (reference §3.1) and readers compare the owner name with that
 * NUL included — makedumpfile compares "CORE\0", 5 bytes (§4.1) — so a name that is not terminated
 * inside n_namesz, or that ends before it, does not name the owner it appears to name.
 */
function nameProblem(note: ElfNote): string | null {
  // ElfNote.desc is a view into the scanned buffer that starts right after the padded name, so the
  // raw name bytes sit just before it; the decoded `name` cannot tell a missing NUL from a present one.
  const nameStart = note.desc.byteOffset - Math.ceil(note.n_namesz / 4) * 4;
  const raw = new Uint8Array(note.desc.buffer, nameStart, note.n_namesz);
  const nul = raw.indexOf(0);
  if (nul === -1) return `n_namesz ${note.n_namesz} holds no NUL: the name "${note.name}" is not terminated (owner names are compared with their NUL)`;
  if (nul !== note.n_namesz - 1) return `n_namesz ${note.n_namesz} disagrees with the name "${note.name}", which takes ${nul + 1} bytes with its NUL`;
  return null;
}
