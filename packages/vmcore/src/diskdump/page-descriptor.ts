// `struct page_desc` (diskdump_mod.h; kdump-formats §4.3): one per dumped page, 24 bytes, in the
// order of the set bits of the 2nd bitmap. Descriptors are read a block at a time and the last
// block is kept, because page reads are mostly sequential.
import type { ByteSource } from "../byte-source.js";

/** Size of `struct page_desc`. */
export const PAGE_DESC_SIZE = 24;

/** `struct page_desc`. */
export interface PageDesc {
  /** `off_t offset`: absolute file offset of the page data (0 in an incomplete dump's unwritten tail). */
  offset: bigint;
  size: number;
  flags: number;
  page_flags: bigint;
}

/** Decodes a page_desc from `bytes` at `at`. */
export function decodePageDesc(view: DataView, at: number, littleEndian: boolean): PageDesc {
  return {
    offset: view.getBigInt64(at, littleEndian),
    size: view.getUint32(at + 8, littleEndian),
    flags: view.getUint32(at + 12, littleEndian),
    page_flags: view.getBigUint64(at + 16, littleEndian),
  };
}

const PER_BLOCK = 170; // 170 × 24 = 4080 bytes: one pread per 170 descriptors

/** Reads descriptors by index from the table at `tableOffset`, caching one block of them. */
export class PageDescTable {
  private readonly source: ByteSource;
  private readonly tableOffset: number;
  private readonly count: number;
  private readonly littleEndian: boolean;
  /** How many descriptors the file holds completely (fewer than `count` in a cut dump). */
  readonly available: number;
  private cachedFirst = -1;
  private cachedView: DataView | undefined;

  constructor(source: ByteSource, tableOffset: number, count: number, littleEndian: boolean) {
    this.source = source;
    this.tableOffset = tableOffset;
    this.count = count;
    this.littleEndian = littleEndian;
    this.available = Math.max(0, Math.min(count, Math.floor((source.size - tableOffset) / PAGE_DESC_SIZE)));
  }

  /** File offset of descriptor `index`. */
  offsetOf(index: number): number {
    return this.tableOffset + index * PAGE_DESC_SIZE;
  }

  /** Descriptor `index` (caller checks `index < available`). */
  get(index: number): PageDesc {
    const first = index - (index % PER_BLOCK);
    if (first !== this.cachedFirst || this.cachedView === undefined) {
      const n = Math.min(PER_BLOCK, this.available - first);
      const bytes = this.source.read(this.offsetOf(first), n * PAGE_DESC_SIZE);
      this.cachedView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.cachedFirst = first;
    }
    return decodePageDesc(this.cachedView, (index - first) * PAGE_DESC_SIZE, this.littleEndian);
  }

  /** Total descriptors the 2nd bitmap calls for. */
  get size(): number {
    return this.count;
  }
}
