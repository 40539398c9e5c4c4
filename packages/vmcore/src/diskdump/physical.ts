// Physical memory of a kdump-compressed dump, served through its page descriptors with the same
// strictness as the ELF reader: a page whose bit is clear in the 2nd bitmap is not in the dump
// (E_NOT_IN_DUMP naming the address), never zeros. Zero pages excluded by `-d 1` are not clear
// bits: makedumpfile keeps them dumped and points them at one shared all-zero page (pd_zero), so
// they read as zeros exactly because the format says so.
import type { ByteSource } from "../byte-source.js";
import { VmcoreError, hex } from "../errors.js";
import type { PhysicalRange } from "../physical.js";
import { PhysicalMemoryBase } from "../physical-memory.js";
import type { PageBitmap } from "./bitmap.js";
import { compressionOfFlags, decompressPage, type PageCompression, type PageDecompressor } from "./decompress.js";
import type { PageDescTable } from "./page-descriptor.js";

/** What the physical reader needs to know about the file's layout. */
export interface KdumpPageLayout {
  source: ByteSource;
  blockSize: number;
  /** The 2nd bitmap: 1 = page dumped. */
  dumpable: PageBitmap;
  /** File offset of the 1st bitmap (1 = pfn is RAM), read a byte at a time for messages only. */
  ramBitmapOffset: number;
  descriptors: PageDescTable;
  /** First file offset page data may start at (just after the descriptor table). */
  dataStart: number;
  /** `[startPfn, endPfn)` this file holds (a split dump holds a slice), `undefined` = all. */
  pfnRange: [number, number] | undefined;
  incomplete: boolean;
  dumpLevel: number;
  decompressors: Readonly<Record<PageCompression, PageDecompressor | null>>;
}

/** Physical memory of a kdump-compressed dump (kdump-formats §4.3). */
export class KdumpPhysicalMemory extends PhysicalMemoryBase {
  private readonly layout: KdumpPageLayout;
  private cachedPfn = -1;
  private readonly cachedPage: Uint8Array;
  protected readonly defaultPageSize: number;

  constructor(layout: KdumpPageLayout) {
    super();
    this.layout = layout;
    this.cachedPage = new Uint8Array(layout.blockSize);
    this.defaultPageSize = layout.blockSize;
  }

  private isDumped(pfn: number): boolean {
    const range = this.layout.pfnRange;
    if (range && (pfn < range[0] || pfn >= range[1])) return false;
    return this.layout.dumpable.has(pfn);
  }

  private notInDump(pfn: number, address: bigint, length: number, start: bigint): VmcoreError {
    const { layout } = this;
    let why: string;
    if (layout.pfnRange && (pfn < layout.pfnRange[0] || pfn >= layout.pfnRange[1])) {
      why = `pfn ${hex(pfn)} belongs to another file of this split dump`;
    } else if (pfn >= layout.dumpable.pfnCount) {
      why = `pfn ${hex(pfn)} is beyond max_mapnr (${hex(layout.dumpable.pfnCount)})`;
    } else {
      const at = layout.ramBitmapOffset + (pfn >>> 3);
      const ram = at < layout.source.size && ((layout.source.read(at, 1)[0]! >>> (pfn & 7)) & 1) === 1;
      why = ram ? `page excluded by makedumpfile (dump_level ${layout.dumpLevel})` : "not RAM (a hole in the 1st bitmap)";
    }
    return new VmcoreError("E_NOT_IN_DUMP", `physical address ${hex(address)} is not in the dump: ${why} (read of ${length} bytes at ${hex(start)})`, { address });
  }

