// Where the blocks of a blob are, once its header has been checked (libfdt fdt_check_header).
import { fail } from "./errors.js";
import {
  FDT_FIRST_SUPPORTED_VERSION,
  FDT_LAST_SUPPORTED_VERSION,
  FDT_RESERVE_ENTRY_SIZE,
  type FdtHeader,
  headerSize,
  readHeader,
} from "./header.js";
import { FDT_TOKEN, FDT_TAGSIZE, findNul, tagAlign } from "./structure.js";

/** The checked header and the extent of each block (end offsets exclusive). */
export interface FdtLayout {
  header: FdtHeader;
  headerSize: number;
  /** Number of memory reservation entries before the terminator. */
  reservationCount: number;
  rsvmapStart: number;
  /** End of the reservation map, terminator included. */
  rsvmapEnd: number;
  structStart: number;
  /** For version < 17 found by walking to FDT_END. */
  structEnd: number;
  stringsStart: number;
  stringsEnd: number;
}

const INT_MAX = 0x7fffffff;

/**
 * Checks the header like libfdt's `fdt_check_header` and locates the blocks, walking the memory
 * reservation list to its terminator (size 0) and, for version 16 and older, the structure
 * block to FDT_END. `byteOffset` is the blob's alignment in memory (libfdt wants 8).
 * Errors: FDT_ERR_TRUNCATED, FDT_ERR_BADMAGIC, FDT_ERR_BADVERSION, FDT_ERR_ALIGNMENT.
 */
export function checkHeader(bytes: Uint8Array): FdtLayout {
  const h = readHeader(bytes);
  if (h.version < FDT_FIRST_SUPPORTED_VERSION || h.last_comp_version > FDT_LAST_SUPPORTED_VERSION) {
    fail("FDT_ERR_BADVERSION", `version ${h.version} / last_comp_version ${h.last_comp_version} is unsupported`, 20);
  }
  if (h.version < h.last_comp_version) {
    fail("FDT_ERR_BADVERSION", `version ${h.version} is below last_comp_version ${h.last_comp_version}`, 20);
  }
  const hs = headerSize(h.version);
  if (h.totalsize < hs || h.totalsize > INT_MAX) fail("FDT_ERR_TRUNCATED", `totalsize ${h.totalsize} is impossible`, 4);
  if (h.totalsize > bytes.length) {
    fail("FDT_ERR_TRUNCATED", `totalsize ${h.totalsize} exceeds the ${bytes.length} bytes given`, 4);
  }
  const total = h.totalsize;
  const inside = (off: number) => off >= hs && off <= total;
  if (h.off_mem_rsvmap % 8 !== 0) fail("FDT_ERR_ALIGNMENT", "off_mem_rsvmap is not 8-byte aligned", 16);
  if (h.off_dt_struct % 4 !== 0) fail("FDT_ERR_ALIGNMENT", "off_dt_struct is not 4-byte aligned", 8);
  if (!inside(h.off_mem_rsvmap)) fail("FDT_ERR_TRUNCATED", `off_mem_rsvmap 0x${h.off_mem_rsvmap.toString(16)} is outside the blob`, 16);
  if (h.version >= 17) {
    if (!inside(h.off_dt_struct) || h.off_dt_struct + h.size_dt_struct > total) {
      fail("FDT_ERR_TRUNCATED", "the structure block runs past totalsize", 8);
    }
  } else if (!inside(h.off_dt_struct)) {
    fail("FDT_ERR_TRUNCATED", "off_dt_struct is outside the blob", 8);
  }
  if (!inside(h.off_dt_strings) || h.off_dt_strings + h.size_dt_strings > total) {
    fail("FDT_ERR_TRUNCATED", "the strings block runs past totalsize", 12);
  }

  // The reservation list ends at the first entry whose size is 0 (libfdt fdt_num_mem_rsv).
  const view = new DataView(bytes.buffer, bytes.byteOffset, total);
  let n = 0;
  let off = h.off_mem_rsvmap;
  for (;;) {
    if (off + FDT_RESERVE_ENTRY_SIZE > total) fail("FDT_ERR_TRUNCATED", "the memory reservation map has no terminator", off);
    if (view.getUint32(off + 8) === 0 && view.getUint32(off + 12) === 0) break;
    n++;
    off += FDT_RESERVE_ENTRY_SIZE;
  }
  const rsvmapEnd = off + FDT_RESERVE_ENTRY_SIZE;

  let structEnd: number;
  if (h.version >= 17) structEnd = h.off_dt_struct + h.size_dt_struct;
  else structEnd = findStructEnd(bytes, view, h.off_dt_struct, total, h.version);

  return {
    header: h,
    headerSize: hs,
    reservationCount: n,
    rsvmapStart: h.off_mem_rsvmap,
    rsvmapEnd,
    structStart: h.off_dt_struct,
    structEnd,
    stringsStart: h.off_dt_strings,
    // Version 2 has no size_dt_strings: its strings run to totalsize (libfdt bounds them so too).
    stringsEnd: h.version < 3 ? total : h.off_dt_strings + h.size_dt_strings,
  };
}

/**
 * Offset of the next tag after the tag at `off` in a structure block [start, end), like
 * libfdt's `fdt_next_tag` (including the pre-v16 quirk that aligns values of 8 bytes or more to 8).
 * Errors: FDT_ERR_TRUNCATED (runs past the block), FDT_ERR_BADSTRUCTURE (unknown token).
 */
export function nextTagOffset(
  bytes: Uint8Array,
  view: DataView,
  off: number,
  start: number,
  end: number,
  version: number,
): number {
  if (off + FDT_TAGSIZE > end) fail("FDT_ERR_TRUNCATED", "a tag runs past the structure block", off);
  const tag = view.getUint32(off);
  let next = off + FDT_TAGSIZE;
  switch (tag) {
    case FDT_TOKEN.BEGIN_NODE:
      next = findNul(bytes, next, end, "a node name") + 1;
      break;
    case FDT_TOKEN.PROP: {
      if (next + 8 > end) fail("FDT_ERR_TRUNCATED", "a property header runs past the structure block", off);
      const len = view.getUint32(next);
      next += 8;
      if (version < 16 && len >= 8 && (next - start) % 8 !== 0) next += 4;
      next += len;
      if (next > end) fail("FDT_ERR_TRUNCATED", `a property value of ${len} bytes runs past the structure block`, off);
      break;
    }
    case FDT_TOKEN.END_NODE:
    case FDT_TOKEN.NOP:
    case FDT_TOKEN.END:
      break;
    default:
      fail("FDT_ERR_BADSTRUCTURE", `unknown token 0x${tag.toString(16)}`, off);
  }
  return tagAlign(next);
}

function findStructEnd(bytes: Uint8Array, view: DataView, start: number, total: number, version: number): number {
  let off = start;
  for (;;) {
    if (off + FDT_TAGSIZE > total) fail("FDT_ERR_TRUNCATED", "the structure block has no FDT_END", off);
    const tag = view.getUint32(off);
    const next = nextTagOffset(bytes, view, off, start, total, version);
    if (tag === FDT_TOKEN.END) return next;
    off = next;
  }
}
