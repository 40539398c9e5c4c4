import { type ElfError, Elfcorehdr, PT, buildElfcorehdr, elfcorehdrSegmentSize, elfcorehdrSlots, excludeRanges, parseElfFile } from "@kdumpkit/elf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyTestEvent, hotplugEventArb, x86Spec } from "./support/elfcorehdr-events.js";

const GiB = 1n << 30n;
const MiB = 1n << 20n;

const spec = x86Spec;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as ElfError).code;
  }
  return "none";
}

describe("buildElfcorehdr", () => {
  it("lays out CPU notes, VMCOREINFO, kernel text, RAM; page-aligned; kernel-text slot always counted", () => {
    const s = spec(3, 2);
    const b = buildElfcorehdr(s);
    expect(b.length).toBe(4096);
    const f = parseElfFile(b, { outsideNotes: "skip" });
    expect(f.programHeaders.map((p) => p.p_type)).toEqual([PT.NOTE, PT.NOTE, PT.NOTE, PT.NOTE, PT.LOAD, PT.LOAD, PT.LOAD]);
    expect(f.programHeaders[4]!.p_vaddr).toBe(0xffffffffaf200000n);
    expect(f.programHeaders[5]).toEqual({ p_type: PT.LOAD, p_flags: 7, p_offset: MiB, p_vaddr: 0xffff888000000000n + MiB, p_paddr: MiB, p_filesz: 127n * MiB, p_memsz: 127n * MiB, p_align: 0n });
    // 73 possible CPUs + 1 + 0 ranges + 1 kernel-text slot = 75 phdrs = 64 + 4200 bytes → 8192 even without kernel text
    expect(buildElfcorehdr({ ...spec(73, 0), kernelText: undefined }).length).toBe(8192);
  });

  it("present selection skips non-present CPUs but sizes with possible ones", () => {
    const s = spec(4, 1);
    s.cpus[1]!.present = false;
    const f = parseElfFile(buildElfcorehdr({ ...s, cpuSelection: "present" }), { outsideNotes: "skip" });
    expect(f.programHeaders.filter((p) => p.p_type === PT.NOTE).length).toBe(4);
  });

  it("excludeRanges splits like crash_exclude_mem_range", () => {
    expect(excludeRanges([{ start: 0n, end: 99n }], [{ start: 10n, end: 19n }, { start: 90n, end: 120n }])).toEqual([
      { start: 0n, end: 9n },
      { start: 20n, end: 89n },
    ]);
    expect(code(() => excludeRanges([{ start: 5n, end: 4n }]))).toBe("E_INVALID_ARGUMENT");
  });
});

