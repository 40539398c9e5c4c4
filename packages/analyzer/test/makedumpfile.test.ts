// Interop with makedumpfile: the nr_cpus it writes into the kdump-compressed header
// (disk_dump_header.nr_cpus at offset 460, reference §4.3) equals the analyzer's count (§4.1).
import { openInput, summary } from "@kdumpkit/analyzer";
import { spawnSync } from "node:child_process";
import { closeSync, copyFileSync, mkdtempSync, openSync, readSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { decompressedCorpusPath } from "../../../test-support/corpus.js";
import { describeWithPeers, peers } from "../../../test-support/peers.js";

function makedumpfileNrCpus(dump: string): number {
  const out = join(mkdtempSync(join(tmpdir(), "kdumpkit-mdf-")), "dump.kdump");
  const r = spawnSync("makedumpfile", ["-l", "-d", "31", dump, out], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`makedumpfile failed: ${r.stdout}${r.stderr}`);
  const fd = openSync(out, "r");
  const header = Buffer.alloc(464);
  readSync(fd, header, 0, 464, 0);
  closeSync(fd);
  expect(header.subarray(0, 8).toString("latin1")).toBe("KDUMP   ");
  return header.readInt32LE(460);
}

describeWithPeers("makedumpfile's nr_cpus", [peers.makedumpfile], () => {
  it("equals summary().nrCpus on the real kdump dump", async () => {
    const dump = await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
    const ours = summary(await openInput(dump)).nrCpus;
    expect(ours).toBe(2);
    expect(makedumpfileNrCpus(dump)).toBe(ours);
  });

  it("counts a CORE note whose n_namesz is 8 (\"CORE\" + NULs) as makedumpfile does: it compares 5 name bytes, not n_namesz", async () => {
    // n_namesz 5 and 8 both take 8 bytes on disk, so only the header word changes; the kernel never
    // writes 8, but a hand-made core may, and makedumpfile still counts it.
    const dump = await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
    const copy = join(mkdtempSync(join(tmpdir(), "kdumpkit-mdf-")), "namesz8.elf");
    copyFileSync(dump, copy);
    const firstNote = 0x3c0; // the PT_NOTE's file offset, where its first NT_PRSTATUS starts (dumpP.d31.readelf.txt)
    const fd = openSync(copy, "r+");
    const word = Buffer.alloc(4);
    readSync(fd, word, 0, 4, firstNote);
    expect(word.readUInt32LE(0)).toBe(5);
    word.writeUInt32LE(8, 0);
    writeSync(fd, word, 0, 4, firstNote);
    closeSync(fd);
    const theirs = makedumpfileNrCpus(copy);
    expect(theirs).toBe(2);
    expect(summary(await openInput(copy)).nrCpus).toBe(theirs);
  });
});
