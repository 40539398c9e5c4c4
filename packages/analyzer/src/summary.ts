import { emName, ntName, PT } from "@kdumpkit/elf";
import { describeElfcorehdr, type ElfcorehdrDescription } from "./elfcorehdr-view.js";
import type { AnalyzerInput } from "./input.js";
import { type Hex, hex, SCHEMA_VERSION } from "./json.js";
import { dumpNrCpus } from "./nr-cpus.js";
import { mergeRanges } from "./iomem.js";
import { archOf, isDuplicateLoad, problemsOf, type ReportProblem } from "./report-common.js";

/** One PT_LOAD as `summary` lists it, in file order. */
export interface SummaryLoad {
  /** Index of its program header (0 is the table's first entry, usually the PT_NOTE), as in every report. */
  phdrIndex: number;
  paddr: Hex;
  vaddr: Hex;
  /** p_memsz: the bytes of memory the segment describes. */
  size: Hex;
  /** p_filesz: the bytes present in the file (smaller in filtered dumps; 0 for a bare elfcorehdr). */
  fileSize: Hex;
  /**
   * The phdr whose PT_LOAD also covers this range and serves its reads, or null: kdump's
   * kernel-text PT_LOAD duplicates part of a System RAM PT_LOAD (normal).
   */
  duplicateOf: number | null;
}

/** `kdumpkit summary --json`: what the dump is, at a glance. */
export interface SummaryReport {
  schemaVersion: number;
  command: "summary";
  file: string;
  /** `elf`, `kdump-compressed`… from @kdumpkit/vmcore, or `elfcorehdr` for a bare header. */
  format: string;
  arch: string;
  byteOrder: "little" | "big";
  elfClass: 32 | 64;
  machine: string;
  pageSize: number | null;
  osRelease: string | null;
  buildId: string | null;
  /** CRASHTIME as an ISO 8601 date, null when VMCOREINFO has none (e.g. a QEMU dump of a live guest). */
  crashTime: string | null;
  /** KERNELOFFSET (KASLR), null when absent. */
  kernelOffset: Hex | null;
  loads: SummaryLoad[];
  /** Bytes of physical memory the PT_LOADs describe: the union of their ranges (a duplicate counts once), as `memory` reports it. */
  bytesCovered: number;
  /** Bytes of that memory stored in the file (p_filesz of the PT_LOADs that serve reads); the rest was filtered out or reads as zero. */
  bytesInFile: number;
  /** Note type name → count, e.g. `{ "NT_PRSTATUS": 2, "VMCOREINFO": 1 }`. */
  noteCounts: Record<string, number>;
  /** makedumpfile's nr_cpus: CORE/NT_PRSTATUS notes in the last PT_NOTE (reference §4.1); null for a bare elfcorehdr. */
  nrCpus: number | null;
  /** For a bare elfcorehdr: its slots and headroom; null for a dump. */
  elfcorehdr: ElfcorehdrDescription | null;
  problems: ReportProblem[];
}

/** Builds the `summary` report (issue item 1; a bare elfcorehdr per item 7). */
export function summary(input: AnalyzerInput): SummaryReport {
  if (input.kind === "elfcorehdr") {
    const description = describeElfcorehdr(input.bytes, input.header, input.programHeaders);
    const loads = input.programHeaders.filter((p) => p.p_type === PT.LOAD);
    return {
      schemaVersion: SCHEMA_VERSION,
      command: "summary",
      file: input.path,
      format: "elfcorehdr",
      arch: archOf(input.header.e_machine, input.header.ident.littleEndian),
      byteOrder: input.header.ident.littleEndian ? "little" : "big",
      elfClass: input.header.ident.elfClass,
      machine: emName(input.header.e_machine),
      pageSize: null,
      osRelease: null,
      buildId: null,
      crashTime: null,
      kernelOffset: null,
      loads: description.loads.map((l) => ({ phdrIndex: l.phdrIndex, paddr: l.paddr, vaddr: l.vaddr, size: l.size, fileSize: hex(0), duplicateOf: l.duplicateOf })),
      bytesCovered: unionBytes(loads.map((p) => ({ start: p.p_paddr, end: p.p_paddr + p.p_memsz }))),
      bytesInFile: 0,
      noteCounts: {},
      nrCpus: null,
      elfcorehdr: description,
      problems: [],
    };
  }
  const dump = input.dump;
  const info = dump.vmcoreinfo;
  const noteCounts: Record<string, number> = {};
  for (const note of dump.notes) {
    const name = note.typeName || ntName(note.n_type, note.name);
    noteCounts[name] = (noteCounts[name] ?? 0) + 1;
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    command: "summary",
    file: input.path,
    format: dump.format,
    arch: dump.arch,
    byteOrder: dump.littleEndian ? "little" : "big",
    elfClass: dump.header.ident.elfClass,
    machine: emName(dump.header.e_machine),
    pageSize: dump.pageSize,
    osRelease: info?.osRelease ?? null,
    buildId: info?.buildId ?? null,
    crashTime: info?.crashTime !== undefined ? new Date(Number(info.crashTime) * 1000).toISOString() : null,
    kernelOffset: info?.kernelOffset !== undefined ? hex(info.kernelOffset) : null,
    loads: dump.loads.map((l) => ({
      phdrIndex: l.index,
      paddr: hex(l.paddr),
      vaddr: hex(l.vaddr),
      size: hex(l.memsz),
      fileSize: hex(l.filesz),
      duplicateOf: isDuplicateLoad(l) ? l.refusal!.servedBy! : null,
    })),
    bytesCovered: unionBytes(dump.loads.map((l) => ({ start: l.paddr, end: l.paddr + l.memsz }))),
    bytesInFile: dump.loads.filter((l) => l.readable).reduce((sum, l) => sum + Number(l.filesz), 0),
    noteCounts,
    nrCpus: dumpNrCpus(input.dump),
    elfcorehdr: null,
    problems: problemsOf(dump),
  };
}

/** Size of the union of half-open physical ranges. */
function unionBytes(ranges: { start: bigint; end: bigint }[]): number {
  return mergeRanges(ranges).reduce((sum, r) => sum + Number(r.end - r.start), 0);
}
