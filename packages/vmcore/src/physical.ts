// The physical memory of a dump: which PT_LOAD serves which physical address.
//
// Segments are checked once at open and turned into sorted, non-overlapping "runs"; a read finds
// its first run by binary search and walks forward. Addresses are numbers internally (physical
// addresses are below 2^52 on every architecture we know); a segment that does not fit is refused.
import type { ByteSource } from "./byte-source.js";
import { VmcoreError, hex, type VmcoreErrorCode } from "./errors.js";
import { loadName, paddrRange, phdrList, phdrName } from "./internal/phdr-name.js";
import type { DumpProblem, LoadSegment } from "./load-segment.js";
import { PhysicalMemoryBase } from "./physical-memory.js";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const KIND_DATA = 0;
const KIND_REFUSED = 1;

interface Run {
  start: number;
  end: number;
  kind: number;
  /** For data runs: physical address where the file data stops (the rest of the run reads as zeros). */
  dataEnd: number;
  /** For data runs: file offset of `start`. */
  fileBase: number;
  phdrIndex: number;
  /** For refused overlap runs: every phdr index whose range the run merges. */
  overlapping?: number[];
  code: VmcoreErrorCode;
  reason: string;
}

/** A physical range `[start, end)` (end exclusive). */
export interface PhysicalRange {
  start: bigint;
  end: bigint;
}

/** A piece of a page for page iteration: `length` bytes at `address`, all readable. */
export interface PageChunk {
  address: bigint;
  length: number;
}

/**
 * Index of a dump's physical memory built from its PT_LOADs (issue 4 §3; kdump-formats §2.4).
 * Reads touching any byte no readable segment covers fail with `E_NOT_IN_DUMP` naming the first such
 * address; `p_filesz < p_memsz` tails read as zeros.
 */
export class PhysicalIndex extends PhysicalMemoryBase {
  private readonly starts: Float64Array;
  private readonly runs: Run[];
  private readonly source: ByteSource;
  protected readonly defaultPageSize = 4096;

  constructor(source: ByteSource, runs: Run[]) {
    super();
    this.source = source;
    this.runs = runs;
    this.starts = Float64Array.from(runs, (r) => r.start);
  }

  /** Number of internal runs (for tests and diagnostics). */
  get runCount(): number {
    return this.runs.length;
  }

  /** Index of the last run starting at or before `address`, or -1. */
  private find(address: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= address) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Checks that every byte of `[address, address + length)` is readable; returns the first run index.
   * @throws VmcoreError `E_NOT_IN_DUMP`, or the refusal code (`E_OVERLAP`, `E_BAD_SEGMENT`) of the run hit.
   */
  private check(address: bigint, length: number): number {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new VmcoreError("E_INVALID_ARGUMENT", `bad read length ${length} at physical ${hex(address)}`, { address });
    }
    if (address < 0n || address + BigInt(length) > MAX_SAFE) {
      throw new VmcoreError("E_NOT_IN_DUMP", `physical address ${hex(address)} is not in the dump`, { address });
    }
    const start = Number(address);
    const end = start + length;
    let i = this.find(start);
    const first = i;
    let at = start;
    if (length === 0) return first;
    if (i < 0) i = 0;
    for (;;) {
      const run = this.runs[i];
      if (run === undefined || run.start > at || run.end <= at) {
        throw new VmcoreError(
          "E_NOT_IN_DUMP",
          `physical address ${hex(at)} is not covered by any PT_LOAD (read of ${length} bytes at ${hex(address)})`,
          { address: BigInt(at) },
        );
      }
      if (run.kind === KIND_REFUSED) {
        throw new VmcoreError(run.code, `physical address ${hex(at)}: ${run.reason} (read of ${length} bytes at ${hex(address)})`, {
          address: BigInt(at),
        });
      }
      if (run.end >= end) return first;
      at = run.end;
      i++;
    }
  }

  /** True when `[address, address + length)` can be read without error. */
  isCovered(address: bigint, length: number): boolean {
    try {
      this.check(address, length);
      return true;
    } catch (error) {
      if (error instanceof VmcoreError) return false;
      throw error;
    }
  }

  /**
   * Reads `target.length` bytes of physical memory at `address` into `target`.
   * @throws VmcoreError `E_NOT_IN_DUMP` (first uncovered address), `E_OVERLAP`/`E_BAD_SEGMENT` (refused segment), `E_IO`, `E_TRUNCATED`.
   */
  readInto(target: Uint8Array, address: bigint): void {
    const length = target.length;
    // Fast path (random 4 KiB reads): the whole read inside the file data of one run.
    if (address >= 0n && address <= MAX_SAFE) {
      const a = Number(address);
      const run = this.runs[this.find(a)];
      if (run !== undefined && run.kind === KIND_DATA && a + length <= run.dataEnd) {
        this.source.readInto(target, run.fileBase + (a - run.start));
        return;
      }
    }
    let i = this.check(address, length);
    let at = Number(address);
    let done = 0;
    while (done < length) {
      const run = this.runs[i++]!;
      const take = Math.min(length - done, run.end - at);
      const fromFile = Math.max(0, Math.min(take, run.dataEnd - at));
      if (fromFile > 0) this.source.readInto(target.subarray(done, done + fromFile), run.fileBase + (at - run.start));
      // Between p_filesz and p_memsz the segment reads as zeros (gABI; makedumpfile -E relies on it).
      if (fromFile < take) target.fill(0, done + fromFile, done + take);
      done += take;
      at += take;
    }
  }

  /** The readable physical ranges, merged and sorted. */
  readableRanges(): PhysicalRange[] {
    const out: PhysicalRange[] = [];
    let cur: { start: number; end: number } | undefined;
    for (const run of this.runs) {
      if (run.kind !== KIND_DATA) continue;
      if (cur && cur.end === run.start) cur.end = run.end;
      else {
        if (cur) out.push({ start: BigInt(cur.start), end: BigInt(cur.end) });
        cur = { start: run.start, end: run.end };
      }
    }
    if (cur) out.push({ start: BigInt(cur.start), end: BigInt(cur.end) });
    return out;
  }
}

