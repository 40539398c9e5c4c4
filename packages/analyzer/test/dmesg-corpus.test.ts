// dmesg on the real dumps: dumpP.d31 against makedumpfile --dump-dmesg (the stored output and the
// real tool, also on copies with patched records), dumpA against the guest's serial console.
import { formatDmesgBytes, KernelMemory, openInput, readDmesg, type AnalyzerInput } from "@kdumpkit/analyzer";
import type { Dump } from "@kdumpkit/vmcore";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, openSync, readFileSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decompressedCorpusPath, readCorpusBytes, readCorpusText } from "../../../test-support/corpus.js";
import { describeWithPeers, peers } from "../../../test-support/peers.js";

let pathP: string;
let pathA: string;
let dumpP: AnalyzerInput;
let dumpA: AnalyzerInput;
const work = mkdtempSync(join(tmpdir(), "kdumpkit-dmesg-test-"));

beforeAll(async () => {
  pathP = await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
  pathA = await decompressedCorpusPath("vmcore/dumpA.elf.xz");
  dumpP = await openInput(pathP);
  dumpA = await openInput(pathA);
});
afterAll(() => {
  for (const d of [dumpP, dumpA]) if (d?.kind === "dump") d.dump.close();
});

function makedumpfileDmesg(path: string): Buffer {
  const out = join(work, `mdf-${Math.random().toString(36).slice(2)}.txt`);
  const r = spawnSync("makedumpfile", ["--dump-dmesg", path, out], { encoding: "utf8" });
  expect(r.status, r.stderr + r.stdout).toBe(0);
  return readFileSync(out);
}

describe("dumpP.d31: makedumpfile's --dump-dmesg, byte for byte", () => {
  it("the stored output has no header line: it starts with the first record", () => {
    const stored = readCorpusText("vmcore/dumpP.dmesg.txt");
    expect(stored.startsWith("[    0.000000] Linux version 6.12.117+deb12-amd64")).toBe(true);
    expect(stored.endsWith("\n")).toBe(true);
  });

  it("our text equals dumpP.dmesg.txt", () => {
    const report = readDmesg(dumpP);
    const ours = Buffer.from(formatDmesgBytes(report.records));
    const stored = Buffer.from(readCorpusBytes("vmcore/dumpP.dmesg.txt"));
    expect(ours.length).toBe(stored.length);
    expect(ours.equals(stored)).toBe(true);
  });

  it("records: the lockless ring of 6.12, the panic message at level 0 from the crashing task", () => {
    const report = readDmesg(dumpP);
    expect(report.format).toBe("lockless");
    expect(report.ring).toMatchObject({ descriptors: 4096, dataSize: 131072 });
    expect(report.total).toBe(425);
    expect([report.firstSeq, report.lastSeq, report.dropped]).toEqual([0, 424, 0]);
    const panic = report.records.find((r) => r.text.startsWith("Kernel panic - not syncing: sysrq triggered crash"));
    expect(panic).toBeDefined();
    // dumpP.SUMMARY.md: the panic at [   17.436254] on CPU 2, pid 275 (sh).
    expect(panic!.timestampNs.slice(0, -3)).toBe("17436254");
    expect(panic!.level).toBe(0);
    expect(panic!.callerId).toBe("T275");
  });
});