  /** Fills the page cache with pfn's page. `address` is the first requested byte in it (for errors). */
  private loadPage(pfn: number, address: bigint, length: number, start: bigint): Uint8Array {
    if (pfn === this.cachedPfn) return this.cachedPage;
    const { layout } = this;
    if (!this.isDumped(pfn)) throw this.notInDump(pfn, address, length, start);
    // A split file holds descriptors for its own pfn range only: ranks count from its start_pfn
    // (as crash's pfn_to_pos does), though its bitmap may have bits set outside the range.
    const index = layout.dumpable.rank(pfn) - (layout.pfnRange ? layout.dumpable.rank(layout.pfnRange[0]) : 0);
    const descs = layout.descriptors;
    if (index >= descs.available) {
      if (layout.incomplete) {
        throw new VmcoreError("E_NOT_IN_DUMP", `physical address ${hex(address)} is not in the dump: its page was lost (the dump is incomplete, status DUMP_DH_COMPRESSED_INCOMPLETE)`, { address });
      }
      throw new VmcoreError("E_TRUNCATED", `physical address ${hex(address)}: page_desc ${index} at ${hex(descs.offsetOf(index))} is past the end of the file (size ${hex(layout.source.size)})`, {
        address,
        offset: descs.offsetOf(index),
      });
    }
    const desc = descs.get(index);
    const descAt = descs.offsetOf(index);
    if (desc.offset === 0n && layout.incomplete) {
      // makedumpfile writes descriptors and data in pairs; on ENOSPC the rest stays zero.
      throw new VmcoreError("E_NOT_IN_DUMP", `physical address ${hex(address)} is not in the dump: its page was lost (the dump is incomplete)`, { address, offset: descAt });
    }
    const bs = layout.blockSize;
    if (desc.size === 0 || desc.size > bs) {
      throw new VmcoreError("E_BAD_PAGE", `physical address ${hex(address)}: page_desc at ${hex(descAt)} has size ${desc.size} (block_size ${bs})`, { address, offset: descAt });
    }
    const end = desc.offset + BigInt(desc.size);
    if (desc.offset < BigInt(layout.dataStart) || end > BigInt(layout.source.size)) {
      throw new VmcoreError(
        "E_BAD_PAGE",
        `physical address ${hex(address)}: page_desc at ${hex(descAt)} points at ${hex(desc.offset)}+${hex(desc.size)}, outside the page data (${hex(layout.dataStart)}..${hex(layout.source.size)})`,
        { address, offset: descAt },
      );
    }
    const dataOffset = Number(desc.offset);
    const compression = compressionOfFlags(desc.flags);
    const page = this.cachedPage;
    this.cachedPfn = -1; // invalid while being refilled
    if (compression === "conflict") {
      throw new VmcoreError("E_BAD_PAGE", `physical address ${hex(address)}: page_desc at ${hex(descAt)} has flags ${hex(desc.flags)} naming several compressions`, { address, offset: descAt });
    }
    if (compression === undefined) {
      if (desc.size !== bs) {
        throw new VmcoreError("E_BAD_PAGE", `physical address ${hex(address)}: uncompressed page_desc at ${hex(descAt)} has size ${desc.size}, not block_size ${bs}`, { address, offset: descAt });
      }
      layout.source.readInto(page, dataOffset);
    } else {
      const input = layout.source.read(dataOffset, desc.size);
      decompressPage(compression, layout.decompressors[compression], input, page, BigInt(pfn) * BigInt(bs), dataOffset);
    }
    this.cachedPfn = pfn;
    return page;
  }

  /**
   * Reads `target.length` bytes at physical `address`.
   * @throws VmcoreError `E_NOT_IN_DUMP` (first byte of the first page not dumped, or lost in an incomplete dump),
   * `E_BAD_PAGE`, `E_UNSUPPORTED_COMPRESSION`, `E_TRUNCATED`, `E_IO`, `E_INVALID_ARGUMENT`.
   */
  readInto(target: Uint8Array, address: bigint): void {
    const length = target.length;
    if (address < 0n || address + BigInt(length) > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new VmcoreError("E_NOT_IN_DUMP", `physical address ${hex(address)} is not in the dump`, { address });
    }
    const bs = this.layout.blockSize;
    let at = Number(address);
    let done = 0;
    while (done < length) {
      const pfn = Math.floor(at / bs);
      const inPage = at - pfn * bs;
      const take = Math.min(length - done, bs - inPage);
      const page = this.loadPage(pfn, BigInt(at), length, address);
      target.set(page.subarray(inPage, inPage + take), done);
      done += take;
      at += take;
    }
  }

  /**
   * True when every page of the range is dumped per the 2nd bitmap (a page lost in an incomplete
   * dump, or with a corrupt descriptor, still fails when read).
   */
  isCovered(address: bigint, length: number): boolean {
    if (!Number.isSafeInteger(length) || length < 0 || address < 0n || address + BigInt(length) > BigInt(Number.MAX_SAFE_INTEGER)) return false;
    if (length === 0) return true;
    const bs = this.layout.blockSize;
    const first = Math.floor(Number(address) / bs);
    const last = Math.floor((Number(address) + length - 1) / bs);
    for (let pfn = first; pfn <= last; pfn++) if (!this.isDumped(pfn)) return false;
    return true;
  }

  /** The dumped physical ranges (runs of set bits of the 2nd bitmap), merged and sorted. */
  readableRanges(): PhysicalRange[] {
    const bs = BigInt(this.layout.blockSize);
    const range = this.layout.pfnRange;
    const out: PhysicalRange[] = [];
    for (let [start, end] of this.layout.dumpable.runs()) {
      if (range) {
        start = Math.max(start, range[0]);
        end = Math.min(end, range[1]);
        if (start >= end) continue;
      }
      out.push({ start: BigInt(start) * bs, end: BigInt(end) * bs });
    }
    return out;
  }
}
