/** The CLI's exit codes (documented in the package README). */
export const EXIT = {
  /** The command ran and found nothing wrong. */
  OK: 0,
  /** The command ran and reports findings (e.g. `check` found problems). */
  FINDINGS: 1,
  /** Bad input: unreadable or malformed file, bad usage, address not in the dump. */
  BAD_INPUT: 2,
} as const;
