// Shared pieces of the benchmarks. A benchmark is a module `bench/<area>.bench.ts` whose default
// export is `(ctx: BenchContext) => Promise<BenchResult[]>`; bench/run.ts runs them all and writes
// bench/results.json and bench/RESULTS.md. Benchmarks measure the real peer in the same run.
import { execFileSync } from "node:child_process";
import { cpus, totalmem, tmpdir } from "node:os";
import { join } from "node:path";

export interface BenchResult {
  /** Stable id named by the issues, e.g. `elf.elfcorehdr.update.small`. */
  id: string;
  value: number;
  unit: string;
  /** The real tool measured beside us, or null when the figure has no peer. */
  peer: string | null;
  peerValue: number | null;
  /** The command (or call) that produced the figure. */
  command: string;
  /** The target from the issue, in words, e.g. "≤ 30 µs". */
  target?: string;
  /** Whether the target is met (omitted when there is none). */
  meetsTarget?: boolean;
  note?: string;
}

export interface BenchContext {
  /** Scale factor: 1 for the full run, smaller (e.g. 0.01) for a quick smoke run. */
  scale: number;
  /** A scratch folder outside the repository for generated inputs. */
  scratch: string;
  log: (line: string) => void;
}

export type Bench = (ctx: BenchContext) => Promise<BenchResult[]>;

export const scratchRoot = join(tmpdir(), "kdumpkit-bench");

/** Median of the samples (the mean of the two middle ones for an even count). */
export function median(samples: number[]): number {
  if (samples.length === 0) throw new Error("median of no samples");
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Wall time of `fn` in milliseconds, with a high-resolution clock. */
export function timeMs(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function timeMsAsync(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function machineDescription(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  let kernel = "";
  try {
    kernel = execFileSync("uname", ["-sr"], { encoding: "utf8" }).trim();
  } catch {
    kernel = process.platform;
  }
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${kernel}, Node ${process.version}`;
}
