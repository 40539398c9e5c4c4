// kdump-compressed and flattened reading (issue 4, makedumpfile formats), on real makedumpfile
// output of the corpus's dumpP.d31 (zlib and lzo, 17,420 dumped pages), all from the same run:
// (a) open time of a kdump-compressed file; (b) random 4 KiB physical reads per second over the
// dumped pages (each one a descriptor lookup + decompression unless cached); (c) every dumped page
// read in pfn order (MB/s of page data delivered); (d) opening a flattened (-F) file in place
// against `makedumpfile -R`, the rewrite it saves.
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openDump } from "../packages/vmcore/dist/index.js";
import { decompressedCorpusPath } from "../test-support/corpus.js";
import { type Bench, type BenchResult, median, timeMs } from "./lib.js";

const PAGE = 4096;

function makedumpfile(args: string[], input: string, output: string, flat: boolean): string {
  if (existsSync(output)) return output;
  const partial = `${output}.${process.pid}.partial`;
  if (flat) {
    const fd = openSync(partial, "w");
    const r = spawnSync("makedumpfile", [...args, input], { stdio: ["ignore", fd, "ignore"] });
    closeSync(fd);
    if (r.status !== 0) throw new Error(`makedumpfile ${args.join(" ")} failed`);
  } else {
    const r = spawnSync("makedumpfile", [...args, input, partial], { stdio: "ignore" });
    if (r.status !== 0) throw new Error(`makedumpfile ${args.join(" ")} failed`);
  }
  renameSync(partial, output);
  return output;
}

const bench: Bench = async (ctx) => {
  const input = await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
  const dir = join(ctx.scratch, "kdump-compressed");
  mkdirSync(dir, { recursive: true });
  const files = {
    zlib: makedumpfile(["-c", "-d", "31"], input, join(dir, "dumpP.zlib"), false),
    lzo: makedumpfile(["-l", "-d", "31"], input, join(dir, "dumpP.lzo"), false),
    flat: makedumpfile(["-F", "-c", "-d", "31"], input, join(dir, "dumpP.flat"), true),
  };
  const results: BenchResult[] = [];
  const reps = Math.max(3, Math.round(15 * ctx.scale));

  for (const kind of ["zlib", "lzo"] as const) {
    const openMs = median(Array.from({ length: reps }, () => timeMs(() => openDump(files[kind]).close())));
    results.push({ id: `vmcore.kdump.${kind}.open.ms`, value: openMs, unit: "ms", peer: null, peerValue: null, command: `openDump(makedumpfile -${kind === "zlib" ? "c" : "l"} -d 31 dumpP)` });

    const dump = openDump(files[kind]);
    const pages: bigint[] = [];
    for (const r of dump.readableRanges()) for (let a = r.start; a < r.end; a += BigInt(PAGE)) pages.push(a);
    const buf = new Uint8Array(PAGE);
    let seed = 12345;
    const n = Math.max(2000, Math.round(100_000 * ctx.scale));
    const order = Array.from({ length: n }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return pages[seed % pages.length]!;
    });
    const randomMs = timeMs(() => {
      for (const a of order) dump.readPhysicalInto(buf, a);
    });
    results.push({ id: `vmcore.kdump.${kind}.random-read.per-s`, value: Math.round(n / (randomMs / 1000)), unit: "reads/s", peer: null, peerValue: null, command: `${n} random 4 KiB readPhysicalInto over ${pages.length} dumped pages` });

    const seqMs = timeMs(() => {
      for (const a of pages) dump.readPhysicalInto(buf, a);
    });
    results.push({ id: `vmcore.kdump.${kind}.seq-read.mb-s`, value: Math.round((pages.length * PAGE) / 1e6 / (seqMs / 1000)), unit: "MB/s", peer: null, peerValue: null, command: `every dumped page in pfn order (${pages.length} pages)` });
    dump.close();
  }

  // Flattened: open in place vs the rewrite `makedumpfile -R` would need first.
  const flatOpen = median(Array.from({ length: reps }, () => timeMs(() => openDump(files.flat).close())));
  const restored = join(dir, "dumpP.flat.R");
  const rMs = median(
    Array.from({ length: Math.min(reps, 5) }, () => {
      rmSync(restored, { force: true });
      const fd = openSync(files.flat, "r");
      const ms = timeMs(() => {
        spawnSync("makedumpfile", ["-R", restored], { stdio: [fd, "ignore", "ignore"] });
      });
      closeSync(fd);
      return ms;
    }),
  );
  rmSync(restored, { force: true });
  results.push({
    id: "vmcore.kdump.flattened.open.ms",
    value: flatOpen,
    unit: "ms",
    peer: "makedumpfile -R",
    peerValue: rMs,
    command: "openDump(makedumpfile -F -c -d 31 dumpP) vs makedumpfile -R < flat (rewrite before any tool can read it)",
  });
  return results;
};

export default bench;
