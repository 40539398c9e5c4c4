import { cpus } from "./cpus.js";
import { describeElfcorehdr } from "./elfcorehdr-view.js";
import type { AnalyzerInput } from "./input.js";
import type { IomemEntry } from "./iomem.js";
import { type Hex, hex, SCHEMA_VERSION } from "./json.js";
import { memory } from "./memory-map.js";
import { notes } from "./notes.js";
import { problemLine, problemsOf } from "./report-common.js";

/** Severity of a finding; `error` and `warning` make `check` exit with 1. */
export type Severity = "error" | "warning" | "info";

/** One finding of `check`. */
export interface Finding {
  /** Which check: `segments`, `notes`, `note-addresses`, `note-count`, `cpus`, `iomem`, `headroom`, `scan`. */
  check: string;
  severity: Severity;
  message: string;
  address: Hex | null;
}

/** `kdumpkit check --json` (issue item 6). */
export interface CheckReport {
  schemaVersion: number;
  command: "check";
  file: string;
  findings: Finding[];
  counts: Record<Severity, number>;
  /** The worst severity found, `ok` when none. */
  worst: Severity | "ok";
  /** The CLI's exit code for this report: 1 with any error or warning, else 0. */
  exitCode: 0 | 1;
  /** What the optional page scan saw (with `scan`). */
  scan: { pages: number; zeroPages: number; unreadablePages: number } | null;
}

/** Options of {@link check}. */
export interface CheckOptions {
  systemMap?: string;
  iomem?: IomemEntry[];
  /** Read every page of every PT_LOAD present in the file (slow on big dumps; reports progress). */
  scan?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs every consistency check in one pass: PT_LOADs outside the file or overlapping, notes and
 * their verdicts, note slots outside memory, note count vs cpu masks, per-CPU verdicts, memory vs
 * /proc/iomem, elfcorehdr headroom; optionally a scan of every page.
 */
export function check(input: AnalyzerInput, options: CheckOptions = {}): CheckReport {
  const findings: Finding[] = [];
  const add = (check: string, severity: Severity, message: string, address: bigint | null = null) =>
    findings.push({ check, severity, message, address: address === null ? null : hex(address) });

  if (input.kind === "dump") {
    for (const p of problemsOf(input.dump)) add("segments", p.severity, problemLine(p), p.address === null ? null : BigInt(p.address));
  }
  for (const row of notes(input).notes) {
    const where = `note at ${row.offset !== null ? hex(row.offset) : row.address} (PT_NOTE ${row.phdrIndex !== null ? `phdr ${row.phdrIndex}` : `#${row.segment}`})`;
    if (row.verdict === "truncated" || row.verdict === "malformed") add("notes", "error", `${where}: ${row.verdict}: ${row.detail}`);
    else if (row.verdict === "uninitialized") add("notes", "warning", `${where}: ${row.detail}`);
  }
  const mem = memory(input, options.iomem ? { iomem: options.iomem } : {});
  const covered = mem.covered.map((r) => ({ start: BigInt(r.start), end: BigInt(r.end) }));
  const inMemory = (address: bigint, size: number) => covered.some((r) => address >= r.start && address + BigInt(size) <= r.end);

  if (input.kind === "elfcorehdr") {
    const d = describeElfcorehdr(input.bytes, input.header, input.programHeaders);
    for (const slot of d.noteSlots) {
      if (!inMemory(BigInt(slot.address), slot.size)) add("note-addresses", "warning", `PT_NOTE phdr ${slot.phdrIndex} (${slot.kind}) at ${slot.address} lies outside every PT_LOAD range`, BigInt(slot.address));
    }
    if (d.freeSlots === 0) add("headroom", "info", "no free program-header slots: a memory hotplug update needs a reload");
    if (!d.freeSlotsZeroed) add("headroom", "warning", "bytes after the used program headers are not zero (stale data from an earlier header)");
  } else {
    const report = cpus(input, options.systemMap !== undefined ? { systemMap: options.systemMap } : {});
    for (const row of report.cpus) {
      if (row.severity === "error" || row.severity === "warning") add("cpus", row.severity, `CPU ${row.cpu ?? "?"}: ${row.verdict}`);
      const physical = row.crashNotes?.physicalAddress;
      if (physical && !input.dump.isPhysicalCovered(BigInt(physical), 1)) {
        add("note-addresses", "info", `CPU ${row.cpu}'s crash_notes at physical ${physical} is not in the dump`, BigInt(physical));
      }
    }
    if (report.masks.online !== null) {
      const online = report.cpus.filter((r) => r.online === true).length;
      if (online !== report.nrCpus) add("note-count", "warning", `${report.nrCpus} NT_PRSTATUS notes (makedumpfile's nr_cpus) but ${online} CPUs online at crash`);
    }
    for (const notice of report.notices) add("cpus", "info", notice);
  }
  if (mem.iomem) {
    if (mem.iomem.captureKernel !== null) add("iomem", "warning", mem.iomem.captureKernel);
    for (const d of mem.iomem.ramNotInDump.filter((x) => !x.expected)) add("iomem", "error", `${d.start}-${d.end}: ${d.reason}`, BigInt(d.start));
    for (const d of mem.iomem.dumpNotInRam) add("iomem", "error", `${d.start}-${d.end}: ${d.reason}`, BigInt(d.start));
  }
  const scan = input.kind === "dump" && options.scan ? scanPages(input, options.onProgress) : null;
  if (scan && scan.unreadablePages > 0) add("scan", "error", `${scan.unreadablePages} pages of PT_LOAD data could not be read`);

  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  const worst: CheckReport["worst"] = counts.error ? "error" : counts.warning ? "warning" : counts.info ? "info" : "ok";
  return { schemaVersion: SCHEMA_VERSION, command: "check", file: input.path, findings, counts, worst, exitCode: counts.error || counts.warning ? 1 : 0, scan };
}

function scanPages(input: AnalyzerInput & { kind: "dump" }, onProgress?: (done: number, total: number) => void): NonNullable<CheckReport["scan"]> {
  const dump = input.dump;
  const page = dump.pageSize;
  const chunk = 32 * page; // 128 KiB reads: the fastest size on these machines (STYLE.md)
  const loads = dump.loads.filter((l) => l.readable && l.filesz > 0n);
  const total = loads.reduce((s, l) => s + Number(l.filesz), 0);
  let done = 0;
  let pages = 0;
  let zeroPages = 0;
  let unreadablePages = 0;
  for (const load of loads) {
    const size = Number(load.filesz);
    for (let off = 0; off < size; off += chunk) {
      const length = Math.min(chunk, size - off);
      const n = Math.ceil(length / page);
      pages += n;
      try {
        const bytes = dump.readPhysical(load.paddr + BigInt(off), length);
        for (let p = 0; p < length; p += page) if (zeroPage(bytes, p, Math.min(p + page, length))) zeroPages++;
      } catch {
        unreadablePages += n;
      }
      done += length;
      onProgress?.(done, total);
    }
  }
  return { pages, zeroPages, unreadablePages };
}

function zeroPage(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}
