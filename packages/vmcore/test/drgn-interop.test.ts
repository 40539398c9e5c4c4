// Interop with drgn (Debian python3-drgn 0.0.22): drgn opens the same dumps as core dumps without
// debug info and reads PHYSICAL memory at a few hundred seeded random addresses in, around and
// between the PT_LOADs. Where drgn returns bytes ours must be the same bytes; where drgn raises
// FaultError we must throw E_NOT_IN_DUMP (naming the same first unreadable address for ELF), and
// the other way round. drgn 0.0.22 here is built with libkdumpfile, so it also opens makedumpfile's
// kdump-compressed output (`-c -d 31`); it does not open flattened (-F) files ("not an ELF core file"),
// so those are not compared here (diskdump-makedumpfile.test.ts compares them with `makedumpfile -R`).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Dump, VmcoreError, openDump } from "@kdumpkit/vmcore";
import { decompressedCorpusPath } from "../../../test-support/corpus.js";
import { describeWithPeers, peers } from "../../../test-support/peers.js";
import { makedumpfileOutput } from "./support/makedumpfile-outputs.js";

const SCRIPT = fileURLToPath(new URL("./support/drgn-read.py", import.meta.url));
const READS_PER_DUMP = 300;

type DrgnResult = { hex: string } | { fault: string; address: string } | { error: string };

/** Runs drgn over `reads` of `path`; returns one result per read, in order. */
function drgnRead(path: string, reads: [bigint, number][]): { flags: string; results: DrgnResult[] } {
  const input = JSON.stringify({ path, reads: reads.map(([a, n]) => [`0x${a.toString(16)}`, n]) });
  const r = spawnSync("/usr/bin/python3", [SCRIPT], { input, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`drgn helper failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { flags: string; results: DrgnResult[] };
}

/** mulberry32: a seeded generator, so a failing address set can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Reads inside, at the edges of (p_paddr, p_paddr + p_filesz, p_paddr + p_memsz) and between the
 * PT_LOADs as the program headers declare them, and far beyond the last one. Sizes from 1 byte to
 * a little over two pages, so reads cross page and segment boundaries.
 */
function addressesFor(dump: Dump, seed: number): [bigint, number][] {
  const next = rng(seed);
  const int = (n: number) => Math.floor(next() * n);
  const loads = dump.loads.filter((l) => l.memsz > 0n);
  const maxEnd = loads.reduce((m, l) => (l.paddr + l.memsz > m ? l.paddr + l.memsz : m), 0n);
  const sizes = [1, 8, 64, 4096, 4096, 8192 + 17];
  const out: [bigint, number][] = [];
  while (out.length < READS_PER_DUMP) {
    const load = loads[int(loads.length)]!;
    const size = int(3) === 0 ? 1 + int(9000) : sizes[int(sizes.length)]!;
    const near = (edge: bigint) => edge - BigInt(int(size + 64)) + 32n;
    let address: bigint;
    switch (int(6)) {
      case 0:
        address = load.paddr + BigInt(Math.floor(next() * Number(load.memsz)));
        break;
      case 1:
        address = near(load.paddr);
        break;
      case 2:
        address = near(load.paddr + load.filesz);
        break;
      case 3:
        address = near(load.paddr + load.memsz);
        break;
      case 4:
        address = (maxEnd + (1n << 30n)) * BigInt(Math.floor(next() * 1e6)) / 1000000n;
        break;
      default:
        address = maxEnd + BigInt(int(1 << 30));
    }
    out.push([address < 0n ? 0n : address, size]);
  }
  return out;
}

/** Our answer for one read: the bytes as hex, or the VmcoreError's code and address. */
function ours(dump: Dump, address: bigint, size: number): { hex: string } | { code: string; address: bigint | undefined } {
  try {
    return { hex: Buffer.from(dump.readPhysical(address, size)).toString("hex") };
  } catch (error) {
    if (error instanceof VmcoreError) return { code: error.code, address: error.address };
    throw error;
  }
}

/**
 * Compares every read (addresses chosen from `layout`'s PT_LOADs: a kdump-compressed file has none
 * of its own, so its ELF input gives them). `sameFaultAddress`: drgn's ELF reader names the first byte it could not
 * find, as we do; through libkdumpfile it names the start of the read instead, so for
 * kdump-compressed files only the outcome is compared.
 */
function compareWithDrgn(dump: Dump, path: string, seed: number, sameFaultAddress: boolean, layout: Dump = dump): { bytes: number; faults: number } {
  const reads = addressesFor(layout, seed);
  const { flags, results } = drgnRead(path, reads);
  expect(flags).toContain("IS_LINUX_KERNEL");
  expect(results).toHaveLength(reads.length);
  let bytes = 0;
  let faults = 0;
  reads.forEach(([address, size], i) => {
    const theirs = results[i]!;
    const where = `read of ${size} bytes at 0x${address.toString(16)} (seed ${seed}, #${i})`;
    if ("error" in theirs) expect.fail(`drgn raised something other than FaultError on the ${where}: ${theirs.error}`);
    const mine = ours(dump, address, size);
    if ("hex" in theirs) {
      bytes++;
      if (!("hex" in mine)) expect.fail(`${where}: drgn read it, we threw ${mine.code} at 0x${mine.address?.toString(16)}`);
      if (mine.hex !== theirs.hex) expect.fail(`${where}: our bytes differ from drgn's`);
    } else {
      faults++;
      if ("hex" in mine) expect.fail(`${where}: drgn raised FaultError (${theirs.fault}), we returned bytes`);
      expect(mine.code, where).toBe("E_NOT_IN_DUMP");
      if (sameFaultAddress) expect(`0x${mine.address?.toString(16)}`, where).toBe(theirs.address);
    }
  });
  return { bytes, faults };
}

describeWithPeers("physical reads agree with drgn 0.0.22", [peers.drgn, peers.makedumpfile], () => {
  const opened: Dump[] = [];
  const open = (path: string) => {
    const dump = openDump(path);
    opened.push(dump);
    return dump;
  };
  let dumpP = "";
  let dumpA = "";
  let compressed = "";

  beforeAll(async () => {
    dumpP = await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
    dumpA = await decompressedCorpusPath("vmcore/dumpA.elf.xz");
    compressed = await makedumpfileOutput("zlib"); // makedumpfile -c -d 31 of dumpP.d31
  }, 180_000);

  afterAll(() => {
    for (const d of opened) d.close();
  });

  it("dumpP.d31 (kdump /proc/vmcore filtered by makedumpfile -E -d 31): same bytes, same faults", () => {
    const { bytes, faults } = compareWithDrgn(open(dumpP), dumpP, 0x5eed_d31, true);
    // The address mix must exercise both outcomes, or the comparison proves little.
    expect(bytes).toBeGreaterThan(50);
    expect(faults).toBeGreaterThan(50);
  });

  it("dumpA (QEMU dump-guest-memory, 5-level guest): same bytes, same faults", () => {
    const { bytes, faults } = compareWithDrgn(open(dumpA), dumpA, 0x5eed_a, true);
    expect(bytes).toBeGreaterThan(50);
    expect(faults).toBeGreaterThan(50);
  });

  it("makedumpfile -c -d 31 of dumpP (kdump-compressed, read by drgn through libkdumpfile): same bytes, same faults", () => {
    const { bytes, faults } = compareWithDrgn(open(compressed), compressed, 0x5eed_c31, false, open(dumpP));
    expect(bytes).toBeGreaterThan(30);
    expect(faults).toBeGreaterThan(50);
  });
});
