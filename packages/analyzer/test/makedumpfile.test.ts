// Interop with makedumpfile: the nr_cpus it writes into the kdump-compressed header
// (disk_dump_header.nr_cpus at offset 460, reference §4.3) equals the analyzer's count (§4.1).
import { openInput, summary } from "@kdumpkit/analyzer";
import { spawnSync } from "node:child_process";
import { mkdtempSync, openSync, readSync, closeSync } from "node:fs";
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
});
