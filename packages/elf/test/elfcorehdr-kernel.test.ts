// Byte-identical to the kernel: dumpP.elfcorehdr-raw.bin is the elfcorehdr a real Linux 6.12
// kernel prepared (read back from old memory). We rebuild it from the facts it describes, taken
// from the corpus' other files, and compare bytes.
import { EM, type ElfError, buildElfcorehdr, Elfcorehdr, excludeRanges, parseElfFile } from "@kdumpkit/elf";
import { describe, expect, it } from "vitest";
import { readCorpusBytes, readCorpusJson, readCorpusText } from "../../../test-support/corpus.js";

function hex(s: string): bigint {
  return BigInt(s.startsWith("0x") ? s : `0x${s}`);
}

function dumpPSpec() {
  const truth = readCorpusJson("vmcore/dumpP.truth.json");
  const pre = truth.guest_serial.precrash;
  // /proc/iomem before the crash (serial log): System RAM, Kernel code, Crash kernel.
  const iomem: string[] = pre.iomem;
  const ram = iomem
    .filter((l) => /^[0-9a-f]+-[0-9a-f]+ : System RAM$/.test(l))
    .map((l) => {
      const [a, b] = l.split(" ")[0]!.split("-");
      return { start: hex(a!), end: hex(b!) };
    });
  const line = (name: string) => {
    const l = iomem.find((x) => x.trim().endsWith(`: ${name}`))!;
    const [a, b] = l.trim().split(" ")[0]!.split("-");
    return { start: hex(a!), end: hex(b!) };
  };
  const crashk = line("Crash kernel");
  // The serial log states the same reservation.
  expect(readCorpusText("vmcore/dumpP.serial.log")).toContain(
    `crashkernel reserved: 0x${crashk.start.toString(16).padStart(16, "0")} - 0x${(crashk.end + 1n).toString(16).padStart(16, "0")} (192 MB)`,
  );
  // /sys/kernel/vmcoreinfo: "%pa %x" = address and VMCOREINFO_NOTE_SIZE in hex.
  const [vmciAddr, vmciSize] = (pre.sys_kernel_vmcoreinfo as string).split(" ");
  // kallsyms: _text and _end; the physical start of _text is iomem's "Kernel code".
  const text = hex(pre.kallsyms._text);
  const end = hex(pre.kallsyms._end);
  // possible CPUs 0-2 (cpumasks). The physical address of each CPU's crash_notes buffer
  // (per_cpu_ptr_to_phys(per_cpu_ptr(crash_notes, cpu))) is recorded nowhere else in the corpus:
  // these three addresses are the one fact taken from the raw file itself (as dumpP.SUMMARY.md lists them).
  const crashNotes = [0x2223d800n, 0x222bd800n, 0x2233d800n];
  expect(pre.cpu_possible).toBe("0-2");
  return {
    e_machine: EM.X86_64,
    cpus: crashNotes.map((crashNotesAddress, cpu) => ({ cpu, crashNotesAddress, possible: true, present: true })),
    noteBytes: 368, // x86_64 CRASH_CORE_NOTE_BYTES (reference §1.2)
    vmcoreinfo: { address: hex(vmciAddr!), size: Number.parseInt(vmciSize!, 16) },
    kernelText: { paddr: line("Kernel code").start, vaddr: text, size: end - text },
    memory: ram,
    // x86 prepare_elf_headers: exclude [0, 1 MiB) and crashk_res.
    exclude: [{ start: 0n, end: 0xfffffn }, crashk],
    // page_offset_base as read from the dump (truth JSON, derived_from_elf).
    pageOffset: hex(truth.derived_from_elf.page_offset_base),
  };
}

