// disk_dump_header and kdump_sub_header of the kdump-compressed format (makedumpfile's
// diskdump_mod.h; kdump-formats §4.3). Both are written in the byte order of the machine that ran
// makedumpfile, with the LP64 layout. Field names are the C names, verbatim.
import type { ByteSource } from "../byte-source.js";
import { VmcoreError, hex } from "../errors.js";

/** `disk_dump_header.signature`: "KDUMP" and three spaces, no NUL. */
export const KDUMP_SIGNATURE = "KDUMP   ";
/** Size of `struct disk_dump_header` on LP64. */
export const DISK_DUMP_HEADER_SIZE = 464;
/** Size of `struct kdump_sub_header` (header_version 6) on LP64. */
export const KDUMP_SUB_HEADER_SIZE = 104;

/** Bits of `disk_dump_header.status` and `page_desc.flags` (diskdump_mod.h `DUMP_DH_*`). */
export const DUMP_DH = {
  COMPRESSED_ZLIB: 0x1,
  COMPRESSED_LZO: 0x2,
  COMPRESSED_SNAPPY: 0x4,
  /** Header status only: makedumpfile ran out of space; unwritten descriptors read as zero. */
  COMPRESSED_INCOMPLETE: 0x8,
  EXCLUDED_VMEMMAP: 0x10,
  COMPRESSED_ZSTD: 0x20,
} as const;

/** `struct new_utsname` as copied into the header (six 65-byte strings). */
export interface DiskDumpUtsname {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  domainname: string;
}

/** `struct disk_dump_header` (LP64). */
export interface DiskDumpHeader {
  signature: string;
  header_version: number;
  utsname: DiskDumpUtsname;
  timestamp: { tv_sec: bigint; tv_usec: bigint };
  status: number;
  block_size: number;
  sub_hdr_size: number;
  bitmap_blocks: number;
  max_mapnr: number;
  total_ram_blocks: number;
  device_blocks: number;
  written_blocks: number;
  current_cpu: number;
  nr_cpus: number;
  /** Byte order the header was written in (detected from `header_version`). */
  littleEndian: boolean;
}

/** `struct kdump_sub_header` (LP64); fields absent in older `header_version`s are undefined. */
export interface KdumpSubHeader {
  phys_base: bigint;
  dump_level: number;
  split: number;
  start_pfn: bigint;
  end_pfn: bigint;
  /** header_version ≥ 3. */
  offset_vmcoreinfo?: bigint;
  size_vmcoreinfo?: bigint;
  /** header_version ≥ 4. */
  offset_note?: bigint;
  size_note?: bigint;
  /** header_version ≥ 5. */
  offset_eraseinfo?: bigint;
  size_eraseinfo?: bigint;
  /** header_version ≥ 6. */
  start_pfn_64?: bigint;
  end_pfn_64?: bigint;
  max_mapnr_64?: bigint;
}

/** True when `bytes` start with the kdump-compressed signature "KDUMP   ". */
export function looksLikeKdumpCompressed(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== KDUMP_SIGNATURE.charCodeAt(i)) return false;
  return true;
}

function cString(bytes: Uint8Array, offset: number, length: number): string {
  const field = bytes.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return new TextDecoder().decode(nul === -1 ? field : field.subarray(0, nul));
}

/**
 * Reads and checks `struct disk_dump_header` at offset 0 (kdump-formats §4.3).
 * @throws VmcoreError `E_NOT_A_DUMP` (signature, header_version, block_size), `E_TRUNCATED`.
 */
