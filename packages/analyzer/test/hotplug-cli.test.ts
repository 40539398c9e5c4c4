// `kdumpkit hotplug create|apply|replay` run as the built bin. Headers are checked with readelf
// field by field against what was asked, against the header a real 6.12 kernel prepared
// (dumpP.elfcorehdr-raw.bin), and against @kdumpkit/elf's buildElfcorehdr of the same final state.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildElfcorehdr, EM, type ElfcorehdrSpec } from "@kdumpkit/elf";
import { beforeAll, describe, expect, it } from "vitest";
import { corpusPath, repoRoot } from "../../../test-support/corpus.js";
import { describeWithPeers, peers } from "../../../test-support/peers.js";
import { tempFile } from "./support/files.js";

const bin = join(repoRoot, "packages/analyzer/dist/cli/main.js");
function kdumpkit(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  return { status: r.status, text: r.stdout, stderr: r.stderr };
}

interface ReadelfPhdr { type: string; offset: bigint; vaddr: bigint; paddr: bigint; filesz: bigint; memsz: bigint; flags: string; align: bigint }
function readelf(path: string): { phnum: number; machine: string; type: string; phdrs: ReadelfPhdr[] } {
  const out = spawnSync("readelf", ["-h", "-l", "-W", path], { encoding: "utf8" }).stdout;
  const phdrs: ReadelfPhdr[] = [];
  for (const line of out.split("\n")) {
    const m = /^\s+(NOTE|LOAD)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(.*?)\s*(0x[0-9a-f]+|\d+)$/.exec(line);
    if (m) phdrs.push({ type: m[1]!, offset: BigInt(m[2]!), vaddr: BigInt(m[3]!), paddr: BigInt(m[4]!), filesz: BigInt(m[5]!), memsz: BigInt(m[6]!), flags: m[7]!.trim(), align: BigInt(m[8]!) });
  }
  return {
    phnum: Number(/Number of program headers:\s+(\d+)/.exec(out)![1]),
    machine: /Machine:\s+(.*)/.exec(out)![1]!.trim(),
    type: /Type:\s+(\S+)/.exec(out)![1]!,
    phdrs,
  };
}

// The facts of dumpP (readelf of its raw elfcorehdr): 3 CPUs at a 0x80000 percpu stride, VMCOREINFO,
// kernel text, two RAM ranges around the crashkernel reservation.
const DIRECT = 0xffff8eb440000000n;
const dumpPArgs = [
  "--machine", "x86_64", "--cpus", "0-2", "--notes-base", "0x2223d800", "--note-stride", "0x80000",
  "--vmcoreinfo", "0x2234c000:0x1024", "--memory", "100000-2ffdcfff", "--exclude", "23000000-2effffff",
  "--kernel-text", "0x16a00000:0xffffffffaf200000:0x2c30000", "--page-offset", `0x${DIRECT.toString(16)}`,
];
const dumpPSpec = (cpus: number, memory: [bigint, bigint][]): ElfcorehdrSpec => ({
  e_machine: EM.X86_64,
  cpus: Array.from({ length: cpus }, (_, cpu) => ({ cpu, crashNotesAddress: 0x2223d800n + BigInt(cpu) * 0x80000n })),
  noteBytes: 368,
  vmcoreinfo: { address: 0x2234c000n, size: 0x1024 },
  kernelText: { paddr: 0x16a00000n, vaddr: 0xffffffffaf200000n, size: 0x2c30000n },
  memory: memory.map(([start, end]) => ({ start, end })),
  pageOffset: DIRECT,
});

beforeAll(() => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`pnpm build\` (pnpm test does)`);
});

