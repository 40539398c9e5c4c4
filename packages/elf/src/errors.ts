import { KdumpkitError } from "./internal/kdumpkit-error.js";

/**
 * The closed set of error codes of `@kdumpkit/elf`; each line says what it means and what to do.
 */
export type ElfErrorCode =
  /** The buffer ends before a structure it must hold (header, phdr table, note): pass more bytes. */
  | "E_TRUNCATED"
  /** The first four bytes are not `\x7fELF`: the input is not an ELF file. */
  | "E_BAD_MAGIC"
  /** `EI_CLASS` is neither ELFCLASS32 nor ELFCLASS64. */
  | "E_BAD_CLASS"
  /** `EI_DATA` is neither ELFDATA2LSB nor ELFDATA2MSB. */
  | "E_BAD_DATA"
  /** `EI_VERSION` is not EV_CURRENT (1). */
  | "E_BAD_VERSION"
  /** A header field is inconsistent (e.g. `e_phentsize` too small for the class, PN_XNUM without section 0). */
  | "E_BAD_HEADER"
  /** A table or segment lies (partly) outside the buffer or file it is read from. */
  | "E_OUT_OF_BOUNDS"
  /** A note cannot be encoded or decoded (name too long, bad desc length for its type). */
  | "E_BAD_NOTE"
  /** An elfcorehdr update needs more program header slots than were reserved; the buffer is unchanged. */
  | "E_CAPACITY"
  /** Valid ELF, but not an elfcorehdr in the kernel's layout, or one that can be read two ways: the offset names the field; give the option the message names. */
  | "E_BAD_ELFCOREHDR"
  /** A 64-bit value does not fit in a JavaScript number (above 2^53 - 1) where an offset or size is needed. */
  | "E_TOO_LARGE"
  /** No register layout is known for this machine / byte order. */
  | "E_UNSUPPORTED_ARCH"
  /** An argument given by the caller is invalid (negative count, range end before start, unknown CPU). */
  | "E_INVALID_ARGUMENT";

/** The one error class of `@kdumpkit/elf`: a stable `code` plus the offset or address concerned. */
export class ElfError extends KdumpkitError {
  readonly code: ElfErrorCode;

  constructor(code: ElfErrorCode, message: string, options: { offset?: number; address?: bigint; cause?: unknown } = {}) {
    super(`${code}: ${message}`, options);
    this.code = code;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Converts a 64-bit field to a JavaScript number for use as an offset or size.
 * @throws ElfError `E_TOO_LARGE` when `value` is negative or above 2^53 - 1.
 */
export function toSafeNumber(value: bigint, what: string, offset?: number): number {
  if (value < 0n || value > MAX_SAFE) {
    throw new ElfError("E_TOO_LARGE", `${what} 0x${value.toString(16)} does not fit in 2^53`, offset === undefined ? {} : { offset });
  }
  return Number(value);
}
