import { PT } from "@kdumpkit/elf";
import { captureKernelListing } from "./capture-iomem.js";
import { describeElfcorehdr } from "./elfcorehdr-view.js";
import type { AnalyzerInput } from "./input.js";
import { type IomemEntry, mergeRanges, subtractRanges, systemRamRanges } from "./iomem.js";
import { type Hex, hex, SCHEMA_VERSION } from "./json.js";
import { isDuplicateLoad } from "./report-common.js";

/** A half-open physical range in report form. */
export interface RangeRow {
  start: Hex;
  /** Exclusive. */
  end: Hex;
  size: Hex;
}

/** One PT_LOAD of the memory map. */
export interface MemoryLoad {
  phdrIndex: number;
  paddr: Hex;
  /** paddr + p_memsz, exclusive. */
  end: Hex;
  vaddr: Hex;
  size: Hex;
  /** Bytes present in the file (p_filesz); 0 for a bare elfcorehdr. */
  fileSize: Hex;
  /** File offset, or for a bare elfcorehdr the physical address read (p_offset). */
  fileOffset: Hex;
  /** False when reads do not go through this segment: refused by @kdumpkit/vmcore (outside the file, partial overlap), a duplicate (see `duplicateOf`), or a bare elfcorehdr. */
  readable: boolean;
  /** The phdr whose PT_LOAD also covers this range and serves its reads (kdump's kernel-text duplicate, normal), else null. */
  duplicateOf: number | null;
  /** Why reads are refused (`E_BAD_SEGMENT`, `E_OVERLAP` partial overlap), null when readable or a duplicate. */
  refused: string | null;
}

/** A range found by comparing the dump with /proc/iomem. */
export interface IomemDifference extends RangeRow {
  /** `expected`: x86 leaves out the first MiB and the crashkernel reservation (reference §1.1). */
  expected: boolean;
  reason: string;
}

/** `kdumpkit memory --json` (issue item 5). */
export interface MemoryReport {
  schemaVersion: number;
  command: "memory";
  file: string;
  bareElfcorehdr: boolean;
  loads: MemoryLoad[];
  /** Union of the PT_LOAD physical ranges, sorted. */
  covered: RangeRow[];
  /** Gaps between the covered ranges. */
  holes: RangeRow[];
  bytesCovered: number;
  /** Present with an iomem listing. */
  iomem: {
    systemRam: RangeRow[];
    ramNotInDump: IomemDifference[];
    dumpNotInRam: IomemDifference[];
    /**
     * Set when the listing looks like the capture kernel's /proc/iomem (its System RAM is the
     * crashkernel reservation): the warning to show, one finding; the differences are then left
     * empty, since comparing with it would call every range hot-added or hot-removed.
     */
    captureKernel: string | null;
  } | null;
  /** Bytes of the covered memory stored in the file (p_filesz of the segments that serve reads); the rest was filtered out or reads as zero. */
  bytesInFile: number;
  /** Unexpected differences (each one is a finding). */
  findings: number;
}

/** Options of {@link memory}. */
export interface MemoryOptions {
  /** A parsed /proc/iomem listing of the crashed kernel (see `parseIomem`). */
  iomem?: IomemEntry[];
}

const MiB = 1n << 20n;

