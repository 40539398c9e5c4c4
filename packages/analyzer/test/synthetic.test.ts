// The verdicts on synthetic crashes whose truth is known by construction: old memory, elfcorehdr
// and /proc/vmcore come from @kdumpkit/elf and @kdumpkit/vmcore (test/support/synthetic-kernel.ts).
import { check, cpus, memory, notes, openInput, parseIomem, summary } from "@kdumpkit/analyzer";
import { EM, Elfcorehdr } from "@kdumpkit/elf";
import { describe, expect, it } from "vitest";
import { tempFile } from "./support/files.js";
import { crash, crashNotesPhys, RAM_A, RAM_B, type Scenario } from "./support/synthetic-kernel.js";

async function analyze(name: string, s: Scenario) {
  const c = crash(s);
  const input = await openInput(tempFile(`${name}.vmcore`, c.vmcore));
  const iomem = parseIomem(c.iomem);
  return {
    c,
    input,
    cpus: cpus(input, { systemMap: c.systemMap }),
    memory: memory(input, { iomem }),
    check: check(input, { systemMap: c.systemMap, iomem }),
  };
}

const verdicts = (r: ReturnType<typeof cpus>) => r.cpus.map((c) => [c.cpu, c.verdictCode]);

describe("synthetic crashes", () => {
  it("all CPUs online: every note saved, clean", async () => {
    const r = await analyze("all-online", {
      possible: 4, present: [0, 1, 2, 3], online: [0, 1, 2, 3], headerCpus: [0, 1, 2, 3],
      headerMemory: [RAM_A, RAM_B], ramAtCrash: [RAM_A, RAM_B], crashCpu: 3,
    });
    expect(verdicts(r.cpus)).toEqual([[0, "saved"], [1, "saved"], [2, "saved"], [3, "saved"]]);
    expect(r.cpus.crashingCpu).toBe(3);
    expect(r.cpus.crashingCpuSource).toBe("panic_cpu");
    expect(r.cpus.cpus.find((c) => c.cpu === 3)!.pid).toBe(4242);
    expect(r.cpus.masks).toEqual({ possible: "0-3", present: "0-3", online: "0-3" });
    expect(r.cpus.kaslrSource).toBe("KERNELOFFSET");
    expect(r.cpus.cpus.map((c) => c.crashNotes?.physicalAddress)).toEqual([0, 1, 2, 3].map((c) => `0x${crashNotesPhys(c).toString(16)}`));
    expect(summary(r.input).nrCpus).toBe(4);
    expect(r.check.exitCode).toBe(0);
    expect(r.memory.findings).toBe(0);
  });

  it("some CPUs offline: their crash_notes are uninitialized, as expected", async () => {
    const r = await analyze("offline", {
      possible: 4, present: [0, 1, 2, 3], online: [0, 2], headerCpus: [0, 1, 2, 3],
      headerMemory: [RAM_A, RAM_B], ramAtCrash: [RAM_A, RAM_B], crashCpu: 2,
    });
    expect(verdicts(r.cpus)).toEqual([[0, "saved"], [1, "offline-expected"], [2, "saved"], [3, "offline-expected"]]);
    expect(r.cpus.cpus.map((c) => c.note)).toEqual(["initialized", "uninitialized", "initialized", "uninitialized"]);
    expect(r.cpus.cpus.map((c) => c.inDump)).toEqual([true, false, true, false]);
    expect(r.cpus.nrCpus).toBe(2);
    expect(r.cpus.crashingCpu).toBe(2);
    expect(r.cpus.findings.error + r.cpus.findings.warning).toBe(0);
    // The capture kernel dropped the zero notes, so the dump holds only valid ones.
    expect(notes(r.input).verdicts).toMatchObject({ valid: 3, uninitialized: 0 });
    expect(r.check.exitCode).toBe(0);
  });

  it("a CPU hot-added after the elfcorehdr was prepared: stale header", async () => {
    const r = await analyze("stale-cpu", {
      possible: 3, present: [0, 1, 2], online: [0, 1, 2], headerCpus: [0, 1],
      headerMemory: [RAM_A, RAM_B], ramAtCrash: [RAM_A, RAM_B], crashCpu: 0,
    });
    expect(verdicts(r.cpus)).toEqual([[0, "saved"], [1, "saved"], [2, "stale-elfcorehdr"]]);
    expect(r.cpus.cpus[2]).toMatchObject({ inDump: false, note: "initialized", severity: "error", online: true });
    expect(r.check.exitCode).toBe(1);
    expect(r.check.findings.some((f) => f.check === "cpus" && f.severity === "error" && f.message.includes("stale"))).toBe(true);
    expect(r.check.findings.some((f) => f.check === "note-count")).toBe(true);
  });

  it("memory hot-removed but still in a PT_LOAD: found against /proc/iomem", async () => {
    const r = await analyze("removed-memory", {
      possible: 2, present: [0, 1], online: [0, 1], headerCpus: [0, 1],
      headerMemory: [RAM_A, RAM_B], ramAtCrash: [RAM_A], crashCpu: 1,
    });
    expect(r.memory.iomem!.dumpNotInRam).toEqual([
      expect.objectContaining({ start: `0x${RAM_B.start.toString(16)}`, end: `0x${RAM_B.end.toString(16)}`, expected: false }),
    ]);
    expect(r.memory.iomem!.ramNotInDump.filter((d) => !d.expected)).toEqual([]);
    expect(r.memory.findings).toBe(1);
    expect(verdicts(r.cpus)).toEqual([[0, "saved"], [1, "saved"]]);
    expect(r.check.exitCode).toBe(1);
    expect(r.check.findings.filter((f) => f.check === "iomem")).toHaveLength(1);
  });

  it("memory hot-added after the elfcorehdr was prepared: System RAM missing from the dump", async () => {
    const r = await analyze("added-memory", {
      possible: 2, present: [0, 1], online: [0, 1], headerCpus: [0, 1],
      headerMemory: [RAM_A], ramAtCrash: [RAM_A, RAM_B], crashCpu: 0,
    });
    expect(r.memory.iomem!.ramNotInDump.filter((d) => !d.expected).map((d) => [d.start, d.end])).toEqual([["0x1000000", "0x1200000"]]);
    expect(r.check.exitCode).toBe(1);
  });

  it("without a System.map the notes are numbered by order and the masks are unknown", async () => {
    const c = crash({ possible: 4, present: [0, 1, 2, 3], online: [0, 2], headerCpus: [0, 1, 2, 3], headerMemory: [RAM_A], ramAtCrash: [RAM_A], crashCpu: 2 });
    const r = cpus(await openInput(tempFile("no-map.vmcore", c.vmcore)));
    expect(r.cpus.map((x) => [x.cpu, x.cpuFrom, x.possible])).toEqual([[0, "note-order", null], [1, "note-order", null]]);
    expect(r.crashingCpu).toBeNull();
    expect(r.notices.join(" ")).toMatch(/--system-map/);
  });

  it("a bare elfcorehdr from the scenario is described, not analysed as a dump", async () => {
    const c = crash({ possible: 3, present: [0, 1, 2], online: [0, 1, 2], headerCpus: [0, 1, 2], headerMemory: [RAM_A, RAM_B], ramAtCrash: [RAM_A, RAM_B], crashCpu: 0 });
    const input = await openInput(tempFile("bare.elfcorehdr", c.elfcorehdr));
    expect(input.kind).toBe("elfcorehdr");
    const s = summary(input);
    expect(s.format).toBe("elfcorehdr");
    // capacity 2 + 8 + 8 = 18 slots, used: 3 CPUs + VMCOREINFO + text + 2 RAM = 7.
    expect(s.elfcorehdr!.e_phnum).toBe(7);
    expect(s.elfcorehdr!.freeSlots).toBe(Math.floor((c.elfcorehdr.length - 64) / 56) - 7);
    expect(s.elfcorehdr!.noteSlots.filter((n) => n.kind === "cpu").map((n) => n.address)).toEqual([0, 1, 2].map((x) => `0x${crashNotesPhys(x).toString(16)}`));
    // The kernel text (0x200000 + 1 MiB) lies inside RAM_A, which phdr 5 describes.
    expect(s.loads.map((l) => l.duplicateOf)).toEqual([5, null, null]);
  });

  it("a bare header without a kernel-text PT_LOAD (powerpc) still counts the kernel-text slot: one fewer free slot", async () => {
    // crash_prepare_elf64_headers sizes nr_phdr = cpus + 1 + ranges + 1 even when need_kernel_map
    // is 0 (reference §1.1); a 4096-byte segment holds floor((4096 − 64) / 56) = 72 slots.
    const hdr = Elfcorehdr.create(
      { e_machine: EM.PPC64, cpus: [{ cpu: 0, crashNotesAddress: 0x10000n }, { cpu: 1, crashNotesAddress: 0x20000n }], noteBytes: 536, vmcoreinfo: { address: 0x30000n, size: 65572 }, memory: [{ start: 0n, end: 0x3fffffffn }], pageOffset: 0xc000000000000000n },
      { maxCpus: 2, maxMemoryRanges: 66 },
    );
    expect(hdr.buffer.length).toBe(4096);
    const input = await openInput(tempFile("ppc.elfcorehdr", hdr.buffer));
    const d = summary(input).elfcorehdr!;
    expect([d.e_phnum, d.phdrCapacity, d.neededSlots, d.freeSlots]).toEqual([4, 72, 5, 67]);
    expect(d.loads.map((l) => [l.kind, l.duplicateOf])).toEqual([["ram", null]]);
  });

  it("a bare header recovery refuses (stale bytes after the table) is still described", async () => {
    const c = crash({ possible: 2, present: [0, 1], online: [0, 1], headerCpus: [0, 1], headerMemory: [RAM_A], ramAtCrash: [RAM_A], crashCpu: 0 });
    const bytes = c.elfcorehdr.slice();
    bytes[bytes.length - 1] = 0xff;
    const input = await openInput(tempFile("stale-tail.elfcorehdr", bytes));
    const d = summary(input).elfcorehdr!;
    expect(d.recovery).toMatchObject({ status: "refused", code: "E_BAD_ELFCOREHDR" });
    expect(d.freeSlotsZeroed).toBe(false);
    expect(d.noteSlots.map((n) => n.kind)).toEqual(["cpu", "cpu", "vmcoreinfo"]);
    expect(d.loads.map((l) => l.kind)).toEqual(["kernel-text", "ram"]);
    expect(d.freeSlots).toBe(Math.floor((bytes.length - 64) / 56) - (2 + 1 + 1 + 1));
    expect(check(input).findings.some((f) => f.check === "headroom" && f.severity === "warning")).toBe(true);
  });
});