/**
 * Checks the PT_LOADs of a dump against the file and each other and builds the index. Sets
 * `readable` (and `refusal`) on each segment and appends what it finds to `problems`:
 * - file range outside the file, `p_filesz > p_memsz`, or addresses above 2^53 → `E_BAD_SEGMENT`, refused;
 * - a segment wholly inside another (kdump's kernel-text PT_LOAD inside RAM) → `E_OVERLAP` info, served by the other;
 * - partial overlaps (neither contains the other) → `E_OVERLAP` error, both refused.
 */
export function buildPhysicalIndex(source: ByteSource, segments: LoadSegment[], problems: DumpProblem[]): PhysicalIndex {
  const fileSize = BigInt(source.size);
  const candidates: LoadSegment[] = [];
  const bad: LoadSegment[] = [];
  for (const seg of segments) {
    const refuse = (reason: string): void => {
      seg.readable = false;
      seg.refusal = { code: "E_BAD_SEGMENT", reason };
      problems.push({ code: "E_BAD_SEGMENT", severity: "error", message: `${loadName(seg)}: ${reason}`, phdrIndex: seg.index, address: seg.paddr });
      bad.push(seg);
    };
    if (seg.memsz === 0n) {
      seg.readable = false;
      seg.refusal = { code: "E_BAD_SEGMENT", reason: "p_memsz is 0: describes no memory" };
      continue;
    }
    if (seg.filesz > seg.memsz) {
      refuse(`p_filesz ${hex(seg.filesz)} exceeds p_memsz ${hex(seg.memsz)}`);
      continue;
    }
    if (seg.paddr < 0n || seg.paddr + seg.memsz > MAX_SAFE) {
      refuse(`physical range ${hex(seg.paddr)} + ${hex(seg.memsz)} is beyond 2^53`);
      continue;
    }
    if (seg.filesz > 0n && BigInt(seg.fileOffset) + seg.filesz > fileSize) {
      refuse(
        `file range ${hex(seg.fileOffset)}..${hex(BigInt(seg.fileOffset) + seg.filesz)} lies outside the file (size ${hex(fileSize)})`,
      );
      continue;
    }
    seg.readable = true;
    candidates.push(seg);
  }

  // Sort by start, larger first on equal starts, so a container always precedes what it contains.
  // On identical ranges the one with more file data serves, then the later phdr: kdump writes the
  // kernel-text PT_LOAD first and the RAM PT_LOADs (which describe the memory itself) after it.
  candidates.sort((a, b) =>
    a.paddr !== b.paddr ? (a.paddr < b.paddr ? -1 : 1)
    : a.memsz !== b.memsz ? (a.memsz > b.memsz ? -1 : 1)
    : a.filesz !== b.filesz ? (a.filesz > b.filesz ? -1 : 1)
    : b.index - a.index,
  );
  const primary: LoadSegment[] = [];
  let widest: LoadSegment | undefined;
  for (const seg of candidates) {
    const end = seg.paddr + seg.memsz;
    if (widest && widest.paddr + widest.memsz >= end) {
      // kdump emits the kernel text twice (its own PT_LOAD and inside RAM): same bytes, one range.
      seg.readable = false;
      seg.refusal = { code: "E_OVERLAP", reason: `duplicates part of ${phdrName(widest.index, "PT_LOAD")}`, servedBy: widest.index };
      problems.push({ code: "E_OVERLAP", severity: "info", message: duplicateMessage(seg, widest), phdrIndex: seg.index, address: seg.paddr });
      continue;
    }
    primary.push(seg);
    widest = seg;
  }

  // Among the rest, ends increase with starts; any overlap is between neighbours and partial.
  // Each conflicted segment → the first segment it overlaps (named in its refusal).
  const conflicted = new Map<LoadSegment, LoadSegment>();
  for (let i = 1; i < primary.length; i++) {
    const a = primary[i - 1]!;
    const b = primary[i]!;
    if (b.paddr < a.paddr + a.memsz) {
      if (!conflicted.has(a)) conflicted.set(a, b);
      if (!conflicted.has(b)) conflicted.set(b, a);
      problems.push({
        code: "E_OVERLAP",
        severity: "error",
        message: `${loadName(a)} and ${loadName(b)} overlap; reads in both are refused`,
        phdrIndex: b.index,
        address: b.paddr,
      });
    }
  }

  const runs: Run[] = [];
  for (const seg of primary) {
    const start = Number(seg.paddr);
    const end = start + Number(seg.memsz);
    const partner = conflicted.get(seg);
    if (partner !== undefined) {
      seg.readable = false;
      seg.refusal = { code: "E_OVERLAP", reason: `${loadName(seg)} overlaps ${loadName(partner)}` };
      const last = runs[runs.length - 1];
      // Merge the refused ranges of a chain of conflicts into one run.
      if (last && last.kind === KIND_REFUSED && last.code === "E_OVERLAP" && last.end >= start && last.overlapping) {
        last.end = Math.max(last.end, end);
        last.overlapping.push(seg.index);
        last.reason = overlapReason(last.overlapping);
        continue;
      }
      runs.push({ start, end, kind: KIND_REFUSED, dataEnd: start, fileBase: 0, phdrIndex: seg.index, overlapping: [seg.index], code: "E_OVERLAP", reason: overlapReason([seg.index]) });
      continue;
    }
    runs.push({
      start,
      end,
      kind: KIND_DATA,
      dataEnd: start + Number(seg.filesz),
      fileBase: seg.fileOffset,
      phdrIndex: seg.index,
      code: "E_NOT_IN_DUMP",
      reason: "",
    });
  }

  // Bad segments refuse reads only where no good segment serves the address.
  if (bad.length > 0) {
    const gaps = subtractRuns(
      bad.map((s) => ({ start: Number(s.paddr < 0n ? 0n : s.paddr), end: Number(minBig(s.paddr + s.memsz, MAX_SAFE)), index: s.index, name: loadName(s), reason: s.refusal!.reason })),
      runs,
    );
    runs.push(...gaps);
    runs.sort((a, b) => a.start - b.start);
  }
  return new PhysicalIndex(source, runs);
}

