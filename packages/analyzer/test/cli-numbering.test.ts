// What a kdump engineer reads in the text and JSON of summary, memory, check, notes and vmcoreinfo,
// checked against readelf's listing of the real dump (corpus ground truth): segments are named by
// program-header index everywhere, kdump's kernel-text duplicate is worded as normal, units and
// time zones are said, and the --help examples of `read` run.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { corpusPath, decompressedCorpusPath, repoRoot } from "../../../test-support/corpus.js";
import { readCommand } from "../src/cli/commands/read.js";

const bin = join(repoRoot, "packages/analyzer/dist/cli/main.js");

function kdumpkit(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
  return { status: r.status, text: r.stdout, stderr: r.stderr };
}

interface Phdr {
  index: number;
  type: string;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
}

/** The "Program Headers" rows of a stored `readelf -l` listing, in table order (= phdr index). */
function readelfPhdrs(listing: string): Phdr[] {
  const out: Phdr[] = [];
  const lines = listing.split("\n");
  const start = lines.findIndex((l) => l.startsWith("Program Headers:"));
  for (const line of lines.slice(start + 2)) {
    const m = /^\s+([A-Z_]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)/.exec(line);
    if (!m) break;
    out.push({ index: out.length, type: m[1]!, vaddr: BigInt(m[3]!), paddr: BigInt(m[4]!), filesz: BigInt(m[5]!), memsz: BigInt(m[6]!) });
  }
  return out;
}

/** Rows of a text table whose first cell is a number: first cell → the other cells. */
function tableRows(text: string): Map<number, string[]> {
  const rows = new Map<number, string[]>();
  for (const line of text.split("\n")) {
    const cells = line.trim().split(/\s{2,}/);
    if (/^\d+$/.test(cells[0] ?? "")) rows.set(Number(cells[0]), cells.slice(1));
  }
  return rows;
}

const inside = (a: Phdr, b: Phdr) => a.paddr >= b.paddr && a.paddr + a.memsz <= b.paddr + b.memsz;
/**
 * The PT_LOAD whose range holds `a`'s and serves its reads, if any. Identical ranges (phdr 2 and 10
 * here) are served by the later phdr: kdump writes the kernel text before the RAM ranges.
 */
const containerOf = (a: Phdr) => loads.filter((b) => b !== a && inside(a, b) && !(inside(b, a) && b.index < a.index)).sort((x, y) => Number(y.memsz - x.memsz))[0];

let dumpP: string;
let dumpA: string;
let phdrs: Phdr[];
let loads: Phdr[];

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`pnpm build\` (pnpm test does)`);
  dumpP = await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
  dumpA = await decompressedCorpusPath("vmcore/dumpA.elf.xz");
  phdrs = readelfPhdrs(readFileSync(corpusPath("vmcore/dumpP.d31.readelf.txt"), "utf8"));
  loads = phdrs.filter((p) => p.type === "LOAD");
  expect(phdrs[0]!.type).toBe("NOTE"); // the case where PT_LOAD order and phdr index differ by one
  expect(loads).toHaveLength(15);
});

/** Every "phdr N (…paddr X + S) duplicates RAM that phdr M covers; reads use phdr M" line, checked against readelf. */
function expectDuplicateLinesMatchReadelf(text: string): number {
  const re = /phdr (\d+) \(kernel text, paddr (0x[0-9a-f]+) \+ (0x[0-9a-f]+)\) duplicates RAM that phdr (\d+) covers; reads use phdr (\d+) \(normal for kdump\)/g;
  let count = 0;
  for (const m of text.matchAll(re)) {
    const dup = phdrs[Number(m[1])]!;
    const container = phdrs[Number(m[4])]!;
    expect(dup.type).toBe("LOAD");
    expect([dup.paddr, dup.memsz]).toEqual([BigInt(m[2]!), BigInt(m[3]!)]);
    expect(dup.vaddr >= 0xffffffff80000000n).toBe(true); // x86_64 kernel text mapping
    expect(container).toBe(containerOf(dup));
    expect(m[5]).toBe(m[4]);
    count++;
  }
  return count;
}

