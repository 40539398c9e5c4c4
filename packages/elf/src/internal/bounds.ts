import { ElfError } from "../errors.js";

/** A DataView over exactly the bytes of `bytes` (a subarray keeps its own window). */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Throws `E_TRUNCATED` unless `length` bytes starting at `offset` lie inside `bytes`.
 * `baseOffset` is added to the reported offset so errors name the position in the whole file.
 */
export function need(bytes: Uint8Array, offset: number, length: number, what: string, baseOffset = 0): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > bytes.length) {
    throw new ElfError(
      "E_TRUNCATED",
      `${what} needs ${length} bytes at offset ${baseOffset + offset}, buffer ends at ${baseOffset + bytes.length}`,
      { offset: baseOffset + offset },
    );
  }
}
