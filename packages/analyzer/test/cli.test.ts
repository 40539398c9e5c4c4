// The built `kdumpkit` bin run as a user runs it (child process; `pnpm test` builds first), for
// text and --json, with the exit codes of the README.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { corpusPath, decompressedCorpusPath, repoRoot } from "../../../test-support/corpus.js";
import { tempFile } from "./support/files.js";
import { crash, RAM_A, RAM_B } from "./support/synthetic-kernel.js";

// The bin as package.json declares it: the bundle scripts/bundle-cli.mjs makes of dist/cli/main.js.
const bin = join(repoRoot, "packages/analyzer", (JSON.parse(readFileSync(join(repoRoot, "packages/analyzer/package.json"), "utf8")) as { bin: { kdumpkit: string } }).bin.kdumpkit);

function kdumpkit(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "buffer", maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, text: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
}

let dumpP: string;
let systemMap: string;

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`pnpm build\` (pnpm test does)`);
  dumpP = await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
  systemMap = await decompressedCorpusPath("vmcore/System.map-6.12.117+deb12-amd64.xz");
});

describe("kdumpkit CLI on dumpP.d31", () => {
  it("summary: text and --json with the documented fields", () => {
    const text = kdumpkit("summary", dumpP);
    expect(text.status).toBe(0);
    expect(text.text).toMatch(/release:\s+6\.12\.117\+deb12-amd64/);
    expect(text.text).not.toContain("\x1b["); // no colours when stdout is a pipe
    const json = kdumpkit("summary", dumpP, "--json");
    expect(json.status).toBe(0);
    const r = JSON.parse(json.text);
    expect(r).toMatchObject({ schemaVersion: 1, arch: "x86_64", pageSize: 4096, osRelease: "6.12.117+deb12-amd64", nrCpus: 2, noteCounts: { NT_PRSTATUS: 2, VMCOREINFO: 1 } });
    expect(r.crashTime).toBe("2026-11-21T20:08:48.000Z");
    expect(r.loads[0]).toEqual({ phdrIndex: 1, paddr: "0x16a00000", vaddr: "0xffffffffaf200000", size: "0x26a4000", fileSize: "0x2301000", duplicateOf: 9 });
  });

  it("cpus --system-map --json: the contract fields and the crashing CPU", () => {
    const r = kdumpkit("cpus", dumpP, "--system-map", systemMap, "--json");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.text);
    expect(report.schemaVersion).toBe(1);
    expect(report.crashingCpu).toBe(2);
    expect(report.cpus.map((c: Record<string, unknown>) => [c.cpu, c.inDump, c.note, c.possible, c.present, c.online])).toEqual([
      [0, true, "initialized", true, true, true],
      [1, false, "uninitialized", true, true, false],
      [2, true, "initialized", true, true, true],
    ]);
    const text = kdumpkit("cpus", dumpP, "--system-map", systemMap);
    expect(text.text).toMatch(/offline at crash, note uninitialized \(expected; crash_notes read from memory\)/);
    expect(text.text).toMatch(/crashing CPU: 2/);
  });

  it("cpus --registers --json: every register of the saved notes, as in the truth", () => {
    const truth = JSON.parse(readFileSync(corpusPath("vmcore/dumpP.truth.json"), "utf8"));
    const report = JSON.parse(kdumpkit("cpus", dumpP, "--system-map", systemMap, "--registers", "--json").text);
    const saved = report.cpus.filter((c: { inDump: boolean }) => c.inDump);
    expect(saved.map((c: { registers: unknown }) => c.registers)).toEqual(truth.nt_prstatus.map((p: { regs: unknown }) => p.regs));
  });

  it("vmcoreinfo --raw prints the note's text byte for byte (sha256 of the truth)", () => {
    const truth = JSON.parse(readFileSync(corpusPath("vmcore/dumpP.truth.json"), "utf8"));
    const r = kdumpkit("vmcoreinfo", dumpP, "--raw");
    expect(r.status).toBe(0);
    expect(createHash("sha256").update(r.stdout).digest("hex")).toBe(truth.vmcoreinfo_sha256);
    expect(kdumpkit("vmcoreinfo", dumpP).text).toMatch(/OSRELEASE\s+6\.12\.117\+deb12-amd64/);
  });

  it("cpus without --system-map: masks unknown (null), CPU numbers from note order", () => {
    const report = JSON.parse(kdumpkit("cpus", dumpP, "--json").text);
    expect(report.cpus.map((c: { possible: unknown }) => c.possible)).toEqual([null, null]);
    expect(report.crashingCpu).toBeNull();
  });

  it("read --raw writes exactly the bytes (hash of a page from the corpus samples)", () => {
    const samples = JSON.parse(readFileSync(corpusPath("vmcore/dumpP.d31.samples.json"), "utf8"));
    const list: { paddr: string; sha256: string }[] = samples.samples;
    const sample = list[0]!;
    const r = kdumpkit("read", dumpP, "--phys", sample.paddr, "--length", "4096", "--raw");
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBe(4096);
    expect(createHash("sha256").update(r.stdout).digest("hex")).toBe(sample.sha256);
  });

  it("read outside PT_LOAD: exit 2 and the typed error on stderr", () => {
    const r = kdumpkit("read", dumpP, "--phys", "0x0", "--length", "16", "--raw");
    expect(r.status).toBe(2);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toMatch(/E_NOT_IN_DUMP/);
    // The message names the address already: no "(address …)" suffix repeats it.
    const outside = kdumpkit("read", dumpP, "--phys", "0x1000", "--length", "64");
    expect(outside.stderr.trim().split("\n")).toHaveLength(1);
    expect(outside.stderr).not.toMatch(/\(address 0x/);
    const virt = kdumpkit("read", dumpP, "--virt", "0xffffffffb101f700", "--length", "5", "--json");
    expect(Buffer.from(JSON.parse(virt.text).data, "hex").toString()).toBe("Linux");
  });

  it("bad input and usage exit with 2", () => {
    expect(kdumpkit("summary", "/nonexistent/vmcore").status).toBe(2);
    expect(kdumpkit("summary", corpusPath("vmcore/dumpP.SUMMARY.md")).stderr).toMatch(/E_NOT_A_DUMP|E_BAD_MAGIC|E_TRUNCATED/);
    expect(kdumpkit("read", dumpP, "--phys", "zzz", "--length", "4").stderr).toMatch(/E_BAD_ARGUMENT/);
    const usage = kdumpkit("read", dumpP);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/length/);
    expect(kdumpkit("nonsense").status).toBe(2);
  });

  it("--version prints the package's version; --raw with --json is refused (exit 2)", () => {
    const version = kdumpkit("--version");
    expect(version.status).toBe(0);
    expect(version.text.trim()).toBe((JSON.parse(readFileSync(join(repoRoot, "packages/analyzer/package.json"), "utf8")) as { version: string }).version);
    for (const args of [["read", dumpP, "--phys", "0x1000000", "--length", "8"], ["vmcoreinfo", dumpP]]) {
      const r = kdumpkit(...args, "--raw", "--json");
      expect(r.status).toBe(2);
      expect(r.stdout.length).toBe(0);
      expect(r.stderr).toMatch(/E_BAD_ARGUMENT: --raw and --json exclude each other/);
    }
  });

  it("an unknown command says so, lists every command and exits 2; a near miss also gets a hint", () => {
    const r = kdumpkit("foo", dumpP);
    expect(r.status).toBe(2);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toMatch(/^kdumpkit: unknown command "foo"\.\n/);
    expect(r.stderr).not.toMatch(/Did you mean/); // "foo" is no misspelling of "fdt"
    const listed = r.stderr.split("\n").filter((l) => /^  \S/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    expect(listed).toEqual(["summary", "notes", "cpus", "vmcoreinfo", "memory", "check", "read", "dmesg", "fdt", "hotplug", "capture", "collect"]);
    const near = kdumpkit("sumary", dumpP);
    expect(near.status).toBe(2);
    expect(near.stderr).toMatch(/unknown command "sumary"\. Did you mean summary\?/);
    // Known commands and bare options still go to yargs.
    expect(kdumpkit("--help").status).toBe(0);
  });

  it("--help lists the commands and the examples", () => {
    const r = kdumpkit("--help");
    expect(r.status).toBe(0);
    for (const c of ["summary", "notes", "cpus", "vmcoreinfo", "memory", "check", "read"]) expect(r.text).toContain(`kdumpkit ${c}`);
    expect(kdumpkit("cpus", "--help").text).toMatch(/--system-map/);
  });
});

