// The analyzer on the real dumps of ../shared/corpus, against the ground truth stored beside them
// (readelf output, drgn/serial-log facts in *.truth.json, dumpP.cpumasks.txt, dumpP.SUMMARY.md).
import { check, cpus, memory, notes, openInput, parseCpuList, parseIomem, summary, vmcoreinfo, type AnalyzerInput } from "@kdumpkit/analyzer";
import { readFileSync } from "node:fs";
import { renderCpus } from "../src/cli/text/cpus-text.js";
import { renderNotes } from "../src/cli/text/notes-text.js";
import { beforeAll, describe, expect, it } from "vitest";
import { corpusPath, decompressedCorpusPath, readCorpusJson, readCorpusText } from "../../../test-support/corpus.js";

let dumpP: AnalyzerInput;
let dumpA: AnalyzerInput;
let systemMap: string;
const truthP = readCorpusJson("vmcore/dumpP.truth.json");
const truthA = readCorpusJson("vmcore/dumpA.truth.json");

beforeAll(async () => {
  dumpP = await openInput(await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz"));
  dumpA = await openInput(await decompressedCorpusPath("vmcore/dumpA.elf.xz"));
  systemMap = readFileSync(await decompressedCorpusPath("vmcore/System.map-6.12.117+deb12-amd64.xz"), "latin1");
});

/** PT_LOAD rows of a `readelf -l` listing: [offset, vaddr, paddr, filesz, memsz]. */
function readelfLoads(text: string): string[][] {
  return text
    .split("\n")
    .filter((l) => /^\s+LOAD\s/.test(l))
    .map((l) => l.trim().split(/\s+/).slice(1, 6).map((v) => `0x${BigInt(v).toString(16)}`));
}

describe("dumpP.d31 (kdump /proc/vmcore filtered by makedumpfile -d 31)", () => {
  it("summary matches readelf and VMCOREINFO", () => {
    const s = summary(dumpP);
    expect(s.arch).toBe("x86_64");
    expect(s.byteOrder).toBe("little");
    expect(s.osRelease).toBe(truthP.vmcoreinfo.OSRELEASE);
    expect(s.crashTime).toBe(new Date(Number(truthP.vmcoreinfo.CRASHTIME) * 1000).toISOString());
    expect(s.kernelOffset).toBe(`0x${truthP.vmcoreinfo.KERNELOFFSET}`);
    expect(s.pageSize).toBe(4096);
    const loads = readelfLoads(readCorpusText("vmcore/dumpP.d31.readelf.txt"));
    expect(s.loads.map((l) => [l.vaddr, l.paddr, l.fileSize, l.size])).toEqual(loads.map((l) => l.slice(1)));
    expect(s.nrCpus).toBe(truthP.nt_prstatus_count);
    expect(s.noteCounts).toEqual({ NT_PRSTATUS: 2, VMCOREINFO: 1 });
  });

  it("notes: two valid NT_PRSTATUS with the pids of the truth, and VMCOREINFO", () => {
    const n = notes(dumpP);
    expect(n.notes.map((r) => [r.owner, r.verdict])).toEqual([["CORE", "valid"], ["CORE", "valid"], ["VMCOREINFO", "valid"]]);
    expect(n.notes.slice(0, 2).map((r) => r.pid)).toEqual(truthP.nt_prstatus.map((p: { pr_pid: number }) => p.pr_pid));
    expect(n.notes.slice(0, 2).map((r) => r.pc)).toEqual(truthP.nt_prstatus.map((p: { regs: { rip: string } }) => p.regs.rip));
  });

  it("cpus with System.map: masks, crash_notes and the crashing CPU match drgn and the serial log", () => {
    const r = cpus(dumpP, { systemMap });
    const masks = readCorpusText("vmcore/dumpP.cpumasks.txt");
    const sys = (name: string) => parseCpuList(new RegExp(`^/sys/devices/system/cpu/${name}=(.*)$`, "m").exec(masks)![1]!);
    expect(r.cpus.filter((c) => c.possible).map((c) => c.cpu)).toEqual(sys("possible"));
    expect(r.cpus.filter((c) => c.present).map((c) => c.cpu)).toEqual(sys("present"));
    expect(r.cpus.filter((c) => c.online).map((c) => c.cpu)).toEqual(sys("online"));
    expect(r.cpus.filter((c) => c.online).map((c) => c.cpu)).toEqual(truthP.drgn_debuginfo.cpu_online);
    expect(r.nrCpuIds).toBe(truthP.drgn_debuginfo.nr_cpu_ids);
    expect(r.crashingCpu).toBe(truthP.drgn_debuginfo.panic_cpu);
    expect(r.crashingCpu).toBe(truthP.guest_serial.panic_cpu);
    expect(r.cpus.find((c) => c.crashing)!.pid).toBe(truthP.guest_serial.panic_pid);
    expect(r.prPidMeaning).toBe("task-pid");
    expect(renderCpus(r, false).split("\n")[1]).toMatch(/ pid /);
    expect(r.cpus.map((c) => [c.cpu, c.inDump, c.note, c.verdictCode])).toEqual([
      [0, true, "initialized", "saved"],
      [1, false, "uninitialized", "offline-expected"],
      [2, true, "initialized", "saved"],
    ]);
    // The per-CPU crash_notes found through __per_cpu_offset are the buffers the elfcorehdr pointed at.
    const raw = readCorpusText("vmcore/dumpP.SUMMARY.md");
    const notesLine = /PT_NOTE \[(.*?)\], PT_LOAD/.exec(raw)![1]!;
    const elfcorehdrNotes = [...notesLine.matchAll(/\['(0x[0-9a-f]+)', '0x170'\]/g)].map((m) => m[1]);
    expect(r.cpus.map((c) => c.crashNotes!.physicalAddress)).toEqual(elfcorehdrNotes);
    // kallsyms of the running kernel = System.map + KERNELOFFSET.
    const kallsyms = truthP.guest_serial.precrash.kallsyms;
    for (const s of r.symbols) if (kallsyms[s.name]) expect(s.address).toBe(`0x${kallsyms[s.name]}`);
    expect(r.symbols.find((s) => s.name === "crash_notes")!.address).toBe(`0x${kallsyms.crash_notes}`);
  });

  it("cpus with a System.map lacking crash_notes: notes go to the online CPUs, and no verdict claims a buffer it did not read", () => {
    const withoutCrashNotes = systemMap.split("\n").filter((l) => !/ crash_notes$/.test(l)).join("\n");
    const r = cpus(dumpP, { systemMap: withoutCrashNotes });
    expect(r.symbols.some((s) => s.name === "crash_notes")).toBe(false);
    // Truth: CPUs 0 and 2 online, CPU 1 offline; the panicking task (pid 275) ran on CPU 2.
    expect(r.cpus.map((c) => [c.cpu, c.cpuFrom, c.inDump, c.note, c.crashNotes, c.verdictCode])).toEqual([
      [0, "note-order", true, "initialized", null, "saved"],
      [1, "masks", false, "missing", null, "offline-expected"],
      [2, "note-order", true, "initialized", null, "saved"],
    ]);
    expect(r.cpus.find((c) => c.cpu === truthP.guest_serial.panic_cpu)!.pid).toBe(truthP.guest_serial.panic_pid);
    expect(r.cpus[1]!.verdict).not.toMatch(/uninitialized/);
    expect(r.cpus[1]!.verdict).toMatch(/crash_notes not read/);
    expect(r.findings.error + r.findings.warning).toBe(0);
  });

  it("memory matches the crashed kernel's /proc/iomem: only the first MiB and the crashkernel are left out", () => {
    const iomem = parseIomem(truthP.guest_serial.precrash.iomem.join("\n"));
    const m = memory(dumpP, { iomem });
    expect(m.findings).toBe(0);
    expect(m.iomem!.dumpNotInRam).toEqual([]);
    expect(m.iomem!.ramNotInDump.map((d) => [d.start, d.end, d.reason])).toEqual([
      ["0x1000", "0x9fc00", "below 1 MiB (excluded by the kernel on x86)"],
      ["0x23000000", "0x2f000000", "crashkernel reservation"],
    ]);
    expect(m.iomem!.captureKernel).toBeNull();
  });

  it("the capture kernel's /proc/iomem (dumpP.capture-state.txt) is recognised: one warning, not a pile of hotplug errors", () => {
    const state = readCorpusText("vmcore/dumpP.capture-state.txt");
    const listing = state.slice(state.indexOf("=== BEGIN iomem ===\n") + 20, state.indexOf("=== END ===", state.indexOf("=== BEGIN iomem ===")));
    const iomem = parseIomem(listing);
    // The listing is the capture kernel's: its System RAM is inside the crashkernel hole of the crashed kernel's dump.
    expect(iomem.filter((e) => e.depth === 0 && e.name === "System RAM").map((e) => e.start.toString(16))).toEqual(["1000", "230e00b0", "2effa100", "2effa110"]);
    const m = memory(dumpP, { iomem });
    expect(m.iomem!.captureKernel).toMatch(/^this looks like the capture kernel's \/proc\/iomem; give the crashed kernel's/);
    expect(m.iomem!.ramNotInDump).toEqual([]);
    expect(m.iomem!.dumpNotInRam).toEqual([]);
    expect(m.findings).toBe(1);
    const iomemFindings = check(dumpP, { iomem }).findings.filter((f) => f.check === "iomem");
    expect(iomemFindings.map((f) => f.severity)).toEqual(["warning"]);
  });

  it("vmcoreinfo: typed values equal the truth's strings", () => {
    const v = vmcoreinfo(dumpP);
    expect(v.lines.length).toBe(truthP.vmcoreinfo_keys);
    expect(v.symbols.init_uts_ns).toBe(`0x${truthP.vmcoreinfo["SYMBOL(init_uts_ns)"]}`);
    expect(v.numbers.phys_base).toBe(Number(truthP.vmcoreinfo["NUMBER(phys_base)"]));
  });
});

describe("dumpA (QEMU dump-guest-memory, 4 CPUs, 5-level paging)", () => {
  it("summary matches the truth", () => {
    const s = summary(dumpA);
    expect(s.loads.map((l) => [l.paddr, l.size])).toEqual(truthA.pt_load_paddr_size);
    expect(s.nrCpus).toBe(truthA.nt_prstatus_count);
    expect(s.crashTime).toBeNull();
    expect(s.osRelease).toBe(truthA.vmcoreinfo.OSRELEASE);
    expect(s.noteCounts).toMatchObject({ NT_PRSTATUS: 4, VMCOREINFO: 1 });
  });

  it("cpus without System.map: four saved notes, QEMU's pr_pid = index + 1, not reported as a pid", () => {
    const r = cpus(dumpA);
    expect(r.prPidMeaning).toBe("qemu-cpu-index-plus-1");
    expect(r.cpus.map((c) => c.prPid)).toEqual(truthA.nt_prstatus.map((p: { pr_pid: number }) => p.pr_pid));
    expect(r.cpus.map((c) => [c.cpu, c.pid, c.prPid, c.verdictCode])).toEqual([0, 1, 2, 3].map((i) => [i, null, i + 1, "saved-no-masks"]));
    // The text table shows the value under a header that says what it is.
    const header = renderCpus(r, false).split("\n")[1]!;
    expect(header).toMatch(/pr_pid \(cpu\+1\)/);
    expect(header).not.toMatch(/\bpid\s{2}/);
    const prstatusLines = renderNotes(notes(dumpA)).split("\n").filter((l) => / CORE /.test(l));
    expect(prstatusLines.map((l) => /pr_pid \(cpu\+1\) (\d+) pc/.exec(l)?.[1])).toEqual(["1", "2", "3", "4"]);
    expect(r.cpus.map((c) => c.pc)).toEqual(truthA.nt_prstatus.map((p: { regs: { rip: string } }) => p.regs.rip));
  });

  it("cpus with System.map reads the masks through 5-level page tables (serial log: 0-3)", () => {
    const r = cpus(dumpA, { systemMap });
    const serial = truthA.guest_serial.precrash;
    expect(r.masks).toEqual({ possible: serial.cpu_possible, present: serial.cpu_present, online: serial.cpu_online });
    // A live QEMU dump: nobody panicked, and the notes are QEMU's (tied by pr_pid), not crash_notes,
    // which are all zero in a kernel that never crashed.
    expect(r.crashingCpu).toBeNull();
    expect(r.cpus.map((c) => [c.cpu, c.cpuFrom, c.pid, c.verdictCode, c.crashNotes?.state])).toEqual(
      [0, 1, 2, 3].map((i) => [i, "qemu-pid", null, "saved", "uninitialized"]),
    );
    expect(r.findings.error + r.findings.warning).toBe(0);
  });
});

describe("dumpP.elfcorehdr-raw.bin (the header as the crashed kernel prepared it)", () => {
  it("is recognised as a bare elfcorehdr and described by summary, notes and memory", async () => {
    const input = await openInput(corpusPath("vmcore/dumpP.elfcorehdr-raw.bin"));
    expect(input.kind).toBe("elfcorehdr");
    const s = summary(input);
    const facts = readCorpusText("vmcore/dumpP.SUMMARY.md");
    expect(s.elfcorehdr!.e_phnum).toBe(Number(/raw elfcorehdr .*?e_phnum (\d+)/.exec(facts)![1]));
    const noteFacts = [.../PT_NOTE \[(.*?)\], PT_LOAD/.exec(facts)![1]!.matchAll(/\['(0x[0-9a-f]+)', '(0x[0-9a-f]+)'\]/g)];
    expect(s.elfcorehdr!.noteSlots.map((n) => [n.address, `0x${n.size.toString(16)}`])).toEqual(noteFacts.map((m) => [m[1], m[2]]));
    expect(s.elfcorehdr!.noteSlots.map((n) => n.kind)).toEqual(["cpu", "cpu", "cpu", "vmcoreinfo"]);
    const loadFacts = [.../PT_LOAD \[(.*)\]\n/.exec(facts)![1]!.matchAll(/\['(0x[0-9a-f]+)', '(0x[0-9a-f]+)', '(0x[0-9a-f]+)'\]/g)];
    expect(s.loads.map((l) => [l.paddr, l.size, l.vaddr])).toEqual(loadFacts.map((m) => [m[1], m[2], m[3]]));
    expect(s.elfcorehdr!.loads.map((l) => l.kind)).toEqual(["kernel-text", "ram", "ram"]);
    expect(s.elfcorehdr!.freeSlots).toBe(0);
    expect(s.elfcorehdr!.recovery).toEqual({ status: "recovered" });
    // The kernel-text PT_LOAD (phdr 4) duplicates RAM that phdr 5 covers, as in the dump itself,
    // where the same kernel-text range is flagged a duplicate of the RAM PT_LOAD holding it.
    expect(s.loads.map((l) => l.duplicateOf)).toEqual([5, null, null]);
    expect(memory(input).loads.map((l) => l.duplicateOf)).toEqual([5, null, null]);
    const inDump = summary(dumpP).loads.filter((l) => l.duplicateOf !== null);
    const dumpText = inDump.map((l) => [BigInt(l.paddr), BigInt(l.paddr) + BigInt(l.size)] as const);
    const text = s.loads[0]!;
    expect(dumpText[0]![0]).toBe(BigInt(text.paddr));
    expect(dumpText[dumpText.length - 1]![1]).toBeLessThanOrEqual(BigInt(text.paddr) + BigInt(text.size));
    const n = notes(input);
    expect(n.bareElfcorehdr).toBe(true);
    expect(n.notes.map((r) => r.verdict)).toEqual(["not-in-file", "not-in-file", "not-in-file", "not-in-file"]);
    const m = memory(input);
    expect(m.holes.map((h) => [h.start, h.end])).toEqual([["0x23000000", "0x2f000000"]]);
  });
});
