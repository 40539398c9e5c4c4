import type { AnalyzerInput } from "./input.js";
import { requireDump } from "./input.js";
import { type Hex, hex, SCHEMA_VERSION } from "./json.js";

/** `kdumpkit vmcoreinfo --json`: the VMCOREINFO note, raw and typed (issue item 4, reference §3.3). */
export interface VmcoreinfoReport {
  schemaVersion: number;
  command: "vmcoreinfo";
  file: string;
  present: boolean;
  /** The note's text, verbatim. */
  raw: string | null;
  /** Every `KEY=VALUE` line in order. */
  lines: { key: string; value: string }[];
  osRelease: string | null;
  buildId: string | null;
  pageSize: number | null;
  crashTime: string | null;
  kernelOffset: Hex | null;
  /** SYMBOL(x) → address. */
  symbols: Record<string, Hex>;
  /** OFFSET(s.f), SIZE(x), LENGTH(x): numbers. */
  offsets: Record<string, number>;
  sizes: Record<string, number>;
  lengths: Record<string, number>;
  /** NUMBER(x): a number when it fits in a double exactly, else a "0x…" string (two's complement for negatives never happens: the sign is kept). */
  numbers: Record<string, number | string>;
  other: Record<string, string>;
}

/**
 * Builds the `vmcoreinfo` report.
 * @throws AnalyzerError `E_NO_MEMORY` for a bare elfcorehdr (its VMCOREINFO is in old memory).
 */
export function vmcoreinfo(input: AnalyzerInput): VmcoreinfoReport {
  const dump = requireDump(input, "vmcoreinfo");
  const info = dump.vmcoreinfo;
  const record = <T>(map: Map<string, bigint> | undefined, f: (v: bigint) => T): Record<string, T> =>
    Object.fromEntries([...(map ?? new Map<string, bigint>())].map(([k, v]) => [k, f(v)]));
  const safe = (v: bigint): number | string => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : hex(v));
  return {
    schemaVersion: SCHEMA_VERSION,
    command: "vmcoreinfo",
    file: input.path,
    present: info !== undefined,
    raw: dump.vmcoreinfoText ?? null,
    lines: info?.lines ?? [],
    osRelease: info?.osRelease ?? null,
    buildId: info?.buildId ?? null,
    pageSize: info?.pageSize ?? null,
    crashTime: info?.crashTime !== undefined ? new Date(Number(info.crashTime) * 1000).toISOString() : null,
    kernelOffset: info?.kernelOffset !== undefined ? hex(info.kernelOffset) : null,
    symbols: record(info?.symbols, hex),
    offsets: record(info?.offsets, Number),
    sizes: record(info?.sizes, Number),
    lengths: record(info?.lengths, Number),
    numbers: record(info?.numbers, safe),
    other: Object.fromEntries(info?.other ?? []),
  };
}
