// What every format's physical memory derives from its own `readInto` and `readableRanges`:
// allocating reads and page-by-page iteration (the ELF PT_LOAD index and the kdump-compressed page
// table differ only in how they find and check bytes).
import type { PhysicalMemory } from "./dump.js";
import { VmcoreError, hex } from "./errors.js";
import type { PageChunk, PhysicalRange } from "./physical.js";

/** Base of the `PhysicalMemory` implementations: `read` and `pages` built on the format's primitives. */
export abstract class PhysicalMemoryBase implements PhysicalMemory {
  /** Reads `target.length` bytes at physical `address` (the format's errors). */
  abstract readInto(target: Uint8Array, address: bigint): void;
  /** True when `[address, address + length)` can be read without error. */
  abstract isCovered(address: bigint, length: number): boolean;
  /** The readable physical ranges, merged and sorted. */
  abstract readableRanges(): PhysicalRange[];
  /** Page size `pages()` uses when the caller gives none. */
  protected abstract readonly defaultPageSize: number;

  /**
   * Reads `length` bytes of physical memory at `address` (errors as `readInto`).
   * @throws VmcoreError `E_INVALID_ARGUMENT` for a negative or unsafe length.
   */
  read(address: bigint, length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new VmcoreError("E_INVALID_ARGUMENT", `bad read length ${length} at physical ${hex(address)}`, { address });
    }
    const out = new Uint8Array(length);
    this.readInto(out, address);
    return out;
  }

  /**
   * Iterates over the readable memory page by page: each chunk lies in one page frame; chunks are
   * whole pages except where a readable range starts or ends inside a page.
   */
  *pages(pageSize = this.defaultPageSize): Generator<PageChunk> {
    for (const range of this.readableRanges()) {
      let at = Number(range.start);
      const end = Number(range.end);
      while (at < end) {
        const next = Math.min(end, (Math.floor(at / pageSize) + 1) * pageSize);
        yield { address: BigInt(at), length: next - at };
        at = next;
      }
    }
  }
}
