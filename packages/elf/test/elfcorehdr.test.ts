import { EM, type ElfError, Elfcorehdr, type ElfcorehdrSpec, PT, buildElfcorehdr, excludeRanges, parseElfFile } from "@kdumpkit/elf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const GiB = 1n << 30n;
const MiB = 1n << 20n;

function spec(cpus: number, ranges: number): ElfcorehdrSpec {
  return {
    e_machine: EM.X86_64,
    cpus: Array.from({ length: cpus }, (_, cpu) => ({ cpu, crashNotesAddress: 0x2223d800n + BigInt(cpu) * 0x80000n })),
    noteBytes: 368,
    vmcoreinfo: { address: 0x2234c000n, size: 0x1024 },
    kernelText: { paddr: 0x16a00000n, vaddr: 0xffffffffaf200000n, size: 0x2c30000n },
    memory: Array.from({ length: ranges }, (_, i) => ({ start: BigInt(i) * 256n * MiB + MiB, end: BigInt(i) * 256n * MiB + 128n * MiB - 1n })),
    exclude: [{ start: 0n, end: MiB - 1n }],
    pageOffset: 0xffff888000000000n,
  };
}

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
  it("capacity 2 + maxCpus + maxRanges, buffer page-aligned, same buffer after events", () => {
    const h = Elfcorehdr.create(spec(4, 3), { maxCpus: 8, maxMemoryRanges: 8 });
    expect(h.capacity).toBe(18);
    expect(h.buffer.length).toBe(4096);
    const buf = h.buffer;
    h.addMemory({ start: 4n * GiB, end: 5n * GiB - 1n });
    h.removeCpu(2);
    h.addCpu({ cpu: 6, crashNotesAddress: 0x30000000n });
    expect(h.buffer).toBe(buf);
    expect(h.buffer.length).toBe(4096);
    expect(h.used).toBe(4 + 1 + 1 + 4);
  });

  it("E_CAPACITY leaves the buffer byte-identical", () => {
    const h = Elfcorehdr.create(spec(2, 2), { maxCpus: 2, maxMemoryRanges: 3 });
    h.addMemory({ start: 8n * GiB, end: 9n * GiB - 1n });
    expect(h.freeSlots()).toBe(0);
    const before = h.buffer.slice();
    expect(code(() => h.addMemory({ start: 10n * GiB, end: 11n * GiB - 1n }))).toBe("E_CAPACITY");
    expect(code(() => h.addCpu({ cpu: 9, crashNotesAddress: 1n }))).toBe("E_CAPACITY");
    // a remove that splits a range also needs a slot
    expect(code(() => h.removeMemory({ start: 8n * GiB + MiB, end: 8n * GiB + 2n * MiB - 1n }))).toBe("E_CAPACITY");
    expect(Buffer.from(h.buffer).equals(Buffer.from(before))).toBe(true);
    expect(code(() => Elfcorehdr.create(spec(4, 1), { maxCpus: 2, maxMemoryRanges: 8 }))).toBe("E_CAPACITY");
    expect(code(() => Elfcorehdr.create(spec(1, 1), { maxCpus: 40000, maxMemoryRanges: 40000 }))).toBe("E_CAPACITY");
  });

  it("E_INVALID_ARGUMENT for overlapping adds, unknown CPUs, duplicate CPUs", () => {
    const h = Elfcorehdr.create(spec(2, 2), { maxCpus: 4, maxMemoryRanges: 8 });
    expect(code(() => h.addMemory({ start: 2n * MiB, end: 3n * MiB }))).toBe("E_INVALID_ARGUMENT");
    expect(code(() => h.removeCpu(7))).toBe("E_INVALID_ARGUMENT");
    expect(code(() => h.addCpu({ cpu: 1, crashNotesAddress: 5n }))).toBe("E_INVALID_ARGUMENT");
  });

  it("after any event sequence the buffer equals a full rebuild of the same state, unused bytes zero", () => {
    const event = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), block: fc.integer({ min: 0, max: 63 }), len: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant("remove" as const), block: fc.integer({ min: 0, max: 63 }), len: fc.integer({ min: 1, max: 4 }), off: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant("cpu+" as const), cpu: fc.integer({ min: 0, max: 15 }) }),
      fc.record({ kind: fc.constant("cpu-" as const), cpu: fc.integer({ min: 0, max: 15 }) }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 25 }), (events) => {
        const s = spec(4, 6);
        s.exclude = [{ start: 0n, end: MiB - 1n }, { start: 0x23000000n, end: 0x2effffffn }];
        const h = Elfcorehdr.create(s, { maxCpus: 16, maxMemoryRanges: 24 });
        for (const e of events) {
          const before = h.buffer.slice();
          try {
            if (e.kind === "add") h.addMemory({ start: BigInt(e.block) * 128n * MiB, end: BigInt(e.block + e.len) * 128n * MiB - 1n });
            else if (e.kind === "remove") h.removeMemory({ start: BigInt(e.block) * 128n * MiB + BigInt(e.off) * MiB, end: BigInt(e.block + e.len) * 128n * MiB - 1n });
            else if (e.kind === "cpu+") h.addCpu({ cpu: e.cpu, crashNotesAddress: 0x40000000n + BigInt(e.cpu) * 4096n });
            else h.removeCpu(e.cpu);
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
