// `kdumpkit dmesg`: the kernel log up to the crash, read from the printk buffer in the dump
// (lockless ring ≥ 5.10 or legacy log_buf), as records or as makedumpfile's --dump-dmesg text.
import type { Dump } from "@kdumpkit/vmcore";
import { AnalyzerError } from "./errors.js";
import { type AnalyzerInput, closeInput, openInput, requireDump } from "./input.js";
import { SCHEMA_VERSION } from "./json.js";
import { KernelMemory } from "./kernel-memory.js";
import { printkLayout } from "./dmesg/layout.js";
import { readLegacyLog, type LegacyLogInfo } from "./dmesg/legacy-log-buf.js";
import { DEFAULT_DMESG_LIMITS, type DmesgLimits, type DmesgProblem, type DmesgRecord, type DmesgSkipped, type PrintkMemory } from "./dmesg/record.js";
import { type LocklessRingInfo, readLocklessRing } from "./dmesg/ringbuffer.js";

export type { DmesgRecord, DmesgSkipped, DmesgLimits, DmesgProblem, PrintkMemory, LocklessRingInfo, LegacyLogInfo };

/** Options of {@link dmesg} and {@link readDmesg}. */
export interface DmesgOptions {
  /** Keep only records whose level is at most this (0 emerg … 7 debug); the others count in `filtered`. */
  maxLevel?: number;
  /** Keep only the last N records (after the level filter). */
  tail?: number;
  /** Limits against corrupted memory (defaults: {@link DEFAULT_DMESG_LIMITS}). */
  limits?: Partial<DmesgLimits>;
  /** Throw `E_BAD_PRINTK_BUFFER` on the first inconsistent record instead of skipping it. */
  strict?: boolean;
}

/** `kdumpkit dmesg --json`: the kernel log records of a dump. */
export interface DmesgReport {
  schemaVersion: number;
  command: "dmesg";
  file: string;
  /** `lockless` (Linux ≥ 5.10, SYMBOL(prb)) or `legacy` (variable-length records in log_buf). */
  format: "lockless" | "legacy";
  /** The lockless ring found at prb; null for the legacy format. */
  ring: LocklessRingInfo | null;
  /** The legacy log_buf; null for the lockless format. */
  logBuf: LegacyLogInfo | null;
  /** Records in the buffer (before filters), oldest first. */
  total: number;
  /** Sequence numbers of the oldest and newest records in the buffer (null for legacy or an empty log). */
  firstSeq: number | null;
  lastSeq: number | null;
  /** Records overwritten since boot (sequence numbers start at 0, so this is `firstSeq`); null when unknown. */
  dropped: number | null;
  /** Descriptors in tail..head that hold no record, by reason. */
  skipped: DmesgSkipped;
  /** Records whose text_len exceeded their data block (text cut). */
  truncated: number;
  /** Records left out by `maxLevel` / `tail`. */
  filtered: number;
  records: DmesgRecord[];
  /** The first inconsistent records (at most 32; `skipped.badBlock` counts them all). */
  problems: DmesgProblem[];
}

/**
 * Reads the kernel log of a dump given as an {@link AnalyzerInput} or a @kdumpkit/vmcore `Dump`.
 * Layout from VMCOREINFO (reference §3.3), walk per reference §4.2 (lockless) or the legacy log_buf.
 *
 * @throws AnalyzerError `E_NO_PRINTK_SYMBOLS`, `E_BAD_PRINTK_BUFFER`, `E_PRINTK_LIMIT`, `E_NO_MEMORY`
 *   (bare elfcorehdr), `E_BAD_ARGUMENT` (options); VmcoreError when the buffer is not in the dump.
 */
export function readDmesg(source: AnalyzerInput | Dump, options: DmesgOptions = {}): DmesgReport {
  const dump = "kind" in source ? requireDump(source, "dmesg") : source;
  const file = "kind" in source ? source.path : "<dump>";
  return dmesgFromMemory(new KernelMemory(dump), dump.vmcoreinfo, file, options);
}

/**
 * `dmesg(dumpOrPath, options)`: like {@link readDmesg}, also accepting a file path (opened and closed here).
 * @throws as {@link readDmesg}, plus the errors of opening the file.
 */
export async function dmesg(dumpOrPath: string | AnalyzerInput | Dump, options: DmesgOptions = {}): Promise<DmesgReport> {
  if (typeof dumpOrPath !== "string") return readDmesg(dumpOrPath, options);
  const input = await openInput(dumpOrPath);
  try {
    return readDmesg(input, options);
  } finally {
    closeInput(input);
  }
}

/**
 * The core of {@link readDmesg} over any {@link PrintkMemory} and parsed VMCOREINFO (for tests and
 * for other memory sources).
 */
export function dmesgFromMemory(memory: PrintkMemory, vmcoreinfo: Parameters<typeof printkLayout>[0], file: string, options: DmesgOptions = {}): DmesgReport {
  checkOptions(options);
  const limits: DmesgLimits = { ...DEFAULT_DMESG_LIMITS, ...options.limits };
  const layout = printkLayout(vmcoreinfo);
  const read =
    layout.kind === "lockless"
      ? { ...readLocklessRing(memory, layout, { limits, strict: options.strict ?? false }), log: null }
      : { ...readLegacyLog(memory, layout, limits), ring: null };
  const all = read.records;
  let records = options.maxLevel !== undefined ? all.filter((r) => r.level <= options.maxLevel!) : all;
  if (options.tail !== undefined) records = options.tail === 0 ? [] : records.slice(-options.tail);
  let firstSeq: number | null = null;
  let lastSeq: number | null = null;
  for (const r of all) {
    if (r.seq === null) continue;
    if (firstSeq === null || r.seq < firstSeq) firstSeq = r.seq;
    if (lastSeq === null || r.seq > lastSeq) lastSeq = r.seq;
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    command: "dmesg",
    file,
    format: layout.kind,
    ring: read.ring,
    logBuf: read.log,
    total: all.length,
    firstSeq,
    lastSeq,
    dropped: firstSeq,
    skipped: read.skipped,
    truncated: all.filter((r) => r.truncated).length,
    filtered: all.length - records.length,
    records,
    problems: read.problems,
  };
}

function checkOptions(options: DmesgOptions): void {
  const whole = (name: string, v: number | undefined, max: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= max)) throw new AnalyzerError("E_BAD_ARGUMENT", `${name} must be an integer 0..${max}, got ${v}`);
  };
  whole("maxLevel", options.maxLevel, 7);
  whole("tail", options.tail, Number.MAX_SAFE_INTEGER);
  whole("limits.maxDescriptors", options.limits?.maxDescriptors, 2 ** 30);
  whole("limits.maxTextBytes", options.limits?.maxTextBytes, 2 ** 31);
}
