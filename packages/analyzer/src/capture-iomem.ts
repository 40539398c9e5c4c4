// Recognising a /proc/iomem listing taken in the capture environment instead of the crashed
// kernel's. It is the easy one to grab (the capture kernel is the one running when the dump is
// saved), but its System RAM is the crashkernel reservation — the very range the dump leaves out
// (reference §1.1: crash_prepare_elf64_headers excludes crashk_res) — plus maybe a few small
// ranges. Compared as if it were the crashed kernel's, every range of the dump would read as
// "hot-removed" and the crashkernel as "hot-added": a pile of stale-elfcorehdr errors, all false.
import { mergeRanges, subtractRanges } from "./iomem.js";

type Range = { start: bigint; end: bigint };

const MiB = 1n << 20n;

const total = (ranges: Range[]) => ranges.reduce((sum, r) => sum + (r.end - r.start), 0n);

/** Why `systemRam` looks like the capture kernel's listing for a dump covering `covered`, or null. */
export interface CaptureListingVerdict {
  /** Bytes of System RAM in the listing above the first MiB. */
  listingRam: bigint;
  /** Of those, bytes outside every PT_LOAD range of the dump. */
  listingRamOutsideDump: bigint;
  /** Bytes of the dump's ranges that the listing does not call System RAM. */
  dumpOutsideListing: bigint;
  message: string;
}

/**
 * Tells whether a System RAM list (half-open, merged) is the capture kernel's rather than the crashed
 * kernel's: most of the listing's RAM lies outside the dump (where the crashkernel reservation was)
 * AND most of the dump lies outside the listing's RAM. The crashed kernel's own listing fails the
 * second test even after large hot-adds (the dump's RAM is still RAM), and a stale header after a
 * hot-remove fails the first. The first MiB is left out of the listing's RAM: both kernels have
 * the BIOS low memory, which x86 dumps leave out anyway.
 */
export function captureKernelListing(systemRam: Range[], covered: Range[]): CaptureListingVerdict | null {
  const ram = subtractRanges(systemRam, [{ start: 0n, end: MiB }]);
  const dump = mergeRanges(covered);
  const listingRam = total(ram);
  const dumpBytes = total(dump);
  if (listingRam === 0n || dumpBytes === 0n) return null;
  const listingRamOutsideDump = total(subtractRanges(ram, dump));
  const dumpOutsideListing = total(subtractRanges(dump, ram));
  if (listingRamOutsideDump * 2n < listingRam || dumpOutsideListing * 2n < dumpBytes) return null;
  const mib = (n: bigint) => `${(Number(n) / 2 ** 20).toFixed(1)} MiB`;
  return {
    listingRam,
    listingRamOutsideDump,
    dumpOutsideListing,
    message:
      `this looks like the capture kernel's /proc/iomem; give the crashed kernel's: its System RAM (${mib(listingRam)} above 1 MiB) ` +
      `lies ${Math.round((Number(listingRamOutsideDump) / Number(listingRam)) * 100)}% outside the dump (where the crashkernel reservation was) ` +
      `and leaves out ${Math.round((Number(dumpOutsideListing) / Number(dumpBytes)) * 100)}% of the dump's ${mib(dumpBytes)}; ` +
      `the comparison was skipped (save /proc/iomem before the crash, e.g. when loading the kdump kernel)`,
  };
}