describe("segments are numbered by program-header index everywhere (dumpP.d31 vs readelf)", () => {
  it("summary: the table's phdr column is readelf's index, and the duplicate lines name the right rows", () => {
    const r = kdumpkit("summary", dumpP);
    expect(r.status).toBe(0);
    const rows = tableRows(r.text);
    expect([...rows.keys()]).toEqual(loads.map((l) => l.index));
    for (const l of loads) {
      const [paddr, vaddr, memsz, filesz] = rows.get(l.index)!;
      expect([BigInt(paddr!), BigInt(vaddr!), BigInt(memsz!), BigInt(filesz!)]).toEqual([l.paddr, l.vaddr, l.memsz, l.filesz]);
    }
    const duplicates = loads.filter((a) => containerOf(a) !== undefined);
    expect(duplicates.map((d) => d.index)).toEqual([1, 2, 3]);
    expect(expectDuplicateLinesMatchReadelf(r.text)).toBe(duplicates.length);
    expect(r.text).toMatch(/^info: phdr 1 \(kernel text/m);
    expect(r.text).not.toMatch(/E_OVERLAP/); // an expected duplicate is not shown as an error code
  });

  it("summary --json: loads carry phdrIndex and duplicateOf; problems name phdrs; bytes are the union, as memory says", () => {
    const s = JSON.parse(kdumpkit("summary", dumpP, "--json").text);
    expect(s.loads.map((l: { phdrIndex: number }) => l.phdrIndex)).toEqual(loads.map((l) => l.index));
    for (const l of s.loads as { phdrIndex: number; duplicateOf: number | null }[]) {
      const self = phdrs[l.phdrIndex]!;
      const container = containerOf(self);
      expect(l.duplicateOf).toBe(container ? container.index : null);
    }
    expect(s.problems.map((p: { phdrIndex: number; severity: string }) => [p.phdrIndex, p.severity])).toEqual([[1, "info"], [2, "info"], [3, "info"]]);
    expect(expectDuplicateLinesMatchReadelf(s.problems.map((p: { message: string }) => p.message).join("\n"))).toBe(3);
    // Union of the readelf ranges (the kernel-text duplicates count once) and the bytes stored.
    const sorted = [...loads].sort((a, b) => (a.paddr < b.paddr ? -1 : 1));
    let union = 0n;
    let end = 0n;
    for (const l of sorted) {
      const e = l.paddr + l.memsz;
      if (e > end) {
        union += e - (l.paddr > end ? l.paddr : end);
        end = e;
      }
    }
    const stored = loads.filter((a) => containerOf(a) === undefined).reduce((sum, l) => sum + l.filesz, 0n);
    expect(s.bytesCovered).toBe(Number(union));
    expect(s.bytesInFile).toBe(Number(stored));
    const m = JSON.parse(kdumpkit("memory", dumpP, "--json").text);
    expect(m.bytesCovered).toBe(s.bytesCovered);
    expect(m.bytesInFile).toBe(s.bytesInFile);
    expect(m.loads.map((l: { duplicateOf: number | null }) => l.duplicateOf)).toEqual(s.loads.map((l: { duplicateOf: number | null }) => l.duplicateOf));
  });

  it("memory: phdr column and 'via phdr M' for the duplicates, end marked exclusive", () => {
    const r = kdumpkit("memory", dumpP);
    expect(r.status).toBe(0);
    const rows = tableRows(r.text);
    for (const l of loads) {
      const cells = rows.get(l.index)!;
      expect([BigInt(cells[0]!), BigInt(cells[1]!), BigInt(cells[2]!)]).toEqual([l.paddr, l.paddr + l.memsz, l.vaddr]);
      const container = containerOf(l);
      expect(cells[cells.length - 1]).toBe(container ? `via phdr ${container.index}` : "here");
    }
    expect(r.text).toMatch(/end \(excl\.\)/);
    expect(r.text).not.toMatch(/\breadable\b/);
  });

  it("check: the duplicates are info findings in the same words, and the tally says info, not notes", () => {
    const r = kdumpkit("check", dumpP);
    expect(r.status).toBe(0);
    expect(expectDuplicateLinesMatchReadelf(r.text)).toBe(3);
    expect(r.text).not.toMatch(/E_OVERLAP/);
    expect(r.text).toMatch(/^clean: 0 errors, 0 warnings, \d+ info$/m);
    const j = JSON.parse(kdumpkit("check", dumpP, "--json").text);
    expect(j.findings.filter((f: { check: string }) => f.check === "segments").map((f: { severity: string }) => f.severity)).toEqual(["info", "info", "info"]);
  });

  it("notes: the first column is the PT_NOTE's phdr index (readelf's NOTE row)", () => {
    const r = kdumpkit("notes", dumpP);
    const note = phdrs.find((p) => p.type === "NOTE")!;
    const firstCells = r.text.split("\n").slice(2).filter((l) => l.trim() !== "").map((l) => l.trim().split(/\s+/)[0]);
    expect(firstCells).toEqual(["0", "0", "0"].map(() => `${note.index}`));
    expect(r.text.split("\n")[0]).toMatch(/^phdr\s+offset\s+owner\s+type\s+n_descsz/);
  });
});

describe("units, time zones and --help examples", () => {
  it("summary says the crash time is UTC (checked with date -u) and vmcoreinfo types CRASHTIME the same way", () => {
    const raw = kdumpkit("vmcoreinfo", dumpP, "--raw").text;
    const seconds = /^CRASHTIME=(\d+)$/m.exec(raw)![1]!;
    const date = spawnSync("date", ["-u", "-d", `@${seconds}`, "+%Y-%m-%d %H:%M:%S UTC"], { encoding: "utf8" }).stdout.trim();
    expect(date).toMatch(/UTC$/);
    expect(kdumpkit("summary", dumpP).text).toMatch(new RegExp(`^crash time:\\s+${date}$`, "m"));
    expect(kdumpkit("vmcoreinfo", dumpP).text).toMatch(new RegExp(`^CRASHTIME\\s+${seconds}\\s+${date}$`, "m"));
  });

  it("vmcoreinfo's typed SYMBOL() value is accepted by read --virt (the raw value, without 0x, is not)", () => {
    const line = kdumpkit("vmcoreinfo", dumpP).text.split("\n").find((l) => l.startsWith("SYMBOL(init_uts_ns)"))!;
    const [, raw, typed] = line.trim().split(/\s+/);
    expect(kdumpkit("read", dumpP, "--virt", raw!, "--length", "5").status).toBe(2);
    const r = kdumpkit("read", dumpP, "--virt", typed!, "--length", "5", "--json");
    expect(r.status).toBe(0);
    expect(Buffer.from(JSON.parse(r.text).data, "hex").toString()).toBe("Linux"); // init_uts_ns.name.sysname
  });

  it("every `read --help` example runs on the real dumps (dumpP for the kernel address: its KASLR)", () => {
    expect(readCommand.spec.examples.length).toBeGreaterThan(0);
    for (const [example] of readCommand.spec.examples) {
      const args = example.split("|")[0]!.trim().split(/\s+/).slice(1); // drop "$0", keep "read vmcore …"
      expect(args[0]).toBe("read");
      const dumps = args.includes("--virt") ? [dumpP] : [dumpP, dumpA];
      for (const dump of dumps) {
        const r = kdumpkit(...args.map((a) => (a === "vmcore" ? dump : a)));
        expect({ example, dump, status: r.status, stderr: r.stderr }).toMatchObject({ status: 0, stderr: "" });
      }
    }
  });
});