describeWithPeers("dumpP.d31 against the real makedumpfile", [peers.makedumpfile], () => {
  it("makedumpfile --dump-dmesg on the decompressed file equals our text", () => {
    const theirs = makedumpfileDmesg(pathP);
    const ours = Buffer.from(formatDmesgBytes(readDmesg(dumpP).records));
    expect(ours.equals(theirs)).toBe(true);
  });

  it("on a copy with patched records (high and control bytes, text_len too large, reserved, empty line) both still agree", async () => {
    const copy = join(work, "dumpP-patched.elf");
    copyFileSync(pathP, copy);
    const dump = (dumpP as { dump: Dump }).dump;
    const mem = new KernelMemory(dump);
    const info = dump.vmcoreinfo!;
    const off = (k: string) => Number(info.offsets.get(k)!);
    const size = (k: string) => Number(info.sizes.get(k)!);
    const rb = mem.word(info.symbols.get("prb")!);
    const dr = rb + BigInt(off("printk_ringbuffer.desc_ring"));
    const tr = rb + BigInt(off("printk_ringbuffer.text_data_ring"));
    const count = 2 ** mem.uint32(dr + BigInt(off("prb_desc_ring.count_bits")));
    const dataSize = 2 ** mem.uint32(tr + BigInt(off("prb_data_ring.size_bits")));
    const descs = mem.word(dr + BigInt(off("prb_desc_ring.descs")));
    const infos = mem.word(dr + BigInt(off("prb_desc_ring.infos")));
    const data = mem.word(tr + BigInt(off("prb_data_ring.data")));
    // The kernel-text PT_LOAD and the RAM PT_LOAD both hold the kernel image: makedumpfile reads the
    // first match, @kdumpkit/vmcore the RAM one, so every copy is patched.
    const fileOffsets = (va: bigint): number[] => {
      const pa = mem.physicalOf(va);
      const loads = dump.loads.filter((l) => pa >= l.paddr && pa < l.paddr + l.filesz);
      if (loads.length === 0) throw new Error(`0x${va.toString(16)} is not stored in the file`);
      return loads.map((l) => l.fileOffset + Number(pa - l.paddr));
    };
    const indexOfSeq = (seq: number): number => {
      for (let i = 0; i < count; i++) if (mem.word(infos + BigInt(i * size("printk_info") + off("printk_info.seq"))) === BigInt(seq) && seq !== 0) return i;
      throw new Error(`seq ${seq} not found`);
    };
    const fd = openSync(copy, "r+");
    const put = (va: bigint, bytes: number[] | Uint8Array) => {
      for (const at of fileOffsets(va)) writeSync(fd, Uint8Array.from(bytes), 0, bytes.length, at);
    };
    const u64 = (v: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(v);
      return b;
    };
    const desc = (i: number) => descs + BigInt(i * size("prb_desc"));
    const lpos = (i: number, field: "begin" | "next") => desc(i) + BigInt(off("prb_desc.text_blk_lpos") + off(`prb_data_blk_lpos.${field}`));
    // seq 5: bytes that are neither printable nor space, and a high byte (makedumpfile prints \xffffffNN on x86).
    const i5 = indexOfSeq(5);
    const begin5 = mem.word(lpos(i5, "begin")) % BigInt(dataSize);
    put(data + begin5 + 8n, [0xc3, 0x01, 0x1b, 0xff, 0x7f]);
    // seq 10: text_len far beyond its block.
    put(infos + BigInt(indexOfSeq(10) * size("printk_info") + off("printk_info.text_len")), [0xff, 0xff]);
    // seq 20: a writer that reserved and never committed (state 0, same id).
    const i20 = indexOfSeq(20);
    const sv20 = mem.word(desc(i20) + BigInt(off("prb_desc.state_var")));
    put(desc(i20) + BigInt(off("prb_desc.state_var")), u64(sv20 & ((1n << 62n) - 1n)));
    // seq 30: a data-less empty line (EMPTY_LINE_LPOS in both lpos).
    const i30 = indexOfSeq(30);
    put(lpos(i30, "begin"), u64(3n));
    put(lpos(i30, "next"), u64(3n));
    closeSync(fd);

    const patched = await openInput(copy);
    try {
      const report = readDmesg(patched);
      expect(report.skipped.reserved).toBe(1);
      expect(report.truncated).toBe(1);
      expect(report.records.filter((r) => r.emptyLine).length).toBe(1);
      expect(report.records.find((r) => r.seq === 5)!.textEncoding).toBe("latin1");
      const ours = Buffer.from(formatDmesgBytes(report.records));
      const theirs = makedumpfileDmesg(copy);
      expect(theirs.includes("\\xffffffc3\\x01\\x1b\\xffffffff\\x7f")).toBe(true);
      expect(ours.equals(theirs)).toBe(true);
    } finally {
      if (patched.kind === "dump") patched.dump.close();
    }
  });
});

describe("dumpA (QEMU dump-guest-memory, 5-level paging; makedumpfile fails on it)", () => {
  it("every kernel line of the guest's serial console is in our log, with the same timestamp", () => {
    const report = readDmesg(dumpA);
    expect(report.format).toBe("lockless");
    const ours = Buffer.from(formatDmesgBytes(report.records, { style: "kernel" })).toString("utf8").split("\n");
    const serial = readCorpusText("vmcore/dumpA.serial.log").split("\n").map((l) => l.replace(/\r$/, ""));
    const kernelLines = serial.filter((l) => /^\[\s*\d+\.\d{6}\] /.test(l));
    expect(kernelLines.length).toBeGreaterThan(300);
    const set = new Set(ours);
    expect(kernelLines.filter((l) => !set.has(l))).toEqual([]);
    // The console part (before the test harness's first CORPUS line) comes out in the same order.
    const consoleLines = serial.slice(0, serial.findIndex((l) => l.startsWith("CORPUS"))).filter((l) => /^\[\s*\d+\.\d{6}\] /.test(l));
    let at = 0;
    const outOfOrder = consoleLines.filter((l) => {
      const found = ours.indexOf(l, at);
      if (found < 0) return true;
      at = found + 1;
      return false;
    });
    expect(outOfOrder).toEqual([]);
    expect(consoleLines[0]).toBe(ours[0]);
  });

  it("the last records are the guest's init printing its environment, as its console shows", () => {
    const report = readDmesg(dumpA, { tail: 1 });
    expect(report.records[0]!.text).toBe("    corpus=a");
    expect(report.skipped.badBlock).toBe(0);
  });
});
