/**
 * Limits that protect `openDump` against hostile files (a header may declare millions of program
 * headers or gigabytes of notes). Exceeding one throws `E_LIMIT` naming it.
 */
export interface DumpLimits {
  /** Most program headers read (PN_XNUM allows 2^32). Default 1,048,576 (56 MiB of table). */
  maxProgramHeaders: number;
  /** Most notes parsed over all PT_NOTE segments. Default 1,048,576. */
  maxNotes: number;
  /** Most bytes of PT_NOTE data read (all segments together). Default 64 MiB. */
  maxNoteBytes: number;
}

/** The defaults of {@link DumpLimits}: far above any real machine, far below what would exhaust memory. */
export const DEFAULT_LIMITS: Readonly<DumpLimits> = Object.freeze({
  maxProgramHeaders: 1 << 20,
  maxNotes: 1 << 20,
  maxNoteBytes: 64 << 20,
});
