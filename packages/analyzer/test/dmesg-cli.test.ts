// `kdumpkit dmesg` run from the built bin as a user runs it (`pnpm test` builds first).
import { spawnSync } from "node:child_process";
import { closeSync, copyFileSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { closeInput, KernelMemory, openInput, readDmesg } from "@kdumpkit/analyzer";
import { beforeAll, describe, expect, it } from "vitest";
import { corpusPath, decompressedCorpusPath, readCorpusBytes, repoRoot } from "../../../test-support/corpus.js";
import { tempPath } from "./support/files.js";

// The bin as package.json declares it (the bundle users run), not the unbundled dist/cli/main.js.
const bin = join(repoRoot, "packages/analyzer", (JSON.parse(readFileSync(join(repoRoot, "packages/analyzer/package.json"), "utf8")) as { bin: { kdumpkit: string } }).bin.kdumpkit);

function kdumpkit(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "buffer", maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, text: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
}

let dumpP: string;

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`pnpm build\` (pnpm test does)`);
  dumpP = await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
});

describe("kdumpkit dmesg", () => {
  it("prints exactly what makedumpfile --dump-dmesg wrote for dumpP", () => {
    const r = kdumpkit("dmesg", dumpP);
    expect(r.status).toBe(0);
    expect(r.stdout.equals(Buffer.from(readCorpusBytes("vmcore/dumpP.dmesg.txt")))).toBe(true);
  });

  it("--tail and --level select records; --raw-prefix kernel and --caller-id change the prefix", () => {
    const stored = Buffer.from(readCorpusBytes("vmcore/dumpP.dmesg.txt")).toString("utf8").split("\n");
    const tail = kdumpkit("dmesg", dumpP, "--tail", "3");
    expect(tail.status).toBe(0);
    expect(tail.text).toBe(`${stored.slice(-4, -1).join("\n")}\n`);
    const emerg = kdumpkit("dmesg", dumpP, "--level", "0");
    expect(emerg.text).toContain("] Kernel panic - not syncing: sysrq triggered crash\n");
    const caller = kdumpkit("dmesg", dumpP, "--tail", "1", "--caller-id", "--raw-prefix", "kernel");
    expect(caller.text).toBe("[   17.448399][  T275]  </TASK>\n");
  });

  it("--json: schemaVersion, the documented fields, timestamps as decimal strings", () => {
    const r = kdumpkit("dmesg", dumpP, "--json", "--tail", "2");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.text);
    expect(report).toMatchObject({ schemaVersion: 1, command: "dmesg", format: "lockless", total: 425, firstSeq: 0, lastSeq: 424, filtered: 423 });
    expect(report.records[1]).toEqual({ seq: 424, timestampNs: "17448399389", level: 4, facility: 0, callerId: "T275", text: " </TASK>", textEncoding: "utf-8", emptyLine: false, truncated: false });
    expect(report.ring.address).toMatch(/^0x[0-9a-f]+$/);
  });

  it("a record with an impossible text_blk_lpos is skipped and named, and the exit code is 1 (findings)", async () => {
    // A copy of dumpP with descriptor 0x100's text_blk_lpos.next set 8 bytes before its begin.
    const input = await openInput(dumpP);
    if (input.kind !== "dump") throw new Error("dumpP is a dump");
    const prb = BigInt(readDmesg(input).ring!.address);
    const mem = new KernelMemory(input.dump);
    const desc = mem.word(prb + 8n) + 0x100n * 24n; // desc_ring.descs; struct prb_desc is 24 bytes
    const begin = mem.word(desc + 8n);
    const physical = mem.physicalOf(desc + 16n);
    const load = input.dump.loads.find((l) => l.readable && physical >= l.paddr && physical + 8n <= l.paddr + l.filesz)!;
    const fileOffset = Number(BigInt(load.fileOffset) + physical - load.paddr);
    closeInput(input);
    const copy = tempPath("dmesg-bad-lpos.elf");
    copyFileSync(dumpP, copy);
    const fd = openSync(copy, "r+");
    const next = Buffer.alloc(8);
    next.writeBigUInt64LE((begin - 8n) & 0xffff_ffff_ffff_ffffn);
    writeSync(fd, next, 0, 8, fileOffset);
    closeSync(fd);

    const text = kdumpkit("dmesg", copy);
    expect(text.status).toBe(1);
    expect(text.stderr).toMatch(/1 inconsistent record\(s\) skipped/);
    const json = kdumpkit("dmesg", copy, "--json");
    expect(json.status).toBe(1);
    const report = JSON.parse(json.text);
    expect(report.skipped.badBlock).toBe(1);
    expect(report.problems[0].address).toBe(`0x${desc.toString(16)}`);
    expect(kdumpkit("dmesg", copy, "--strict").status).toBe(2);
  });

  it("bad input: exit code 2 and a coded message on stderr", () => {
    const bare = kdumpkit("dmesg", corpusPath("vmcore/dumpP.elfcorehdr-raw.bin"));
    expect(bare.status).toBe(2);
    expect(bare.stderr).toContain("E_NO_MEMORY");
    const style = kdumpkit("dmesg", dumpP, "--raw-prefix", "syslog");
    expect(style.status).toBe(2);
    expect(style.stderr).toContain("E_BAD_ARGUMENT");
    const level = kdumpkit("dmesg", dumpP, "--level", "9");
    expect(level.status).toBe(2);
    expect(level.stderr).toContain("E_BAD_ARGUMENT");
  });
});
