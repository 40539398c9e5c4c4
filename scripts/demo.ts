// End-to-end demo of kdumpkit (run with `pnpm demo`, which builds first).
//  1. The running kernel prepares an elfcorehdr with hotplug headroom for 4 CPUs and its RAM.
//  2. A hotplug event: 2 MiB of memory is added, the header is updated in place.
//  3. CPU 1 is taken offline; CPU 2 panics. The capture kernel builds /proc/vmcore from the
//     header and the old memory (emulated by @kdumpkit/vmcore).
//  4. The analyzer (the built `kdumpkit` CLI) looks at the result.
//  5. The same crash had the hotplug updates been missed (a stale elfcorehdr): what the analyzer says.
//  6. The real kdump dump of the corpus (dumpP.d31), when ../shared/corpus is there.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildOldMemory, capture, crash, iomemText, prepareElfcorehdr, RAM_A, RAM_B, systemMapText } from "../packages/analyzer/test/support/synthetic-kernel.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// The bin exactly as the package declares it (the bundle npm would install), not a guessed path.
const analyzerDir = join(root, "packages/analyzer");
const bin = join(analyzerDir, (JSON.parse(readFileSync(join(analyzerDir, "package.json"), "utf8")) as { bin: { kdumpkit: string } }).bin.kdumpkit);
const work = mkdtempSync(join(tmpdir(), "kdumpkit-demo-"));
const started = Date.now();

const bold = process.stdout.isTTY && !process.env.NO_COLOR ? (s: string) => `\x1b[1m${s}\x1b[0m` : (s: string) => s;

function heading(text: string): void {
  console.log(`\n${bold(`== ${text}`)}`);
}

/** Decompresses a corpus file into the OS temp folder once (temp name + rename: an interrupted run leaves no truncated file). */
function decompressed(xzPath: string, name: string): string {
  const path = join(tmpdir(), name);
  if (!existsSync(path)) {
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, execFileSync("xz", ["-dc", xzPath], { maxBuffer: 1 << 30 }));
    renameSync(partial, path);
  }
  return path;
}

function kdumpkit(...args: string[]): void {
  console.log(`$ kdumpkit ${args.map((a) => (a.startsWith(work) || a.startsWith(tmpdir()) ? a.replace(/^.*\//, "…/") : a)).join(" ")}`);
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  console.log(`(exit code ${r.status})`);
}

if (!existsSync(bin)) {
  console.error(`${bin} is missing: run \`pnpm build\` first (pnpm demo does).`);
  process.exit(1);
}

heading("1. the kernel prepares its elfcorehdr: CPUs 0-3, 7 MiB of RAM, room for 8 CPUs and 8 ranges");
const header = prepareElfcorehdr([0, 1, 2, 3], [RAM_A]);
console.log(`segment ${header.buffer.length} bytes, ${header.capacity} program-header slots, ${header.freeSlots()} free`);

heading("2. hotplug: 2 MiB of memory goes online; the header is updated in place");
const t = process.hrtime.bigint();
header.addMemory({ start: RAM_B.start, end: RAM_B.end - 1n });
console.log(`addMemory took ${(Number(process.hrtime.bigint() - t) / 1e3).toFixed(0)} µs; ${header.freeSlots()} slots left, same buffer`);

heading("3. CPU 1 goes offline, CPU 2 panics; the capture kernel builds /proc/vmcore");
const scenario = { possible: 4, present: [0, 1, 2, 3], online: [0, 2, 3], headerCpus: [0, 1, 2, 3], headerMemory: [RAM_A, RAM_B], ramAtCrash: [RAM_A, RAM_B], crashCpu: 2 };
const vmcore = capture(header.buffer, buildOldMemory(scenario));
const dumpPath = join(work, "vmcore");
const mapPath = join(work, "System.map");
const iomemPath = join(work, "iomem");
writeFileSync(dumpPath, vmcore);
writeFileSync(mapPath, systemMapText());
writeFileSync(iomemPath, iomemText(scenario.ramAtCrash));
writeFileSync(join(work, "elfcorehdr"), header.buffer);
console.log(`/proc/vmcore: ${vmcore.length} bytes in ${dumpPath}`);

heading("4. the analyzer on the synthetic crash");
kdumpkit("summary", join(work, "elfcorehdr"));
kdumpkit("cpus", dumpPath, "--system-map", mapPath);
kdumpkit("check", dumpPath, "--system-map", mapPath, "--iomem", iomemPath);

heading("5. the same crash with the hotplug updates missed: CPU 3 and the 2 MiB were added after the header was prepared");
const stale = crash({ ...scenario, headerCpus: [0, 1, 2], headerMemory: [RAM_A] });
const staleDump = join(work, "vmcore.stale");
writeFileSync(staleDump, stale.vmcore);
kdumpkit("check", staleDump, "--system-map", mapPath, "--iomem", iomemPath);

heading("6. the real kdump dump of the corpus (dumpP.d31: 3 CPUs, CPU 1 offline, crash on CPU 2)");
const corpus = resolve(root, "../shared/corpus/vmcore");
if (!existsSync(join(corpus, "dumpP.d31.elf.xz"))) {
  console.log(`skipped: ${corpus} is absent (the corpus lives beside the repository as ../shared/corpus)`);
} else {
  const dump = decompressed(join(corpus, "dumpP.d31.elf.xz"), "kdumpkit-demo-dumpP.d31.elf");
  const map = decompressed(join(corpus, "System.map-6.12.117+deb12-amd64.xz"), "kdumpkit-demo-System.map-6.12.117");
  kdumpkit("summary", dump);
  kdumpkit("cpus", dump, "--system-map", map);
}
console.log(`\ndemo done in ${((Date.now() - started) / 1000).toFixed(1)} s (files in ${work})`);