describe("Elfcorehdr (in-place hotplug updates)", () => {
  it("capacity is what the page-aligned segment holds: 4 CPUs + 4 ranges ask for 10 slots, 4096 bytes hold 72", () => {
    const h = Elfcorehdr.create(spec(4, 3), { maxCpus: 4, maxMemoryRanges: 4 });
    // x86 memsz = (2 + 4 + 4) * 56 + 64 = 624, page-aligned by kexec_add_buffer → 4096; (4096 − 64) / 56 = 72.
    expect(h.buffer.length).toBe(4096);
    expect(h.capacity).toBe(72);
    const buf = h.buffer;
    // More CPUs than maxCpus: the kernel checks only the total, and so do we.
    for (let cpu = 4; cpu < 12; cpu++) h.addCpu({ cpu, crashNotesAddress: 0x30000000n + BigInt(cpu) * 0x1000n });
    h.addMemory({ start: 4n * GiB, end: 5n * GiB - 1n });
    h.removeCpu(2);
    expect(h.buffer).toBe(buf);
    expect(h.buffer.length).toBe(4096);
    expect(h.used).toBe(11 + 1 + 1 + 4);
    expect(h.neededSlots).toBe(h.used);
    expect(h.freeSlots()).toBe(72 - 17);
  });

  it("elfcorehdrSlots agrees with the kernel's check ALIGN(64 + nr_phdr × 56, 4096) <= memsz", () => {
    const align = (n: number) => Math.ceil(n / 4096) * 4096;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 15000 }), (pages, n) => {
        const memsz = pages * 4096;
        expect(align(64 + n * 56) <= memsz).toBe(n <= elfcorehdrSlots(memsz));
      }),
      { seed: 7, numRuns: 300 },
    );
    // x86_64 defaults (reference §1.5): pnum = 2 + 64 + 8192, memsz = 462 512 → 462 848 page-aligned.
    expect(elfcorehdrSegmentSize(2 + 64 + 8192)).toBe(462848);
    expect(elfcorehdrSlots(462848)).toBe(8264);
    expect(elfcorehdrSlots(63)).toBe(0);
    expect(elfcorehdrSlots(64 + 70000 * 56)).toBe(0xfffe);
    expect(code(() => elfcorehdrSegmentSize(-1))).toBe("E_INVALID_ARGUMENT");
  });

  it("E_CAPACITY when the segment is full leaves the buffer byte-identical", () => {
    // 2 CPUs + 2 + 68 ranges = 72 slots: the 4096-byte segment is full.
    const h = Elfcorehdr.create(spec(2, 68), { maxCpus: 2, maxMemoryRanges: 68 });
    expect([h.capacity, h.used, h.freeSlots()]).toEqual([72, 72, 0]);
    const before = h.buffer.slice();
    expect(code(() => h.addMemory({ start: 100n * GiB, end: 101n * GiB - 1n }))).toBe("E_CAPACITY");
    expect(code(() => h.addCpu({ cpu: 9, crashNotesAddress: 1n }))).toBe("E_CAPACITY");
    // a remove that splits a range also needs a slot
    expect(code(() => h.removeMemory({ start: 2n * MiB, end: 3n * MiB - 1n }))).toBe("E_CAPACITY");
    expect(Buffer.from(h.buffer).equals(Buffer.from(before))).toBe(true);
    // trimming needs no slot
    h.removeMemory({ start: MiB, end: 2n * MiB - 1n });
    expect(h.used).toBe(72);
  });

  it("without a kernel-text PT_LOAD the kernel still counts its slot: 71 phdrs fill 72 slots", () => {
    const h = Elfcorehdr.create({ ...spec(2, 67), kernelText: undefined }, { maxCpus: 2, maxMemoryRanges: 68 });
    expect([h.capacity, h.used, h.neededSlots, h.freeSlots()]).toEqual([72, 70, 71, 1]);
    h.addMemory({ start: 100n * GiB, end: 101n * GiB - 1n });
    expect([h.used, h.freeSlots()]).toEqual([71, 0]);
    const before = h.buffer.slice();
    expect(code(() => h.addMemory({ start: 102n * GiB, end: 103n * GiB - 1n }))).toBe("E_CAPACITY");
    expect(Buffer.from(h.buffer).equals(Buffer.from(before))).toBe(true);
  });

  it("create: E_CAPACITY when the initial state does not fit the segment, or the slots reach PN_XNUM", () => {
    expect(Elfcorehdr.create(spec(4, 1), { maxCpus: 2, maxMemoryRanges: 8 }).capacity).toBe(72);
    expect(code(() => Elfcorehdr.create(spec(80, 1), { maxCpus: 2, maxMemoryRanges: 8 }))).toBe("E_CAPACITY");
    expect(code(() => Elfcorehdr.create(spec(1, 1), { maxCpus: 40000, maxMemoryRanges: 40000 }))).toBe("E_CAPACITY");
    expect(code(() => Elfcorehdr.create(spec(1, 1), { maxCpus: -1, maxMemoryRanges: 4 }))).toBe("E_INVALID_ARGUMENT");
  });

  it("E_INVALID_ARGUMENT for overlapping adds, unknown CPUs, duplicate CPUs", () => {
    const h = Elfcorehdr.create(spec(2, 2), { maxCpus: 4, maxMemoryRanges: 8 });
    expect(code(() => h.addMemory({ start: 2n * MiB, end: 3n * MiB }))).toBe("E_INVALID_ARGUMENT");
    expect(code(() => h.removeCpu(7))).toBe("E_INVALID_ARGUMENT");
    expect(code(() => h.addCpu({ cpu: 1, crashNotesAddress: 5n }))).toBe("E_INVALID_ARGUMENT");
  });

  it("after any event sequence the buffer equals a full rebuild of the same state, unused bytes zero", () => {
    fc.assert(
      fc.property(fc.array(hotplugEventArb(4), { maxLength: 25 }), (events) => {
        const s = spec(4, 6);
        s.exclude = [{ start: 0n, end: MiB - 1n }, { start: 0x23000000n, end: 0x2effffffn }];
        const h = Elfcorehdr.create(s, { maxCpus: 16, maxMemoryRanges: 24 });
        for (const e of events) {
          const before = h.buffer.slice();
          try {
            applyTestEvent(h, e);
          } catch (err) {
            expect(["E_CAPACITY", "E_INVALID_ARGUMENT"]).toContain((err as ElfError).code);
            expect(Buffer.from(h.buffer).equals(Buffer.from(before))).toBe(true);
          }
          const rebuilt = buildElfcorehdr(h.spec());
          const used = 64 + h.used * 56;
          expect(Buffer.from(h.buffer.subarray(0, used)).equals(Buffer.from(rebuilt.subarray(0, used)))).toBe(true);
          expect(h.buffer.subarray(used).every((x) => x === 0)).toBe(true);
          // and the RAM PT_LOADs stay sorted and disjoint
          const loads = parseElfFile(h.buffer, { outsideNotes: "skip" }).programHeaders.filter((p) => p.p_type === PT.LOAD).slice(1);
          for (let i = 1; i < loads.length; i++) expect(loads[i]!.p_paddr).toBeGreaterThan(loads[i - 1]!.p_paddr + loads[i - 1]!.p_memsz - 1n);
        }
      }),
      { seed: 31, numRuns: 60 },
    );
  });
});

