// The 40-byte FDT header (devicetree spec §5.2, libfdt fdt.h). Every field is a big-endian u32.
import { fail } from "./errors.js";
import { Parser } from "./internal/binary-parser.js";

/** The FDT magic number, `0xd00dfeed`. */
export const FDT_MAGIC = 0xd00dfeed;
/** The version this library writes (libfdt FDT_LAST_SUPPORTED_VERSION). */
export const FDT_LAST_SUPPORTED_VERSION = 17;
/** The last_comp_version written with version 17 (libfdt FDT_LAST_COMPATIBLE_VERSION). */
export const FDT_LAST_COMPATIBLE_VERSION = 16;
/** The oldest version read (libfdt FDT_FIRST_SUPPORTED_VERSION). */
export const FDT_FIRST_SUPPORTED_VERSION = 2;
/** Size of a version-17 header. */
export const FDT_V17_HEADER_SIZE = 40;
/** Size of one memory reservation entry `{be64 address, be64 size}`. */
export const FDT_RESERVE_ENTRY_SIZE = 16;

/** The FDT header with the spec's field names. Fields a version lacks read as 0. */
export interface FdtHeader {
  magic: number;
  totalsize: number;
  off_dt_struct: number;
  off_dt_strings: number;
  off_mem_rsvmap: number;
  version: number;
  last_comp_version: number;
  /** v2+. */
  boot_cpuid_phys: number;
  /** v3+. */
  size_dt_strings: number;
  /** v17+. */
  size_dt_struct: number;
}

/** Header size for a version (libfdt `fdt_header_size_`): v1 28, v2 32, v3..16 36, v17+ 40. */
export function headerSize(version: number): number {
  if (version <= 1) return 28;
  if (version <= 2) return 32;
  if (version < 17) return 36;
  return FDT_V17_HEADER_SIZE;
}

const headerParser = new Parser()
  .endianness("big")
  .uint32("magic")
  .uint32("totalsize")
  .uint32("off_dt_struct")
  .uint32("off_dt_strings")
  .uint32("off_mem_rsvmap")
  .uint32("version")
  .uint32("last_comp_version")
  .uint32("boot_cpuid_phys")
  .uint32("size_dt_strings")
  .uint32("size_dt_struct");

/**
 * Decodes the header fields without judging them (see `checkHeader` for that).
 * Throws FDT_ERR_TRUNCATED when the bytes cannot hold the header of the version they claim,
 * FDT_ERR_BADMAGIC when the magic is wrong.
 */
export function readHeader(bytes: Uint8Array): FdtHeader {
  if (bytes.length < 28) fail("FDT_ERR_TRUNCATED", `${bytes.length} bytes cannot hold an FDT header`, 0);
  let padded = bytes;
  if (bytes.length < FDT_V17_HEADER_SIZE) {
    padded = new Uint8Array(FDT_V17_HEADER_SIZE);
    padded.set(bytes);
  }
  let h: FdtHeader;
  try {
    h = headerParser.parse(padded.subarray(0, FDT_V17_HEADER_SIZE)) as FdtHeader;
  } catch (cause) {
    fail("FDT_ERR_TRUNCATED", `cannot decode the FDT header: ${(cause as Error).message}`, 0);
  }
  if (h.magic !== FDT_MAGIC) fail("FDT_ERR_BADMAGIC", `magic 0x${h.magic.toString(16)} is not 0xd00dfeed`, 0);
  const size = headerSize(h.version);
  if (bytes.length < size) fail("FDT_ERR_TRUNCATED", `a version ${h.version} header needs ${size} bytes`, 0);
  // Fields a version does not have are not part of its header: read them as 0.
  if (h.version < 2) h.boot_cpuid_phys = 0;
  if (h.version < 3) h.size_dt_strings = 0;
  if (h.version < 17) h.size_dt_struct = 0;
  return h;
}

/** Writes a version-17 header into `bytes` at offset 0 (big-endian). */
export function writeHeader(bytes: Uint8Array, h: FdtHeader): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset, FDT_V17_HEADER_SIZE);
  v.setUint32(0, h.magic);
  v.setUint32(4, h.totalsize);
  v.setUint32(8, h.off_dt_struct);
  v.setUint32(12, h.off_dt_strings);
  v.setUint32(16, h.off_mem_rsvmap);
  v.setUint32(20, h.version);
  v.setUint32(24, h.last_comp_version);
  v.setUint32(28, h.boot_cpuid_phys);
  v.setUint32(32, h.size_dt_strings);
  v.setUint32(36, h.size_dt_struct);
}