describe("kdumpkit CLI on synthetic crashes: exit codes", () => {
  it("check is 0 on a clean crash and 1 on a stale elfcorehdr; cpus --json names the stale CPU", () => {
    const clean = crash({ possible: 2, present: [0, 1], online: [0, 1], headerCpus: [0, 1], headerMemory: [RAM_A, RAM_B], ramAtCrash: [RAM_A, RAM_B], crashCpu: 1 });
    const stale = crash({ possible: 3, present: [0, 1, 2], online: [0, 1, 2], headerCpus: [0, 1], headerMemory: [RAM_A, RAM_B], ramAtCrash: [RAM_A], crashCpu: 1 });
    const map = tempFile("cli-synthetic.System.map", clean.systemMap);
    const cleanDump = tempFile("cli-clean.vmcore", clean.vmcore);
    const staleDump = tempFile("cli-stale.vmcore", stale.vmcore);
    const iomemClean = tempFile("cli-clean.iomem", clean.iomem);
    const iomemStale = tempFile("cli-stale.iomem", stale.iomem);
    expect(kdumpkit("check", cleanDump, "--system-map", map, "--iomem", iomemClean).status).toBe(0);
    const r = kdumpkit("check", staleDump, "--system-map", map, "--iomem", iomemStale, "--json");
    expect(r.status).toBe(1);
    expect(JSON.parse(r.text).worst).toBe("error");
    const c = JSON.parse(kdumpkit("cpus", staleDump, "--system-map", map, "--json").text);
    expect(c.cpus.find((x: { cpu: number }) => x.cpu === 2).verdict).toMatch(/stale/);
    expect(kdumpkit("cpus", staleDump, "--system-map", map).status).toBe(1);
    const mem = kdumpkit("memory", staleDump, "--iomem", iomemStale);
    expect(mem.status).toBe(1);
    expect(mem.text).toMatch(/hot-removed/);
  });

  it("a bare elfcorehdr: summary and notes describe it", () => {
    const r = kdumpkit("summary", corpusPath("vmcore/dumpP.elfcorehdr-raw.bin"));
    expect(r.status).toBe(0);
    expect(r.text).toMatch(/bare elfcorehdr/);
    expect(r.text).toMatch(/0x2233d800/);
    const n = JSON.parse(kdumpkit("notes", corpusPath("vmcore/dumpP.elfcorehdr-raw.bin"), "--json").text);
    expect(n.notes).toHaveLength(4);
  });
});
