// Benchmarks of the kdumpkit CLI (issue 5): how much a command costs over starting Node at all.
// Whole-process times of the BUILT bin (`pnpm bench` builds first) on the filtered public dump
// dumpP.d31, interleaved with `node -e 0` in the same run so that machine load affects both alike.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decompressedCorpusPath, repoRoot } from "../test-support/corpus.js";
import { type Bench, type BenchResult, median } from "./lib.js";

// The bin users run (package.json "bin": dist/cli/kdumpkit.cjs, which loads one per-command bundle, see
// packages/analyzer/scripts/bundle-cli.mjs).
const analyzerDir = join(repoRoot, "packages/analyzer");
const bin = join(analyzerDir, (JSON.parse(readFileSync(join(analyzerDir, "package.json"), "utf8")) as { bin: { kdumpkit: string } }).bin.kdumpkit);

function wallMs(args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0 && !(args.includes("cpus") && r.status === 1)) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const bench: Bench = async (ctx) => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run pnpm build`);
  const dump = await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
  const systemMap = await decompressedCorpusPath("vmcore/System.map-6.12.117+deb12-amd64.xz");
  const runs = Math.max(5, Math.round(31 * ctx.scale));
  const base: number[] = [];
  const summary: number[] = [];
  const cpus: number[] = [];
  const summaryArgs = [bin, "summary", dump];
  const cpusArgs = [bin, "cpus", dump, "--system-map", systemMap];
  // Warm the page cache and the disk cache of the modules once.
  wallMs(["-e", "0"]);
  wallMs(summaryArgs);
  wallMs(cpusArgs);
  for (let i = 0; i < runs; i++) {
    base.push(wallMs(["-e", "0"]));
    summary.push(wallMs(summaryArgs));
    cpus.push(wallMs(cpusArgs));
  }
  const nodeMs = median(base);
  const startup = median(summary) - nodeMs;
  const cpusMs = median(cpus) - nodeMs;
  ctx.log(`node -e 0 ${nodeMs.toFixed(1)} ms, summary ${median(summary).toFixed(1)} ms, cpus ${median(cpus).toFixed(1)} ms (medians of ${runs})`);
  const results: BenchResult[] = [
    {
      id: "cli.startup-overhead.ms",
      value: startup,
      unit: "ms",
      peer: "node -e 0",
      peerValue: nodeMs,
      command: "kdumpkit summary dumpP.d31.elf (median wall time) − node -e 0 (median, same run)",
      target: "≤ 40 ms",
      meetsTarget: startup <= 40,
      note: "Whole-process time of the bundled bin on the filtered public dump; commands load only what they use (no yargs on a plain command line, no canvas without --png, node:zlib / child_process / fs/promises only when needed).",
    },
    {
      id: "analyzer.cpus.ms",
      value: cpusMs,
      unit: "ms",
      peer: "node -e 0",
      peerValue: nodeMs,
      command: "kdumpkit cpus dumpP.d31.elf --system-map System.map-6.12.117+deb12-amd64 (median) − node -e 0 (median, same run)",
      target: "≤ 100 ms",
      meetsTarget: cpusMs <= 100,
      note: "Includes reading the 7 MB System.map and one regular-expression pass for the symbols.",
    },
  ];
  return results;
};

export default bench;