/** Builds the `memory` report: the PT_LOAD map, holes, and the comparison against /proc/iomem. */
export function memory(input: AnalyzerInput, options: MemoryOptions = {}): MemoryReport {
  const loads: MemoryLoad[] =
    input.kind === "dump"
      ? input.dump.loads.map((l) => ({
          phdrIndex: l.index,
          paddr: hex(l.paddr),
          end: hex(l.paddr + l.memsz),
          vaddr: hex(l.vaddr),
          size: hex(l.memsz),
          fileSize: hex(l.filesz),
          fileOffset: hex(l.fileOffset),
          readable: l.readable,
          duplicateOf: isDuplicateLoad(l) ? l.refusal!.servedBy! : null,
          refused: !l.readable && !isDuplicateLoad(l) && l.refusal ? `${l.refusal.code}: ${l.refusal.reason}` : null,
        }))
      : bareLoads(input);
  const ranges = mergeRanges(loads.map((l) => ({ start: BigInt(l.paddr), end: BigInt(l.end) })));
  const holes: RangeRow[] = [];
  for (let i = 1; i < ranges.length; i++) holes.push(row(ranges[i - 1]!.end, ranges[i]!.start));
  let iomem: MemoryReport["iomem"] = null;
  let findings = 0;
  if (options.iomem) {
    const ram = systemRamRanges(options.iomem);
    const capture = captureKernelListing(ram, ranges);
    if (capture) {
      iomem = { systemRam: ram.map((r) => row(r.start, r.end)), ramNotInDump: [], dumpNotInRam: [], captureKernel: capture.message };
      findings = 1;
    }
  }
  if (options.iomem && !iomem) {
    const ram = systemRamRanges(options.iomem);
    const crashKernel = options.iomem.filter((e) => e.name === "Crash kernel").map((e) => ({ start: e.start, end: e.end + 1n }));
    const ramNotInDump = subtractRanges(ram, ranges).flatMap((r) => classifyMissing(r, crashKernel));
    const dumpNotInRam = subtractRanges(ranges, ram).map((r) => ({
      ...row(r.start, r.end),
      expected: false,
      reason: "in a PT_LOAD but not System RAM: memory hot-removed after the elfcorehdr was prepared (stale elfcorehdr)",
    }));
    iomem = { systemRam: ram.map((r) => row(r.start, r.end)), ramNotInDump, dumpNotInRam, captureKernel: null };
    findings = ramNotInDump.filter((d) => !d.expected).length + dumpNotInRam.length;
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    command: "memory",
    file: input.path,
    bareElfcorehdr: input.kind === "elfcorehdr",
    loads,
    covered: ranges.map((r) => row(r.start, r.end)),
    holes,
    bytesCovered: ranges.reduce((sum, r) => sum + Number(r.end - r.start), 0),
    bytesInFile: loads.filter((l) => l.readable).reduce((sum, l) => sum + Number(BigInt(l.fileSize)), 0),
    iomem,
    findings,
  };
}

/** Splits a System RAM range missing from the dump into the parts x86 leaves out on purpose and the rest. */
function classifyMissing(range: { start: bigint; end: bigint }, crashKernel: { start: bigint; end: bigint }[]): IomemDifference[] {
  const out: IomemDifference[] = [];
  const expected = [{ start: 0n, end: MiB }, ...crashKernel];
  for (const part of subtractRanges([range], expected)) {
    out.push({ ...row(part.start, part.end), expected: false, reason: "System RAM not in the dump: memory hot-added after the elfcorehdr was prepared (stale elfcorehdr)" });
  }
  for (const cut of expected) {
    const start = cut.start > range.start ? cut.start : range.start;
    const end = cut.end < range.end ? cut.end : range.end;
    if (start < end) {
      out.push({ ...row(start, end), expected: true, reason: cut.start === 0n && cut.end === MiB ? "below 1 MiB (excluded by the kernel on x86)" : "crashkernel reservation" });
    }
  }
  return out.sort((a, b) => (BigInt(a.start) < BigInt(b.start) ? -1 : 1));
}

function row(start: bigint, end: bigint): RangeRow {
  return { start: hex(start), end: hex(end), size: hex(end - start) };
}

/** The PT_LOADs of a bare elfcorehdr: nothing is in the file; the kernel-text one duplicates RAM (reference §1.1). */
function bareLoads(input: AnalyzerInput & { kind: "elfcorehdr" }): MemoryLoad[] {
  const slots = new Map(describeElfcorehdr(input.bytes, input.header, input.programHeaders).loads.map((l) => [l.phdrIndex, l]));
  return input.programHeaders.flatMap((p, i) =>
    p.p_type === PT.LOAD
      ? [{ phdrIndex: i, paddr: hex(p.p_paddr), end: hex(p.p_paddr + p.p_memsz), vaddr: hex(p.p_vaddr), size: hex(p.p_memsz), fileSize: hex(0), fileOffset: hex(p.p_offset), readable: false, duplicateOf: slots.get(i)?.duplicateOf ?? null, refused: null }]
      : [],
  );
}
