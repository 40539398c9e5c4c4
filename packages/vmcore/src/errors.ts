import { KdumpkitError } from "@kdumpkit/elf";

/**
 * The closed set of error codes of `@kdumpkit/vmcore`; each line says what it means and what to do.
 */
export type VmcoreErrorCode =
  /** A physical or virtual read touches a byte no readable PT_LOAD covers (`address` = first such byte). */
  | "E_NOT_IN_DUMP"
  /** The file (or buffer) ends before a structure or a segment's data: the dump was cut short. */
  | "E_TRUNCATED"
  /** A PT_LOAD is unusable (file range outside the file, `p_filesz > p_memsz`, address overflow); reads in it are refused. */
  | "E_BAD_SEGMENT"
  /** Two PT_LOADs overlap in physical memory and neither contains the other; reads in the overlap are refused. */
  | "E_OVERLAP"
  /** The input is not a dump this package reads (not an ELF core, unknown signature, bad header). */
  | "E_NOT_A_DUMP"
  /** A virtual address has no translation: not canonical, or a page-table entry is not present. */
  | "E_NO_TRANSLATION"
  /** The operation needs VMCOREINFO (or one of its keys) and the dump has none. */
  | "E_NO_VMCOREINFO"
  /** The operating system refused a read or write (the `cause` holds the system error). */
  | "E_IO"
  /** A 64-bit value does not fit in a JavaScript number where an offset or size is needed. */
  | "E_TOO_LARGE"
  /** The dump declares more of something than the configured limit allows (the message names the limit). */
  | "E_LIMIT"
  /** No address translation is implemented for this architecture. */
  | "E_UNSUPPORTED_ARCH"
  /** An argument given by the caller is invalid (negative length, closed source…). */
  | "E_INVALID_ARGUMENT"
  /** A kdump-compressed page could not be decompressed, or its descriptor is inconsistent. */
  | "E_BAD_PAGE"
  /** A kdump-compressed page uses a compression this build cannot decode (the message names it). */
  | "E_UNSUPPORTED_COMPRESSION";

/** The one error class of `@kdumpkit/vmcore`: a stable `code` plus the file offset or address concerned. */
export class VmcoreError extends KdumpkitError {
  readonly code: VmcoreErrorCode;

  constructor(
    code: VmcoreErrorCode,
    message: string,
    options: { offset?: number; address?: bigint; cause?: unknown } = {},
  ) {
    super(`${code}: ${message}`, options);
    this.code = code;
  }
}

/** `0x…` rendering of an address for messages. */
export function hex(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Converts a 64-bit value to a JavaScript number for use as an offset or size.
 * @throws VmcoreError `E_TOO_LARGE` when negative or above 2^53 - 1.
 */
export function safeNumber(value: bigint, what: string, offset?: number): number {
  if (value < 0n || value > MAX_SAFE) {
    throw new VmcoreError("E_TOO_LARGE", `${what} ${hex(value)} does not fit in 2^53`, offset === undefined ? {} : { offset });
  }
  return Number(value);
}