/**
 * The info line for a segment whose range lies inside another's. When the two map their physical
 * ranges at different virtual offsets the inner one is kdump's kernel-text PT_LOAD (the kernel
 * image mapping, reference §1.1) duplicating System RAM: normal, and said so.
 */
function duplicateMessage(seg: LoadSegment, container: LoadSegment): string {
  const kernelText = seg.vaddr !== 0n && container.vaddr !== 0n && seg.vaddr - seg.paddr !== container.vaddr - container.paddr;
  const served = container.index;
  if (kernelText) {
    return `${phdrName(seg.index, "kernel text", paddrRange(seg.paddr, seg.memsz))} duplicates RAM that phdr ${served} covers; reads use phdr ${served} (normal for kdump)`;
  }
  return `${loadName(seg)} lies inside ${loadName(container)}; reads use phdr ${served}`;
}

/** The refusal of a merged run of partially overlapping segments. */
function overlapReason(indices: number[]): string {
  return `${phdrList(indices, indices.length > 1 ? "PT_LOADs" : "PT_LOAD")} overlap${indices.length > 1 ? "" : "s another"}; reads refused`;
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** The parts of `ranges` not covered by `runs` (sorted, non-overlapping), as refused runs. */
function subtractRuns(ranges: { start: number; end: number; index: number; name: string; reason: string }[], runs: Run[]): Run[] {
  ranges.sort((a, b) => a.start - b.start);
  const out: Run[] = [];
  let covered = 0; // everything below this is already a run (existing or new)
  let r = 0;
  for (const range of ranges) {
    let at = Math.max(range.start, covered);
    while (at < range.end) {
      while (r < runs.length && runs[r]!.end <= at) r++;
      const next = runs[r];
      if (next && next.start <= at) {
        at = next.end;
        continue;
      }
      const stop = Math.min(range.end, next ? next.start : range.end);
      out.push({ start: at, end: stop, kind: KIND_REFUSED, dataEnd: at, fileBase: 0, phdrIndex: range.index, code: "E_BAD_SEGMENT", reason: `${range.name}: ${range.reason}` });
      at = stop;
    }
    covered = Math.max(covered, range.end);
  }
  return out;
}
