// kdump-compressed files made in the test run by makedumpfile from the corpus's dumpP.d31.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Dump, VmcoreError, bufferSource, openDiskDump, openDump, readCString } from "@kdumpkit/vmcore";
import { decompressedCorpusPath, readCorpusJson } from "../../../test-support/corpus.js";
import { describeWithPeers, peers } from "../../../test-support/peers.js";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const samples = readCorpusJson<{ samples: { paddr: string; length: number; sha256: string }[]; holes: string[] }>("vmcore/dumpP.d31.samples.json");

describeWithPeers("kdump-compressed dumps written by makedumpfile", [peers.makedumpfile], () => {
  const dir = mkdtempSync(join(tmpdir(), "kdumpkit-diskdump-"));
  let elf: Dump;
  const files: Record<string, string> = {};
  beforeAll(async () => {
    const input = await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
    elf = openDump(input);
    for (const [name, args] of [["zlib", ["-c", "-d", "31"]], ["raw", ["-d", "31"]]] as const) {
      files[name] = join(dir, `${name}.kdump`);
      execFileSync("makedumpfile", [...args, input, files[name]!], { stdio: "ignore" });
    }
  });
  afterAll(() => {
    elf?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ["zlib", "raw"]) {
    it(`${name}: headers, notes, VMCOREINFO`, () => {
      const dump = openDump(files[name]!) as Dump & { diskdump: { nr_cpus: number; block_size: number; utsname: { release: string } } };
      try {
        expect(dump.format).toBe("kdump-compressed");
        expect(dump.arch).toBe("x86_64");
        expect(dump.diskdump.nr_cpus).toBe(2);
        expect(dump.diskdump.block_size).toBe(4096);
        expect(dump.diskdump.utsname.release).toBe(elf.vmcoreinfo!.osRelease);
        expect(dump.notes.map((n) => n.name)).toEqual(["CORE", "CORE", "VMCOREINFO"]);
        expect(dump.vmcoreinfoText).toBe(elf.vmcoreinfoText);
      } finally {
        dump.close();
      }
    });

    it(`${name}: sample pages hash as listed, holes are E_NOT_IN_DUMP, init_uts_ns reads`, () => {
      const dump = openDump(files[name]!);
      try {
        // makedumpfile filters again from the filtered input (its mem_map pages read as zeros there), so it
        // drops some pages the corpus sampled: those must be refused, the rest must hash as listed.
        let covered = 0;
        for (const s of samples.samples) {
          if (dump.isPhysicalCovered(BigInt(s.paddr), s.length)) {
            covered++;
            expect(sha256(dump.readPhysical(BigInt(s.paddr), s.length)), s.paddr).toBe(s.sha256);
          } else {
            expect(() => dump.readPhysical(BigInt(s.paddr), s.length)).toThrow(expect.objectContaining({ code: "E_NOT_IN_DUMP" }));
          }
        }
        expect(covered).toBeGreaterThanOrEqual(20);
        for (const h of samples.holes) {
          expect(() => dump.readPhysical(BigInt(h), 8)).toThrow(expect.objectContaining({ code: "E_NOT_IN_DUMP", address: BigInt(h) }));
        }
        const info = dump.vmcoreinfo!;
        const release = readCString(dump, info.symbols.get("init_uts_ns")! + info.offsets.get("uts_namespace.name")! + 130n, 65, "virtual");
        expect(release).toBe(info.osRelease);
      } finally {
        dump.close();
      }
    });
  }

  it("every dumped page equals the ELF input's bytes", () => {
    const dump = openDump(files.zlib!);
    try {
      const ranges = dump.readableRanges();
      expect(ranges.length).toBeGreaterThan(3);
      let pages = 0;
      for (const r of ranges) {
        for (let a = r.start; a < r.end; a += 1n << 16n) {
          const n = Number(r.end - a < 1n << 16n ? r.end - a : 1n << 16n);
          if (!Buffer.from(dump.readPhysical(a, n)).equals(elf.readPhysical(a, n))) throw new Error(`differs at 0x${a.toString(16)}`);
          pages += n / 4096;
        }
      }
      expect(pages).toBeGreaterThan(1000);
    } finally {
      dump.close();
    }
  });

  it("E_BAD_PAGE for zlib data that does not inflate; E_TRUNCATED / E_NOT_A_DUMP for broken headers", () => {
    const bytes = new Uint8Array(readFileSync(files.zlib!));
    const probe = openDiskDump(bufferSource(bytes));
    const { block_size: bs, sub_hdr_size, bitmap_blocks } = probe.diskdump;
    const descBase = (1 + sub_hdr_size + bitmap_blocks) * bs;
    const v = new DataView(bytes.buffer);
    const dumped = [...probe.pages()].map((p) => p.address);
    const k = dumped.findIndex((_, i) => (v.getUint32(descBase + i * 24 + 12, true) & 1) === 1);
    expect(k).toBeGreaterThanOrEqual(0);
    const dataAt = Number(v.getBigInt64(descBase + k * 24, true));
    const broken = bytes.slice();
    broken.fill(0xff, dataAt, dataAt + 16);
    const dump = openDiskDump(bufferSource(broken));
    let error: unknown;
    try {
      dump.readPhysical(dumped[k]!, 16);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VmcoreError);
    expect((error as VmcoreError).code).toBe("E_BAD_PAGE");
    const lzo = bytes.slice();
    new DataView(lzo.buffer).setUint32(descBase + k * 24 + 12, 0x2, true); // DUMP_DH_COMPRESSED_LZO
    expect(() => openDiskDump(bufferSource(lzo)).readPhysical(dumped[k]!, 16)).toThrow(expect.objectContaining({ code: "E_UNSUPPORTED_COMPRESSION" }));
    expect(() => openDump(bufferSource(bytes.subarray(0, 300)))).toThrow(expect.objectContaining({ code: "E_TRUNCATED" }));
    const badBlock = bytes.slice(0, 8192);
    new DataView(badBlock.buffer).setInt32(428, 3000, true);
    expect(() => openDump(bufferSource(badBlock))).toThrow(expect.objectContaining({ code: "E_NOT_A_DUMP" }));
  });
});
