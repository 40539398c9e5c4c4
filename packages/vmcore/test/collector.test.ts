// The core collector on a real dump, checked by reading the copy back, with readelf and makedumpfile.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dump, VmcoreError, collectCore, openDump } from "@kdumpkit/vmcore";
import { decompressedCorpusPath, readCorpusText } from "../../../test-support/corpus.js";
import { describeWithPeers, peers } from "../../../test-support/peers.js";

const dir = mkdtempSync(join(tmpdir(), "kdumpkit-collect-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every readable byte of `a` reads the same in `b` (chunked Buffer comparison). */
function sameMemory(a: Dump, b: Dump): void {
  expect(b.readableRanges()).toEqual(a.readableRanges());
  for (const r of a.readableRanges()) {
    for (let at = r.start; at < r.end; at += 1n << 20n) {
      const n = Number(r.end - at < 1n << 20n ? r.end - at : 1n << 20n);
      if (!Buffer.from(a.readPhysical(at, n)).equals(b.readPhysical(at, n))) throw new Error(`memory differs in the MiB at 0x${at.toString(16)}`);
    }
  }
}

describe("collectCore on dumpP.d31", () => {
  let source: Dump;
  beforeAll(async () => {
    source = openDump(await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz"));
    return () => source.close();
  });

  it("a plain copy reads back identically, notes included", async () => {
    const out = join(dir, "copy.elf");
    const result = await collectCore(source, out);
    expect(result.pagesExcluded).toBe(0);
    const copy = openDump(out);
    try {
      expect(copy.source.size).toBe(result.bytes);
      expect(copy.notes.map((n) => [n.name, n.n_type, Buffer.from(n.desc).toString("hex")])).toEqual(
        source.notes.map((n) => [n.name, n.n_type, Buffer.from(n.desc).toString("hex")]),
      );
      sameMemory(source, copy);
    } finally {
      copy.close();
    }
  });

  describeWithPeers("zero-page exclusion, checked with readelf and makedumpfile", [peers.readelf, peers.makedumpfile], () => {
    const out = join(dir, "d1.elf");
    let result: Awaited<ReturnType<typeof collectCore>>;
    const progress: number[] = [];
    beforeAll(async () => {
      result = await collectCore(source, out, { excludeZeroPages: true, onProgress: (d) => progress.push(d) });
    });

    it("leaves zero pages out and still reads back identically (zeros from p_filesz < p_memsz)", () => {
      expect(result.pagesExcluded).toBeGreaterThan(0);
      const copy = openDump(out);
      try {
        expect(copy.source.size).toBeLessThan(source.source.size);
        sameMemory(source, copy);
      } finally {
        copy.close();
      }
      expect(progress.every((p, i) => i === 0 || p >= progress[i - 1]!)).toBe(true);
    });

    it("readelf sees a sane core: one PT_NOTE with the same notes, PT_LOADs inside the file", () => {
      const text = execFileSync("readelf", ["-W", "-l", "-n", out], { encoding: "utf8" });
      expect(text).not.toMatch(/warning|error/i);
      expect(text.match(/^\s+NOTE\s/gm)).toHaveLength(1);
      expect(text.match(/^\s+LOAD\s/gm)!.length).toBe(result.phnum - 1);
      expect([...text.matchAll(/^\s+(CORE|VMCOREINFO)\s/gm)].map((m) => m[1])).toEqual(["CORE", "CORE", "VMCOREINFO"]);
    });

    it("makedumpfile --dump-dmesg reads the copy and prints the kernel log of the corpus", () => {
      const log = join(dir, "dmesg.txt");
      execFileSync("makedumpfile", ["--dump-dmesg", out, log], { stdio: "ignore" });
      expect(readFileSync(log, "utf8")).toBe(readCorpusText("vmcore/dumpP.dmesg.txt"));
    });
  });

  it("E_IO and no file when the destination folder does not exist", async () => {
    const out = join(dir, "missing", "x.elf");
    await expect(collectCore(source, out)).rejects.toMatchObject({ code: "E_IO" });
    expect(existsSync(out)).toBe(false);
  });

  it("a read failure midway leaves neither the destination nor a partial file", async () => {
    const path = await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
    const dump = openDump(path);
    let calls = 0;
    const real = dump.readPhysicalInto.bind(dump);
    dump.readPhysicalInto = (t, a) => {
      if (++calls === 20) throw new VmcoreError("E_IO", "simulated disk error");
      real(t, a);
    };
    const out = join(dir, "broken.elf");
    await expect(collectCore(dump, out)).rejects.toMatchObject({ code: "E_IO" });
    dump.close();
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes("broken"))).toEqual([]);
  });

  it("a read failure midway leaves an existing destination unchanged", async () => {
    const dump = openDump(await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz"));
    let calls = 0;
    const real = dump.readPhysicalInto.bind(dump);
    dump.readPhysicalInto = (t, a) => {
      if (++calls === 20) throw new Error("simulated EIO");
      real(t, a);
    };
    const out = join(dir, "kept.elf");
    writeFileSync(out, "previous core");
    await expect(collectCore(dump, out)).rejects.toMatchObject({ code: "E_IO", cause: expect.objectContaining({ message: "simulated EIO" }) });
    dump.close();
    expect(calls).toBe(20);
    expect(readFileSync(out, "utf8")).toBe("previous core");
    expect(readdirSync(dir).filter((f) => f.includes("kept"))).toEqual(["kept.elf"]);
  });
});
