/**
 * Virtual → physical translation for one architecture. Each architecture lives in a file of its
 * own (`translate/x86_64.ts`, later `translate/aarch64.ts`…) and implements this interface.
 */
export interface AddressTranslator {
  /** The architecture name, e.g. `"x86_64"`. */
  readonly arch: string;
  /**
   * Translates one virtual address.
   * @returns the physical address and `span`: how many bytes from `virtualAddress` on stay
   * physically contiguous in the same mapping (to the end of its page, large page or linear map).
   * @throws VmcoreError `E_NO_TRANSLATION` (non-canonical address, entry not present), or the physical
   * read errors of the page-table walk (`E_NOT_IN_DUMP` when a page table is not in the dump).
   */
  translateSpan(virtualAddress: bigint): { physicalAddress: bigint; span: number };
  /** Translates one virtual address (errors as `translateSpan`). */
  translate(virtualAddress: bigint): bigint;
  /** Walks the page tables only, skipping fast paths (for checks and tests). */
  walk(virtualAddress: bigint): { physicalAddress: bigint; pageSize: number; levels: number };
  /** Facts the translator found (page-table root, paging levels, linear-map bases) for reports. */
  describe(): Record<string, string | number | boolean | undefined>;
}

/** Reads one 64-bit page-table entry from physical memory (little- or big-endian as the dump). */
export type PhysicalU64Reader = (physicalAddress: bigint) => bigint;
