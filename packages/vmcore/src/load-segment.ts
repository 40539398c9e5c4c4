import type { VmcoreErrorCode } from "./errors.js";

/**
 * One PT_LOAD of a dump, as the physical index uses it. `paddr`..`paddr + memsz` is the physical
 * range it describes; its first `filesz` bytes are stored at `fileOffset` in the file, the rest
 * reads as zeros (ELF gABI: the part between `p_filesz` and `p_memsz`).
 */
export interface LoadSegment {
  /** Index of the program header in the file's table. */
  index: number;
  paddr: bigint;
  vaddr: bigint;
  /** `p_offset` (checked to fit in a number when readable). */
  fileOffset: number;
  filesz: bigint;
  memsz: bigint;
  flags: number;
  /**
   * False when reads in this segment are refused: its file range lies outside the file, it
   * overlaps another PT_LOAD without being a duplicate of it, or its fields are inconsistent.
   * A segment that only duplicates part of another (kdump's kernel-text PT_LOAD inside a RAM
   * PT_LOAD) is also false, because its range is served by the one that contains it.
   */
  readable: boolean;
  /** Why `readable` is false, when it is. */
  refusal?: { code: VmcoreErrorCode; reason: string; servedBy?: number };
}

/** Something noticed while opening a dump: out-of-file segments, overlaps, truncated notes… */
export interface DumpProblem {
  code: VmcoreErrorCode | string;
  message: string;
  severity: "error" | "warning" | "info";
  offset?: number;
  address?: bigint;
  phdrIndex?: number;
}