describe("bad spec values are E_INVALID_ARGUMENT, never a RangeError or a silently wrapped field", () => {
  const bad: [string, (s: ReturnType<typeof spec>) => void][] = [
    ["fractional VMCOREINFO size (BigInt(1.5) threw RangeError)", (s) => { s.vmcoreinfo.size = 1.5; }],
    ["negative VMCOREINFO address", (s) => { s.vmcoreinfo.address = -1n; }],
    ["crash_notes address above 64 bits", (s) => { s.cpus[0]!.crashNotesAddress = 1n << 64n; }],
    ["e_machine above 16 bits", (s) => { s.e_machine = 0x10000; }],
    ["negative pageOffset", (s) => { s.pageOffset = -1n; }],
    ["kernel text size above 64 bits", (s) => { s.kernelText = { paddr: 0n, vaddr: 0n, size: 1n << 64n }; }],
    ["osabi above 8 bits", (s) => { s.osabi = 256; }],
  ];
  for (const [what, mutate] of bad) {
    it(what, () => {
      const s = spec(2, 1);
      mutate(s);
      expect(code(() => buildElfcorehdr(s))).toBe("E_INVALID_ARGUMENT");
      expect(code(() => Elfcorehdr.create(s, { maxCpus: 4, maxMemoryRanges: 4 }))).toBe("E_INVALID_ARGUMENT");
    });
  }

  it("addCpu refuses a crash_notes address outside 64 bits and leaves the buffer as it was", () => {
    const h = Elfcorehdr.create(spec(2, 1), { maxCpus: 4, maxMemoryRanges: 4 });
    const before = h.buffer.slice();
    expect(code(() => h.addCpu({ cpu: 7, crashNotesAddress: -4096n }))).toBe("E_INVALID_ARGUMENT");
    expect(code(() => h.addCpu({ cpu: 7, crashNotesAddress: 1n << 64n }))).toBe("E_INVALID_ARGUMENT");
    expect(Buffer.compare(Buffer.from(h.buffer), Buffer.from(before))).toBe(0);
  });
});
