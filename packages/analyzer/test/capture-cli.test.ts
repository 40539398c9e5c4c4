// `kdumpkit capture` and `kdumpkit collect` run as the built bin: the emulated /proc/vmcore is
// checked with readelf -l -n and by reading PT_LOAD bytes back from the file; the collected core
// with readelf, by reading it back through openDump against the source, and with makedumpfile.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildElfcorehdr, EM, NT, encodeNote, encodeNotes, encodePrstatus } from "@kdumpkit/elf";
import { openDump } from "@kdumpkit/vmcore";
import { beforeAll, describe, expect, it } from "vitest";
import { decompressedCorpusPath, repoRoot } from "../../../test-support/corpus.js";
import { describeWithPeers, peers } from "../../../test-support/peers.js";
import { tempFile } from "./support/files.js";

const bin = join(repoRoot, "packages/analyzer/dist/cli/main.js");
function kdumpkit(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  return { status: r.status, text: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`pnpm build\` (pnpm test does)`);
});

// 256 KiB of old memory at physical 0: CPU 0 and 2 saved their notes, CPU 1 was offline (zeros).
const NOTES = [0x1000n, 0x1200n, 0x1400n];
const VMCI = 0x2000n;
const vmcoreinfoText = "OSRELEASE=6.12.0-test\nPAGESIZE=4096\nCRASHTIME=1700000000\n";
function oldMemory(): Uint8Array {
  const mem = new Uint8Array(0x40000);
  for (let i = 0x4000; i < mem.length; i++) mem[i] = (i * 2654435761) >>> 24;
  for (const cpu of [0, 2]) {
    const note = encodeNotes([{ name: "CORE", type: NT.PRSTATUS, desc: encodePrstatus({ pr_pid: 100 + cpu }, "x86_64") }], true, { terminator: true });
    mem.set(note, Number(NOTES[cpu]!));
  }
  mem.set(encodeNote({ name: "VMCOREINFO", type: 0, desc: new TextEncoder().encode(vmcoreinfoText) }, true), Number(VMCI));
  return mem;
}
function header(ramEnd = 0x3ffffn): Uint8Array {
  return buildElfcorehdr({
    e_machine: EM.X86_64,
    cpus: NOTES.map((crashNotesAddress, cpu) => ({ cpu, crashNotesAddress })),
    noteBytes: 368,
    vmcoreinfo: { address: VMCI, size: 0x1024 },
    memory: [{ start: 0x4000n, end: 0x1ffffn }, { start: 0x30000n, end: ramEnd }],
    pageOffset: 0xffff888000000000n,
  });
}

describeWithPeers("kdumpkit capture (readelf)", [peers.readelf], () => {
  it("one merged PT_NOTE with the saved CPUs' notes and VMCOREINFO; PT_LOAD bytes equal old memory", () => {
    const mem = oldMemory();
    const image = tempFile("old.img", mem);
    const hdr = tempFile("cap-hdr.bin", header());
    const out = tempFile("cap.vmcore", "");
    const r = kdumpkit("capture", hdr, "--old-memory", `${image}:0`, out, "--json");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.text);
    expect(report.droppedNotes).toEqual([{ phdrIndex: 1, address: "0x1200", reason: "Warning: Zero PT_NOTE entries found" }]);
    const text = spawnSync("readelf", ["-l", "-n", "-W", out], { encoding: "utf8" }).stdout;
    const phdrs = [...text.matchAll(/^\s+(NOTE|LOAD)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)/gm)].map((m) => ({ type: m[1], offset: Number(m[2]), paddr: BigInt(m[4]!), memsz: Number(m[6]) }));
    expect(phdrs.map((p) => p.type)).toEqual(["NOTE", "LOAD", "LOAD"]);
    expect([...text.matchAll(/^\s+CORE\s+0x[0-9a-f]+\s+NT_PRSTATUS/gm)].length).toBe(2);
    expect(text).toMatch(/VMCOREINFO\s+0x[0-9a-f]+\s+Unknown note type: \(0x00000000\)/);
    const file = readFileSync(out);
    for (const p of phdrs.slice(1)) {
      expect(file.subarray(p.offset, p.offset + p.memsz).equals(Buffer.from(mem.subarray(Number(p.paddr), Number(p.paddr) + p.memsz)))).toBe(true);
    }
  });

  it("E_OLD_MEMORY when the header describes memory no image holds; no output left behind", () => {
    const image = tempFile("old2.img", oldMemory());
    const out = tempFile("cap2.vmcore", "previous");
    const r = kdumpkit("capture", tempFile("cap2-hdr.bin", header(0x7ffffn)), "--old-memory", image, out);
    expect(r.status).toBe(2);
    // The message names the address itself (no "(address …)" suffix repeating it).
    expect(r.stderr).toMatch(/E_OLD_MEMORY: no old memory image holds 0x[0-9a-f]+\.\./);
    expect(readFileSync(out, "utf8")).toBe("previous");
    const overlap = kdumpkit("capture", tempFile("cap3-hdr.bin", header()), "--old-memory", `${image}:0`, "--old-memory", `${image}:1000`, out);
    expect(overlap.status).toBe(2);
    expect(overlap.stderr).toContain("E_OLD_MEMORY");
  });
});

describeWithPeers("kdumpkit collect on dumpP.d31", [peers.readelf, peers.makedumpfile], () => {
  it("--exclude-zero: fewer bytes, the same memory through openDump, and makedumpfile reads its log", async () => {
    const source = await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
    const out = tempFile("collected.elf", "");
    const r = kdumpkit("collect", source, out, "--exclude-zero", "--json");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.text);
    expect(report.pagesExcluded).toBeGreaterThan(0);
    expect(report.bytes).toBe(readFileSync(out).length);
    const re = spawnSync("readelf", ["-h", "-l", "-W", out], { encoding: "utf8" });
    expect(re.status).toBe(0);
    expect(Number(/Number of program headers:\s+(\d+)/.exec(re.stdout)![1])).toBe(report.phnum);
    const a = openDump(source);
    const b = openDump(out);
    try {
      expect(b.vmcoreinfoText).toBe(a.vmcoreinfoText);
      let compared = 0;
      for (const range of a.readableRanges()) {
        for (let at = range.start; at < range.end; at += 0x101000n) {
          const n = Number(range.end - at < 4096n ? range.end - at : 4096n);
          expect(Buffer.from(b.readPhysical(at, n)).equals(Buffer.from(a.readPhysical(at, n)))).toBe(true);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(100);
    } finally {
      a.close();
      b.close();
    }
    const dmesg = join(dirname(out), "collected.dmesg"); // makedumpfile refuses an existing file
    const md = spawnSync("makedumpfile", ["--dump-dmesg", out, dmesg], { encoding: "utf8" });
    expect(md.status, md.stderr + md.stdout).toBe(0);
    expect(readFileSync(dmesg, "utf8")).toMatch(/Linux version 6\.12\.117\+deb12-amd64/);
  });
});

describe("kdumpkit collect errors", () => {
  it("a file that is not a dump: exit 2 with a typed error", () => {
    const r = kdumpkit("collect", tempFile("not-a-dump.bin", "hello"), tempFile("x.elf", ""));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^kdumpkit collect: E_[A-Z_]+: /);
  });
});