export function readDiskDumpHeader(source: ByteSource): DiskDumpHeader {
  if (source.size < DISK_DUMP_HEADER_SIZE) {
    throw new VmcoreError("E_TRUNCATED", `${source.name}: ${source.size} bytes, too short for disk_dump_header (${DISK_DUMP_HEADER_SIZE})`, {
      offset: source.size,
    });
  }
  const b = source.read(0, DISK_DUMP_HEADER_SIZE);
  if (!looksLikeKdumpCompressed(b)) throw new VmcoreError("E_NOT_A_DUMP", `${source.name}: no "KDUMP   " signature`, { offset: 0 });
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  // The header is in the writer's byte order; header_version is a small number (1..6 so far).
  const versionLe = v.getInt32(8, true);
  const littleEndian = versionLe > 0 && versionLe < 0x10000;
  const le = littleEndian;
  const header_version = v.getInt32(8, le);
  if (header_version <= 0 || header_version >= 0x10000) {
    throw new VmcoreError("E_NOT_A_DUMP", `${source.name}: header_version ${header_version} is not a kdump-compressed version`, { offset: 8 });
  }
  const u = (o: number): string => cString(b, 12 + o * 65, 65);
  const header: DiskDumpHeader = {
    signature: KDUMP_SIGNATURE,
    header_version,
    utsname: { sysname: u(0), nodename: u(1), release: u(2), version: u(3), machine: u(4), domainname: u(5) },
    timestamp: { tv_sec: v.getBigInt64(408, le), tv_usec: v.getBigInt64(416, le) },
    status: v.getUint32(424, le),
    block_size: v.getInt32(428, le),
    sub_hdr_size: v.getInt32(432, le),
    bitmap_blocks: v.getUint32(436, le),
    max_mapnr: v.getUint32(440, le),
    total_ram_blocks: v.getUint32(444, le),
    device_blocks: v.getUint32(448, le),
    written_blocks: v.getUint32(452, le),
    current_cpu: v.getUint32(456, le),
    nr_cpus: v.getInt32(460, le),
    littleEndian,
  };
  const bs = header.block_size;
  // block_size is the page size of the dumped kernel: a power of two (512 B .. 1 MiB covers every arch).
  if (bs < 512 || bs > 1 << 20 || (bs & (bs - 1)) !== 0) {
    throw new VmcoreError("E_NOT_A_DUMP", `${source.name}: block_size ${bs} is not a power of two between 512 and 1 MiB`, { offset: 428 });
  }
  if (header.sub_hdr_size < 0 || header.sub_hdr_size > 1 << 20) {
    throw new VmcoreError("E_NOT_A_DUMP", `${source.name}: sub_hdr_size ${header.sub_hdr_size} blocks is not plausible`, { offset: 432 });
  }
  return header;
}

/**
 * Reads `struct kdump_sub_header` at block 1 (only the fields `header_version` defines).
 * @throws VmcoreError `E_TRUNCATED` when block 1 is not in the file.
 */
export function readKdumpSubHeader(source: ByteSource, header: DiskDumpHeader): KdumpSubHeader {
  const offset = header.block_size;
  const size = KDUMP_SUB_HEADER_SIZE;
  if (header.sub_hdr_size < 1 || offset + size > source.size) {
    throw new VmcoreError("E_TRUNCATED", `${source.name}: kdump_sub_header at ${hex(offset)} (${header.sub_hdr_size} blocks) is not in the file (size ${hex(source.size)})`, {
      offset,
    });
  }
  const b = source.read(offset, size);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = header.littleEndian;
  const ver = header.header_version;
  const u64 = (o: number): bigint => v.getBigUint64(o, le);
  const sub: KdumpSubHeader = {
    phys_base: u64(0),
    dump_level: v.getInt32(8, le),
    split: v.getInt32(12, le),
    start_pfn: u64(16),
    end_pfn: u64(24),
  };
  if (ver >= 3) {
    sub.offset_vmcoreinfo = u64(32);
    sub.size_vmcoreinfo = u64(40);
  }
  if (ver >= 4) {
    sub.offset_note = u64(48);
    sub.size_note = u64(56);
  }
  if (ver >= 5) {
    sub.offset_eraseinfo = u64(64);
    sub.size_eraseinfo = u64(72);
  }
  if (ver >= 6) {
    sub.start_pfn_64 = u64(80);
    sub.end_pfn_64 = u64(88);
    sub.max_mapnr_64 = u64(96);
  }
  return sub;
}