describeWithPeers("kdumpkit hotplug create (readelf)", [peers.readelf], () => {
  it("rebuilds the header a 6.12 kernel prepared, byte for byte, with headroom after it", () => {
    const out = tempFile("create-dumpP.bin", "");
    const r = kdumpkit("hotplug", "create", out, ...dumpPArgs, "--max-cpus", "64", "--max-ranges", "256", "--json");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.text);
    const bytes = readFileSync(out);
    const kernel = readFileSync(corpusPath("vmcore/dumpP.elfcorehdr-raw.bin"));
    expect(bytes.subarray(0, kernel.length).equals(kernel)).toBe(true);
    expect(bytes.subarray(kernel.length).every((b) => b === 0)).toBe(true);
    // 2 + 64 + 256 = 322 slots → ALIGN(64 + 322 × 56, 4096) = 20480 bytes, holding 364 slots.
    expect(bytes.length).toBe(20480);
    expect(report).toMatchObject({ requestedSlots: 322, header: { capacity: 364, used: 7, freeSlots: 357, fileSize: 20480 } });
    const e = readelf(out);
    expect(e).toMatchObject({ phnum: 7, type: "CORE", machine: "Advanced Micro Devices X86-64" });
    expect(e.phdrs.map((p) => [p.type, p.offset, p.paddr, p.memsz])).toEqual([
      ["NOTE", 0x2223d800n, 0x2223d800n, 368n],
      ["NOTE", 0x222bd800n, 0x222bd800n, 368n],
      ["NOTE", 0x2233d800n, 0x2233d800n, 368n],
      ["NOTE", 0x2234c000n, 0x2234c000n, 0x1024n],
      ["LOAD", 0x16a00000n, 0x16a00000n, 0x2c30000n],
      ["LOAD", 0x100000n, 0x100000n, 0x22f00000n],
      ["LOAD", 0x2f000000n, 0x2f000000n, 0xfdd000n],
    ]);
    expect(e.phdrs[5]!.vaddr).toBe(DIRECT + 0x100000n);
    expect(e.phdrs[5]!.flags).toBe("RWE");
  });

  it("--from-spec gives the same bytes as the flags", () => {
    const spec = tempFile("spec.json", JSON.stringify({ machine: "x86_64", cpus: "0-2", "notes-base": "0x2223d800", noteStride: "0x80000", vmcoreinfo: "0x2234c000:0x1024", memory: ["100000-2ffdcfff"], exclude: ["23000000-2effffff"], kernelText: "0x16a00000:0xffffffffaf200000:0x2c30000", pageOffset: `0x${DIRECT.toString(16)}`, maxCpus: 4, maxRanges: 4 }));
    const a = tempFile("spec-a.bin", "");
    const b = tempFile("spec-b.bin", "");
    expect(kdumpkit("hotplug", "create", a, "--from-spec", spec).status).toBe(0);
    expect(kdumpkit("hotplug", "create", b, ...dumpPArgs, "--max-cpus", "4", "--max-ranges", "4").status).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  it("apply updates in place: same size, equal to buildElfcorehdr of the final state; readelf agrees", () => {
    const file = tempFile("apply.bin", "");
    expect(kdumpkit("hotplug", "create", file, ...dumpPArgs, "--max-cpus", "8", "--max-ranges", "8").status).toBe(0);
    const size = readFileSync(file).length;
    const r = kdumpkit("hotplug", "apply", file, "cpu-add:3", "cpu-add:4@0x2243d800", "mem-add:100000000-13fffffff", "mem-remove:1000000-1ffffff", "cpu-remove:1", "--json");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.text);
    expect(report.steps.map((s: { freeSlots: number }) => s.freeSlots)).toEqual([64, 63, 62, 61, 62]);
    const bytes = readFileSync(file);
    expect(bytes.length).toBe(size);
    const spec = dumpPSpec(5, [[0x100000n, 0xffffffn], [0x2000000n, 0x22ffffffn], [0x2f000000n, 0x2ffdcfffn], [0x100000000n, 0x13fffffffn]]);
    spec.cpus = spec.cpus.filter((c) => c.cpu !== 1);
    const expected = buildElfcorehdr(spec);
    const used = 64 + 10 * 56;
    expect(bytes.subarray(0, used).equals(Buffer.from(expected.subarray(0, used)))).toBe(true);
    expect(bytes.subarray(used).every((b) => b === 0)).toBe(true);
    const e = readelf(file);
    expect(e.phnum).toBe(10);
    expect(e.phdrs.filter((p) => p.type === "NOTE").map((p) => p.offset)).toEqual([0x2223d800n, 0x2233d800n, 0x223bd800n, 0x2243d800n, 0x2234c000n]);
    expect(e.phdrs.filter((p) => p.type === "LOAD").map((p) => [p.paddr, p.memsz, p.vaddr - p.paddr])).toEqual([
      [0x16a00000n, 0x2c30000n, 0xffffffffaf200000n - 0x16a00000n],
      [0x100000n, 0xf00000n, DIRECT],
      [0x2000000n, 0x21000000n, DIRECT],
      [0x2f000000n, 0xfdd000n, DIRECT],
      [0x100000000n, 0x40000000n, DIRECT],
    ]);
  });

  it("create without --kernel-text and one RAM range, then apply with no extra flags: round trip (default direct-map base)", () => {
    // x86_64 without --page-offset: RAM at the default PAGE_OFFSET 0xffff888000000000. The lone
    // PT_LOAD could be kernel text or RAM; at exactly the default direct-map base it is RAM.
    const PAGE_OFFSET = 0xffff888000000000n;
    const file = tempFile("lone-ram.bin", "");
    const base = ["--machine", "x86_64", "--cpus", "0-1", "--notes-base", "0x2223d800", "--note-stride", "0x80000", "--vmcoreinfo", "0x2234c000:0x1024", "--memory", "100000-2ffdcfff"];
    expect(kdumpkit("hotplug", "create", file, ...base, "--max-cpus", "4", "--max-ranges", "4").status).toBe(0);
    const size = readFileSync(file).length;
    const r = kdumpkit("hotplug", "apply", file, "cpu-add:2", "mem-add:100000000-13fffffff", "--json");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.text);
    expect(report.recovery.join("\n")).toMatch(/default direct-map base 0xffff888000000000: read as RAM/);
    const bytes = readFileSync(file);
    expect(bytes.length).toBe(size);
    const expected = buildElfcorehdr({
      e_machine: EM.X86_64,
      cpus: [0, 1, 2].map((cpu) => ({ cpu, crashNotesAddress: 0x2223d800n + BigInt(cpu) * 0x80000n })),
      noteBytes: 368,
      vmcoreinfo: { address: 0x2234c000n, size: 0x1024 },
      memory: [{ start: 0x100000n, end: 0x2ffdcfffn }, { start: 0x100000000n, end: 0x13fffffffn }],
      pageOffset: PAGE_OFFSET,
    });
    const used = 64 + 6 * 56;
    expect(bytes.subarray(0, used).equals(Buffer.from(expected.subarray(0, used)))).toBe(true);
    expect(bytes.subarray(used).every((b) => b === 0)).toBe(true);
    expect(readelf(file).phdrs.filter((p) => p.type === "LOAD").map((p) => [p.paddr, p.vaddr - p.paddr])).toEqual([[0x100000n, PAGE_OFFSET], [0x100000000n, PAGE_OFFSET]]);

    // With a KASLR direct-map base the lone PT_LOAD stays ambiguous: refused unless --page-offset is given.
    const kaslr = tempFile("lone-ram-kaslr.bin", "");
    expect(kdumpkit("hotplug", "create", kaslr, ...base, "--page-offset", `0x${DIRECT.toString(16)}`, "--max-cpus", "4", "--max-ranges", "4").status).toBe(0);
    const refused = kdumpkit("hotplug", "apply", kaslr, "cpu-add:2");
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/E_BAD_ELFCOREHDR: .*--page-offset/);
    expect(kdumpkit("hotplug", "apply", kaslr, "cpu-add:2", "--page-offset", `0x${DIRECT.toString(16)}`).status).toBe(0);
  });

  it("apply --out leaves the input alone; hot-added memory loses the --exclude range", () => {
    const file = tempFile("apply-out-in.bin", "");
    const out = tempFile("apply-out.bin", "");
    expect(kdumpkit("hotplug", "create", file, ...dumpPArgs, "--max-cpus", "4", "--max-ranges", "4").status).toBe(0);
    const before = readFileSync(file);
    const r = kdumpkit("hotplug", "apply", file, "mem-remove:100000-2ffdcfff", "mem-add:100000-2ffdcfff", "--exclude", "23000000-2effffff", "--out", out);
    expect(r.status).toBe(0);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readFileSync(out).equals(before)).toBe(true);
  });
});

