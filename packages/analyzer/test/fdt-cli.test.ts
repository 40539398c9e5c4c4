// `kdumpkit fdt info|check|add-cpu|pack` with --json, run through the packaged bin. The numbers of
// `fdt info` are checked against pylibfdt's accessors and node walk and against fdtdump's header
// and /memreserve/ lines, not against our own parser.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { corpusPath, repoRoot } from "../../../test-support/corpus.js";
import { describeWithPeers, peers } from "../../../test-support/peers.js";

const packageDir = join(repoRoot, "packages/analyzer");
const bin = join(packageDir, (JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { bin: { kdumpkit: string } }).bin.kdumpkit);
const dir = mkdtempSync(join(tmpdir(), "kdumpkit-fdt-info-"));

function kdumpkit(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const HEADER = ["magic", "totalsize", "off_dt_struct", "off_dt_strings", "off_mem_rsvmap", "version", "last_comp_version", "boot_cpuid_phys", "size_dt_strings", "size_dt_struct"] as const;

/** pylibfdt's view of a blob: every header accessor, nodes and properties by fdt_next_node / fdt_*_property_offset. */
function pylibfdt(file: string): Record<string, number> {
  const script = `
import json, sys, libfdt
f = libfdt.Fdt(open(sys.argv[1], "rb").read())
out = {k: getattr(f, k)() for k in ${JSON.stringify(HEADER)}}
out["num_mem_rsv"] = f.num_mem_rsv()
nodes = props = 0
off, depth = 0, 0
while off >= 0 and depth >= 0:  # fdt_next_node ends with depth -1 at FDT_END
    nodes += 1
    po = f.first_property_offset(off, [libfdt.NOTFOUND])
    while po >= 0:
        props += 1
        po = f.next_property_offset(po, [libfdt.NOTFOUND])
    off, depth = f.next_node(off, depth, [libfdt.NOTFOUND])
out["nodes"], out["properties"] = nodes, props
print(json.dumps(out))
`;
  const r = spawnSync("/usr/bin/python3", ["-c", script, file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, number>;
}

/** fdtdump's `// name:\t\tvalue` header lines (numbers), and its `/memreserve/ ADDR SIZE;` lines. */
function fdtdump(file: string): { header: Record<string, number>; memreserves: [bigint, bigint][] } {
  const text = spawnSync("fdtdump", [file], { encoding: "utf8" }).stdout;
  const header: Record<string, number> = {};
  for (const m of text.matchAll(/^\/\/ (\w+):\s+(0x[0-9a-f]+|\d+)/gm)) header[m[1]!] = Number(m[2]);
  const memreserves = [...text.matchAll(/^\/memreserve\/ (\S+) (\S+);/gm)].map((m) => [BigInt(m[1]!), BigInt(m[2]!)] as [bigint, bigint]);
  return { header, memreserves };
}

describeWithPeers("kdumpkit fdt info against pylibfdt and fdtdump", [peers.pylibfdt, peers.fdtdump], () => {
  const grown = join(dir, "smp8-grown.dtb");
  const blobs = () => [corpusPath("fdt/linux/armhf/bcm2711-rpi-4-b.dtb"), corpusPath("fdt/qemu/powernv.dtb"), grown];

  it("add-cpu --json reports the nodes added and the headroom left (that blob is then read by info)", () => {
    const r = kdumpkit("fdt", "add-cpu", corpusPath("fdt/qemu/pseries-smp8.dtb"), grown, "--count", "2", "--headroom", "4096", "--json");
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, command: "fdt add-cpu", out: grown, added: ["/cpus/PowerPC,POWER9@8", "/cpus/PowerPC,POWER9@9"] });
    const py = pylibfdt(grown);
    expect(doc.totalsize).toBe(py.totalsize);
    expect(doc.headroomLeft).toBe(py.totalsize! - (py.off_dt_strings! + py.size_dt_strings!));
    expect(doc.headroomLeft).toBeGreaterThan(0);
  });

  it("info --json: header fields, memreserves, node/property counts and free space as pylibfdt and fdtdump see them", () => {
    for (const file of blobs()) {
      const r = kdumpkit("fdt", "info", file, "--json");
      expect(r.status, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc).toMatchObject({ schemaVersion: 1, command: "fdt info", file });
      const py = pylibfdt(file);
      const dump = fdtdump(file);
      for (const k of HEADER) {
        expect(doc[k], `${file} ${k} (pylibfdt)`).toBe(py[k]);
        expect(doc[k], `${file} ${k} (fdtdump)`).toBe(dump.header[k]);
      }
      expect(doc.memreserves.length).toBe(py.num_mem_rsv);
      expect(doc.memreserves.map((m: { address: string; size: string }) => [BigInt(m.address), BigInt(m.size)])).toEqual(dump.memreserves);
      expect([doc.nodes, doc.properties]).toEqual([py.nodes, py.properties]);
      // libfdt's layout puts the strings block last: what follows it up to totalsize is free.
      expect(doc.freeSpace).toBe(py.totalsize! - (py.off_dt_strings! + py.size_dt_strings!));
    }
  });

  it("info (text) prints the header lines with fdtdump's values", () => {
    for (const file of blobs()) {
      const text = kdumpkit("fdt", "info", file).stdout;
      const ours: Record<string, number> = {};
      for (const m of text.matchAll(/^(\w+):\s+(0x[0-9a-f]+|\d+)/gm)) ours[m[1]!] = Number(m[2]);
      for (const k of HEADER) expect(ours[k], `${file} ${k}`).toBe(fdtdump(file).header[k]);
      expect(text).toMatch(/^free space:\s+\d+ bytes/m);
    }
  });

  it("check --json: valid with the free space; an invalid blob is a report too (valid false, the code), exit 2", () => {
    const ok = kdumpkit("fdt", "check", grown, "--json");
    expect(ok.status).toBe(0);
    const py = pylibfdt(grown);
    expect(JSON.parse(ok.stdout)).toMatchObject({ command: "fdt check", valid: true, code: null, version: py.version, totalsize: py.totalsize, memreserves: py.num_mem_rsv, freeSpace: py.totalsize! - (py.off_dt_strings! + py.size_dt_strings!) });
    const bad = kdumpkit("fdt", "check", corpusPath("vmcore/dumpP.elfcorehdr-raw.bin"), "--json");
    expect(bad.status).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ command: "fdt check", valid: false, code: "FDT_ERR_BADMAGIC" });
    expect(bad.stderr).toMatch(/FDT_ERR_BADMAGIC/);
  });

  it("pack --json: before and after sizes; the packed blob has no free space (pylibfdt)", () => {
    const out = join(dir, "packed.dtb");
    const r = kdumpkit("fdt", "pack", grown, out, "--json");
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    const before = pylibfdt(grown);
    const after = pylibfdt(out);
    expect(doc).toMatchObject({ command: "fdt pack", out, before: before.totalsize, after: after.totalsize });
    expect(after.totalsize).toBe(after.off_dt_strings! + after.size_dt_strings!);
  });
});