describe("elfcorehdr byte-identical to Linux 6.12 (dumpP)", () => {
  it("buildElfcorehdr reproduces dumpP.elfcorehdr-raw.bin", () => {
    const raw = readCorpusBytes("vmcore/dumpP.elfcorehdr-raw.bin");
    expect(raw.length).toBe(456);
    const built = buildElfcorehdr(dumpPSpec());
    expect(built.length).toBe(4096);
    expect(Buffer.from(built.subarray(0, 456)).toString("hex")).toBe(Buffer.from(raw).toString("hex"));
    expect(built.subarray(456).every((b) => b === 0)).toBe(true);
  });

  it("an in-place Elfcorehdr with headroom starts with the same bytes, and a memory remove/add round trip restores them", () => {
    const raw = readCorpusBytes("vmcore/dumpP.elfcorehdr-raw.bin");
    const h = Elfcorehdr.create(dumpPSpec(), { maxCpus: 64, maxMemoryRanges: 8192 });
    expect(h.buffer.length).toBe(Math.ceil((64 + (2 + 64 + 8192) * 56) / 4096) * 4096);
    expect(Buffer.from(h.buffer.subarray(0, 456)).equals(Buffer.from(raw))).toBe(true);
    const before = h.buffer;
    h.removeMemory({ start: 0x8000000n, end: 0xfffffffn }); // one 128 MiB memory block
    expect(h.used).toBe(8);
    expect(h.buffer).toBe(before);
    h.addMemory({ start: 0x8000000n, end: 0xfffffffn });
    // our model keeps a re-added block as its own range (the ranges are not merged back)
    expect(h.used).toBe(9);
    const file = parseElfFile(h.buffer, { outsideNotes: "skip" });
    expect(file.programHeaders.slice(5).map((p) => [p.p_paddr, p.p_memsz])).toEqual([
      [0x100000n, 0x7f00000n],
      [0x8000000n, 0x8000000n],
      [0x10000000n, 0x13000000n],
      [0x2f000000n, 0xfdd000n],
    ]);
  });

  it("Elfcorehdr.fromBytes recovers the kernel's header: the facts of the corpus, rebuilt byte for byte", () => {
    const raw = readCorpusBytes("vmcore/dumpP.elfcorehdr-raw.bin");
    const truth = dumpPSpec();
    const h = Elfcorehdr.fromBytes(raw.slice());
    const s = h.spec();
    // Every fact comes back as the ground truth states it (iomem, kallsyms, sysfs, page_offset_base).
    expect(s.cpus.map((c) => [c.cpu, c.crashNotesAddress])).toEqual(truth.cpus.map((c) => [c.cpu, c.crashNotesAddress]));
    expect(s.noteBytes).toBe(368);
    expect(s.vmcoreinfo).toEqual(truth.vmcoreinfo);
    expect(s.kernelText).toEqual(truth.kernelText);
    expect(s.memory).toEqual(excludeRanges(truth.memory, truth.exclude));
    expect(s.memory.length).toBe(2);
    expect(s.pageOffset).toBe(truth.pageOffset);
    expect(s.e_machine).toBe(EM.X86_64);
    expect(Buffer.from(buildElfcorehdr(s).subarray(0, raw.length)).equals(Buffer.from(raw))).toBe(true);
    // The read-back is cut at e_phnum: 7 phdrs in 456 bytes, no slot free.
    expect([h.used, h.capacity, h.freeSlots()]).toEqual([7, 7, 0]);
    expect(h.recovery.some((r) => /kernel-text/.test(r))).toBe(true);
  });

  it("fromBytes on the kernel's header: a hot-add without room is E_CAPACITY, untouched; padded to a page it has room", () => {
    const raw = readCorpusBytes("vmcore/dumpP.elfcorehdr-raw.bin");
    const cut = Elfcorehdr.fromBytes(raw.slice());
    let err: unknown;
    try {
      cut.addMemory({ start: 0x200000000n, end: 0x2ffffffffn });
    } catch (e) {
      err = e;
    }
    expect((err as ElfError).code).toBe("E_CAPACITY");
    expect(Buffer.from(cut.buffer).equals(Buffer.from(raw))).toBe(true);
    // The segment the kernel allocated was one page (crash_prepare_elf64_headers' ALIGN(elf_sz, 4096)).
    const page = new Uint8Array(4096);
    page.set(raw);
    const h = Elfcorehdr.fromBytes(page);
    expect([h.capacity, h.freeSlots()]).toEqual([72, 65]);
    const fresh = Elfcorehdr.create(dumpPSpec(), { maxCpus: 3, maxMemoryRanges: 4 });
    for (const x of [h, fresh]) {
      x.removeMemory({ start: 0x8000000n, end: 0xfffffffn });
      x.addMemory({ start: 0x100000000n, end: 0x13fffffffn });
    }
    expect(h.buffer).toBe(page);
    expect(Buffer.from(page).equals(Buffer.from(fresh.buffer))).toBe(true);
  });
});