describe("kdumpkit hotplug errors", () => {
  it("E_CAPACITY: the kernel's own header has no headroom; exit 2 and the file is byte-identical", () => {
    const file = tempFile("full.bin", "");
    copyFileSync(corpusPath("vmcore/dumpP.elfcorehdr-raw.bin"), file);
    const before = readFileSync(file);
    const r = kdumpkit("hotplug", "apply", file, "mem-remove:100000-1fffff", "mem-add:200000000-2ffffffff");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^kdumpkit hotplug apply: E_CAPACITY: /);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it("E_CAPACITY in a later event leaves the header untouched by the earlier ones", () => {
    const file = tempFile("cap2.bin", "");
    expect(kdumpkit("hotplug", "create", file, ...dumpPArgs, "--max-cpus", "3", "--max-ranges", "2").status).toBe(0);
    const before = readFileSync(file);
    const holes = Array.from({ length: 80 }, (_, i) => `mem-remove:${(0x200000 + i * 0x200000).toString(16)}-${(0x200000 + i * 0x200000 + 0xfffff).toString(16)}`);
    const r = kdumpkit("hotplug", "apply", file, ...holes);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("E_CAPACITY");
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it("E_CAPACITY counts the kernel-text slot the kernel reserves even on powerpc: 71 phdrs fill a 4096-byte segment", () => {
    // 8 CPU notes + VMCOREINFO + 62 RAM ranges = 71 phdrs; the kernel's nr_phdr adds the kernel-text
    // slot: 72 = (4096 − 64) / 56, so the segment is full although a 72nd phdr would fit in its bytes.
    const file = tempFile("ppc-full.bin", "");
    const memory = Array.from({ length: 62 }, (_, i) => `--memory=${(i * 0x10000000).toString(16)}-${(i * 0x10000000 + 0x7ffffff).toString(16)}`);
    const c = kdumpkit("hotplug", "create", file, "--machine", "ppc64le", "--cpus", "0-7", "--notes-base", "0x3f000000", "--note-stride", "0x10000", "--vmcoreinfo", "0x3e000000:0x10024", ...memory, "--max-cpus", "8", "--max-ranges", "8", "--json");
    expect(c.stderr).toBe("");
    expect(JSON.parse(c.text).header).toMatchObject({ fileSize: 4096, capacity: 72, used: 71, freeSlots: 0 });
    const before = readFileSync(file);
    const r = kdumpkit("hotplug", "apply", file, "mem-add:800000000-80fffffff");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/E_CAPACITY: memory add needs 73 program header slots, the 4096-byte segment holds 72/);
    expect(readFileSync(file).equals(before)).toBe(true);
    // trimming a range needs no slot: e_phnum stays 71
    expect(kdumpkit("hotplug", "apply", file, "mem-remove:0-fffff").status).toBe(0);
    expect(readFileSync(file).readUInt16LE(56)).toBe(71);
  });

  it("E_BAD_ELFCOREHDR: a PT_LOAD among the PT_NOTEs, a non-zero p_align", () => {
    const kernel = new Uint8Array(readFileSync(corpusPath("vmcore/dumpP.elfcorehdr-raw.bin")));
    const swapped = kernel.slice();
    swapped.set(kernel.subarray(64 + 4 * 56, 64 + 5 * 56), 64);
    swapped.set(kernel.subarray(64, 64 + 56), 64 + 4 * 56);
    const a = kdumpkit("hotplug", "apply", tempFile("bad1.bin", swapped), "cpu-remove:0");
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/E_BAD_ELFCOREHDR: .*\(offset 64\)/);
    const aligned = kernel.slice();
    aligned[64 + 5 * 56 + 48] = 0x10; // p_align of the first RAM PT_LOAD
    const b = kdumpkit("hotplug", "apply", tempFile("bad2.bin", aligned), "cpu-remove:0");
    expect(b.status).toBe(2);
    expect(b.stderr).toContain("E_BAD_ELFCOREHDR");
  });

  it("E_BAD_EVENT for malformed and impossible events; E_BAD_ARGUMENT for bad create options", () => {
    const file = tempFile("ev.bin", "");
    copyFileSync(corpusPath("vmcore/dumpP.elfcorehdr-raw.bin"), file);
    for (const ev of ["cpu-add:x", "cpu-remove:7", "mem-add:5-1", "cpu-plug:1", "cpu-add:1"]) {
      const r = kdumpkit("hotplug", "apply", file, ev);
      expect(r.status, ev).toBe(2);
      expect(r.stderr, ev).toContain("E_BAD_EVENT");
    }
    const c = kdumpkit("hotplug", "create", tempFile("c.bin", ""), "--machine", "vax", "--cpus", "0", "--notes-base", "0", "--vmcoreinfo", "0:1024", "--max-cpus", "1", "--max-ranges", "1");
    expect(c.status).toBe(2);
    expect(c.stderr).toContain("E_BAD_ARGUMENT");
  });
});

describeWithPeers("kdumpkit hotplug replay", [peers.readelf, peers.fdtget], () => {
  it("a missed CPU add makes the header stale: the verdict names the CPU; --out equals a fresh build", () => {
    const hdr = tempFile("replay.bin", "");
    expect(kdumpkit("hotplug", "create", hdr, ...dumpPArgs, "--max-cpus", "8", "--max-ranges", "8").status).toBe(0);
    const script = tempFile("replay.txt", [
      "# CPU 3 arrives, CPU 4 arrives while kexec_trylock() fails, a block goes away",
      "header replay.bin",
      "exclude 23000000-2effffff",
      "cpu-add:3",
      "missed cpu-add:4",
      "mem-remove:1000000-1ffffff",
      "missed mem-add:100000000-13fffffff",
      "cpu-remove:0",
    ].join("\n"));
    const out = tempFile("replay-out.bin", "");
    const r = kdumpkit("hotplug", "replay", script, "--crash-after", "4", "--out", out, "--json");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    const report = JSON.parse(r.text);
    expect(report.steps.map((s: { elfcorehdr: { freeSlots: number } }) => s.elfcorehdr.freeSlots)).toEqual([64, 64, 63, 63, 63]);
    const v = report.verdict;
    expect(v.afterStep).toBe(4);
    expect(v.cpus.map((c: { cpu: number; verdictCode: string }) => [c.cpu, c.verdictCode])).toEqual([[0, "saved"], [1, "saved"], [2, "saved"], [3, "saved"], [4, "stale-elfcorehdr"]]);
    expect(v.memoryNotInDump).toEqual([{ start: "0x100000000", end: "0x13fffffff" }]);
    expect(v.removedMemoryDescribed).toEqual([]);
    // Possible-CPU policy: cpu-remove keeps the PT_NOTE. Final state = 4 CPUs, RAM with the hole.
    const expected = buildElfcorehdr(dumpPSpec(4, [[0x100000n, 0xffffffn], [0x2000000n, 0x22ffffffn], [0x2f000000n, 0x2ffdcfffn]]));
    const got = readFileSync(out);
    expect(got.subarray(0, 64 + 9 * 56).equals(Buffer.from(expected.subarray(0, 64 + 9 * 56)))).toBe(true);
    expect(readelf(out).phnum).toBe(9);
  });

  it("with a powerpc FDT: cpu-add adds the core's node in place until the headroom runs out", () => {
    const dtb = tempFile("smp1.dtb", "");
    // Open the QEMU pseries tree with room for about two more CPU nodes.
    expect(kdumpkit("fdt", "add-cpu", corpusPath("fdt/qemu/pseries-smp1.dtb"), dtb, "--count", "0", "--headroom", "1200").status).toBe(0);
    const hdr = tempFile("ppc.bin", "");
    expect(kdumpkit("hotplug", "create", hdr, "--machine", "ppc64le", "--cpus", "0-7", "--notes-base", "0x3f000000", "--note-stride", "0x10000", "--vmcoreinfo", "0x3e000000:0x10024", "--memory", "0-3fffffff", "--max-cpus", "8", "--max-ranges", "8").status).toBe(0);
    const script = tempFile("ppc.txt", ["header ppc.bin", "fdt smp1.dtb", "cpu-add:1", "cpu-add:2", "cpu-add:3", "cpu-add:4", "cpu-add:5", "cpu-add:6"].join("\n"));
    const fdtOut = tempFile("ppc-out.dtb", "");
    const r = kdumpkit("hotplug", "replay", script, "--fdt-out", fdtOut, "--crash-after", "6", "--json");
    const report = JSON.parse(r.text);
    const fdtSteps = report.steps.map((s: { fdt: { effect: string; failed: boolean; headroom: number } }) => s.fdt);
    const added = fdtSteps.filter((s: { effect: string }) => /added/.test(s.effect)).length;
    expect(added).toBeGreaterThan(0);
    expect(fdtSteps.some((s: { failed: boolean }) => s.failed)).toBe(true);
    expect(fdtSteps.map((s: { headroom: number }) => s.headroom)).toEqual([...fdtSteps.map((s: { headroom: number }) => s.headroom)].sort((a, b) => b - a));
    expect(r.status).toBe(1);
    // fdtget (libfdt) lists the CPU nodes of the written FDT: the verdict's inFdt must agree.
    const nodes = spawnSync("fdtget", ["-l", fdtOut, "/cpus"], { encoding: "utf8" }).stdout.trim().split("\n");
    const regs = nodes.map((n) => Number(spawnSync("fdtget", [fdtOut, `/cpus/${n}`, "reg"], { encoding: "utf8" }).stdout.trim()));
    const threads = Number(spawnSync("fdtget", [fdtOut, `/cpus/${nodes[0]}`, "ibm,ppc-interrupt-server#s"], { encoding: "utf8" }).stdout.trim().split(/\s+/).length);
    const covered = new Set(regs.flatMap((reg) => Array.from({ length: threads }, (_, k) => reg + k)));
    for (const c of report.verdict.cpus) expect([c.cpu, c.inFdt]).toEqual([c.cpu, covered.has(c.cpu)]);
    expect(report.verdict.cpus.some((c: { verdictCode: string }) => c.verdictCode === "fdt-missing-cpu")).toBe(true);
  });

  it("E_BAD_EVENT names the script line", () => {
    const r = kdumpkit("hotplug", "replay", tempFile("bad.txt", "header x.bin\ncpu-add:1\nfly-away:2\n"));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/E_BAD_EVENT: script line 3/);
  });
});

// Keep writeFileSync referenced for fixtures written inline above.
void writeFileSync;
