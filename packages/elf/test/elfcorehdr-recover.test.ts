// Elfcorehdr.fromBytes / recoverElfcorehdr: reading a header back into its spec. Headers are built
// with buildElfcorehdr from specs written here (or drawn at random), then read back; every
// E_BAD_ELFCOREHDR rule gets a header broken in exactly that way, with the offset it must name.
import {
  EM, ElfError, Elfcorehdr, type ElfcorehdrSpec, buildElfcorehdr, recoverElfcorehdr,
} from "@kdumpkit/elf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyTestEvent, hotplugEventArb, x86Spec } from "./support/elfcorehdr-events.js";

const MiB = 1n << 20n;
const DIRECT = 0xffff888000000000n;

const x86 = x86Spec;

function thrown(fn: () => unknown): ElfError | undefined {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ElfError)) throw e;
    return e;
  }
  return undefined;
}

/** The header of `spec` with phdr field bytes overwritten: `at` is an offset inside phdr `i`. */
function poke(spec: ElfcorehdrSpec, edits: { offset: number; bytes: number[] }[]): Uint8Array {
  const b = buildElfcorehdr(spec);
  for (const e of edits) b.set(e.bytes, e.offset);
  return b;
}
const le64 = (v: bigint): number[] => Array.from({ length: 8 }, (_, k) => Number((v >> BigInt(8 * k)) & 0xffn));
const ph = (i: number, field: number): number => 64 + i * 56 + field;
// Elf64_Phdr field offsets.
const P_TYPE = 0;
const P_OFFSET = 8;
const P_VADDR = 16;
const P_FILESZ = 32;
const P_MEMSZ = 40;
const P_ALIGN = 48;

describe("recoverElfcorehdr rules", () => {
  it("notes, VMCOREINFO, kernel text, RAM; capacity from the buffer; rebuild equal", () => {
    const bytes = buildElfcorehdr(x86(3, 2));
    const r = recoverElfcorehdr(bytes);
    expect(r.spec).toEqual({ ...x86(3, 2), cpuSelection: "possible", exclude: [], littleEndian: true, osabi: 0 });
    expect([r.used, r.neededSlots, r.capacity]).toEqual([7, 7, 72]);
    expect(r.rules.join("\n")).toMatch(/PT_NOTE 0\.\.2 are CPU crash_notes \(368 bytes each\), PT_NOTE 3 is VMCOREINFO/);
  });

  it("cpuIds names sparse CPUs; a CPU added later goes in id order", () => {
    const spec = x86(3, 1);
    spec.cpus = spec.cpus.map((c, k) => ({ ...c, cpu: [0, 4, 9][k]! }));
    const bytes = buildElfcorehdr(spec);
    // without the ids, the notes are CPUs 0..2: same bytes, other ids
    expect(recoverElfcorehdr(bytes).spec.cpus.map((c) => c.cpu)).toEqual([0, 1, 2]);
    const h = Elfcorehdr.fromBytes(bytes, { cpuIds: [0, 4, 9] });
    h.addCpu({ cpu: 5, crashNotesAddress: 0x7000n });
    expect(h.cpus.map((c) => c.cpu)).toEqual([0, 4, 5, 9]);
    expect(thrown(() => recoverElfcorehdr(bytes, { cpuIds: [0, 4] }))?.code).toBe("E_INVALID_ARGUMENT");
    expect(thrown(() => recoverElfcorehdr(bytes, { cpuIds: [0, 9, 4] }))?.code).toBe("E_INVALID_ARGUMENT");
    expect(thrown(() => recoverElfcorehdr(bytes, { cpuIds: [-1, 4, 9] }))?.code).toBe("E_INVALID_ARGUMENT");
  });

  it("a lone PT_LOAD: kernel text by kernelImageBase or pageOffset, RAM by pageOffset or kernelText: false, else refused", () => {
    const textOnly = buildElfcorehdr(x86(2, 0));
    const ramOnly = buildElfcorehdr({ ...x86(2, 1), kernelText: undefined });
    expect(recoverElfcorehdr(textOnly, { kernelImageBase: 0xffffffff80000000n, defaultPageOffset: DIRECT }).spec.kernelText).toEqual(x86(1, 0).kernelText);
    expect(recoverElfcorehdr(textOnly, { pageOffset: DIRECT }).spec.kernelText).toBeDefined();
    const asRam = recoverElfcorehdr(ramOnly, { pageOffset: DIRECT }).spec;
    expect([asRam.kernelText, asRam.memory]).toEqual([undefined, x86(1, 1).memory]);
    expect(recoverElfcorehdr(ramOnly, { kernelText: false }).spec.memory).toEqual(x86(1, 1).memory);
    const ambiguous = thrown(() => recoverElfcorehdr(ramOnly));
    expect([ambiguous?.code, ambiguous?.offset]).toEqual(["E_BAD_ELFCOREHDR", 64 + 3 * 56]);
    // text only, no RAM: the direct-map base must come from somewhere
    const noBase = thrown(() => recoverElfcorehdr(textOnly, { kernelImageBase: 0xffffffff80000000n }));
    expect(noBase?.code).toBe("E_BAD_ELFCOREHDR");
    expect(noBase?.message).toMatch(/pageOffset/);
  });

  it("a header without CPU notes needs noteBytes; E_BAD_ELFCOREHDR without it", () => {
    const bytes = buildElfcorehdr(x86(0, 2));
    expect(thrown(() => recoverElfcorehdr(bytes))?.code).toBe("E_BAD_ELFCOREHDR");
    expect(recoverElfcorehdr(bytes, { noteBytes: 368 }).spec.cpus).toEqual([]);
  });

  it("big-endian and osabi come back from e_ident", () => {
    const spec = { ...x86(2, 2), e_machine: EM.PPC64, kernelText: undefined, littleEndian: false, osabi: 3, pageOffset: 0xc000000000000000n };
    const r = recoverElfcorehdr(buildElfcorehdr(spec));
    expect(r.spec).toMatchObject({ littleEndian: false, osabi: 3, e_machine: EM.PPC64, pageOffset: 0xc000000000000000n });
    expect([r.used, r.neededSlots]).toEqual([5, 6]);
  });
});

describe("recoverElfcorehdr refuses what the kernel does not write (E_BAD_ELFCOREHDR naming the offset)", () => {
  const s = x86(3, 2);
  const cases: [string, Uint8Array, number][] = [
    ["ELF32", (() => { const b = buildElfcorehdr(s); b[4] = 1; return b; })(), 4],
    ["not ET_CORE", poke(s, [{ offset: 16, bytes: [2, 0] }]), 16],
    ["e_phoff not 64", poke(s, [{ offset: 32, bytes: le64(120n) }]), 32],
    ["e_phnum 0", poke(s, [{ offset: 56, bytes: [0, 0] }]), 56],
    ["a PT_LOAD first", poke(s, [{ offset: ph(0, P_TYPE), bytes: [1, 0, 0, 0] }]), 64],
    ["a PT_NOTE after a PT_LOAD", poke(s, [{ offset: ph(5, P_TYPE), bytes: [4, 0, 0, 0] }]), ph(5, 0)],
    ["p_offset ≠ p_paddr", poke(s, [{ offset: ph(6, P_OFFSET), bytes: le64(0x10000n) }]), ph(6, 0)],
    ["p_filesz ≠ p_memsz", poke(s, [{ offset: ph(1, P_FILESZ), bytes: le64(100n) }]), ph(1, 0)],
    ["an empty PT_NOTE", poke(s, [{ offset: ph(1, P_FILESZ), bytes: le64(0n) }, { offset: ph(1, P_MEMSZ), bytes: le64(0n) }]), ph(1, 0)],
    ["CPU notes of two sizes", poke(s, [{ offset: ph(2, P_FILESZ), bytes: le64(400n) }, { offset: ph(2, P_MEMSZ), bytes: le64(400n) }]), ph(2, 0)],
    ["VMCOREINFO of the CPU note size", poke(s, [{ offset: ph(3, P_FILESZ), bytes: le64(368n) }, { offset: ph(3, P_MEMSZ), bytes: le64(368n) }]), ph(3, 0)],
    ["a RAM PT_LOAD with another direct map", poke(s, [{ offset: ph(5, P_VADDR), bytes: le64(0x1234000n) }]), ph(5, 0)],
    ["RAM not sorted", (() => {
      const b = buildElfcorehdr(s);
      const a = b.slice(ph(5, 0), ph(6, 0));
      b.copyWithin(ph(5, 0), ph(6, 0), ph(7, 0));
      b.set(a, ph(6, 0));
      return b;
    })(), ph(6, 0)],
    ["a non-zero p_align (rebuild differs)", poke(s, [{ offset: ph(5, P_ALIGN), bytes: [0x10] }]), ph(5, P_ALIGN)],
    ["e_flags set (rebuild differs)", poke(s, [{ offset: 48, bytes: [1] }]), 48],
    ["stale bytes after the table", poke(s, [{ offset: 2000, bytes: [0xaa] }]), 2000],
    ["more phdrs than bytes", buildElfcorehdr(s).subarray(0, 64 + 6 * 56), 64 + 6 * 56],
  ];
  it.each(cases)("%s", (_name, bytes, offset) => {
    const e = thrown(() => recoverElfcorehdr(bytes));
    expect(e?.code).toBe("E_BAD_ELFCOREHDR");
    expect(e?.offset).toBe(offset);
  });

  it("bytes that are not ELF keep the reader's codes", () => {
    expect(thrown(() => recoverElfcorehdr(new Uint8Array(10)))?.code).toBe("E_TRUNCATED");
    expect(thrown(() => recoverElfcorehdr(new Uint8Array(4096)))?.code).toBe("E_BAD_MAGIC");
  });

  it("fromBytes: E_CAPACITY for a header cut at e_phnum without its kernel-text slot", () => {
    const spec = { ...x86(2, 2), kernelText: undefined };
    const cut = buildElfcorehdr(spec).slice(0, 64 + 5 * 56);
    const e = thrown(() => Elfcorehdr.fromBytes(cut));
    expect([e?.code, e?.offset]).toEqual(["E_CAPACITY", cut.length]);
    // one more (zero) slot and it opens, full
    const padded = new Uint8Array(64 + 6 * 56);
    padded.set(cut);
    expect(Elfcorehdr.fromBytes(padded).freeSlots()).toBe(0);
  });
});

// Random specs in the kernel's layout: sparse ascending CPU ids, sorted disjoint RAM ranges,
// optional kernel text in the kernel-image window.
const specArb = fc
  .record({
    e_machine: fc.constantFrom(EM.X86_64, EM.AARCH64, EM.PPC64, EM.S390),
    ids: fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 10 }),
    base: fc.bigInt({ min: 0n, max: 1n << 40n }),
    stride: fc.bigInt({ min: 1n, max: 1n << 20n }),
    noteBytes: fc.integer({ min: 1, max: 1000 }),
    vmci: fc.record({ address: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), size: fc.integer({ min: 1, max: 0x20000 }) }),
    text: fc.option(fc.record({ paddr: fc.bigInt({ min: 0n, max: 1n << 40n }), off: fc.bigInt({ min: 0n, max: 1n << 30n }), size: fc.bigInt({ min: 1n, max: 1n << 30n }) }), { nil: undefined }),
    ranges: fc.array(fc.record({ gap: fc.bigInt({ min: 0n, max: 1n << 36n }), len: fc.bigInt({ min: 1n, max: 1n << 36n }) }), { maxLength: 12 }),
    pageOffset: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    littleEndian: fc.boolean(),
    osabi: fc.integer({ min: 0, max: 255 }),
  })
  .map((r) => {
    let at = 0n;
    const memory = r.ranges.map(({ gap, len }) => {
      const start = at + gap;
      at = start + len;
      return { start, end: start + len - 1n };
    });
    const ids = [...r.ids].sort((a, b) => a - b);
    const spec: ElfcorehdrSpec = {
      e_machine: r.e_machine,
      cpus: ids.map((cpu) => ({ cpu, crashNotesAddress: r.base + BigInt(cpu) * r.stride })),
      cpuSelection: "possible",
      noteBytes: r.noteBytes,
      vmcoreinfo: r.vmci,
      ...(r.text ? { kernelText: { paddr: r.text.paddr, vaddr: 0xffffffff80000000n + r.text.off, size: r.text.size } } : {}),
      memory,
      exclude: [],
      pageOffset: r.pageOffset,
      littleEndian: r.littleEndian,
      osabi: r.osabi,
    };
    return spec;
  })
  // Headers the kernel could not tell apart are refused, not recovered: keep the readable ones.
  .filter((s) => (s.cpus.length === 0 || s.vmcoreinfo.size !== s.noteBytes) &&
    (!s.kernelText || BigInt.asUintN(64, s.kernelText.vaddr - s.kernelText.paddr) !== s.pageOffset));

describe("recoverElfcorehdr properties", () => {
  it("random spec → buildElfcorehdr → fromBytes → the same spec and the same bytes", () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const bytes = buildElfcorehdr(spec);
        const original = bytes.slice();
        const h = Elfcorehdr.fromBytes(bytes, { cpuIds: spec.cpus.map((c) => c.cpu), pageOffset: spec.pageOffset, noteBytes: spec.noteBytes });
        expect(bytes).toEqual(original);
        const got = h.spec();
        expect({ ...got, cpus: got.cpus.map((c) => ({ cpu: c.cpu, crashNotesAddress: c.crashNotesAddress })) }).toEqual(spec);
        expect(Buffer.from(buildElfcorehdr(got)).equals(Buffer.from(bytes))).toBe(true);
        expect(h.capacity).toBe(Math.floor((bytes.length - 64) / 56));
      }),
      { seed: 1207, numRuns: 100 },
    );
  });

  it("after random events, fromBytes of the buffer (cut to a small segment) recovers the same state; E_CAPACITY leaves it as it was", () => {
    fc.assert(
      fc.property(fc.array(hotplugEventArb(3), { maxLength: 30 }), fc.boolean(), (events, withText) => {
        const spec = { ...x86(4, 3), ...(withText ? {} : { kernelText: undefined }) };
        // a 20-slot segment (a kernel with small CONFIG values) so that events run out of room
        const seg = new Uint8Array(64 + 20 * 56);
        seg.set(buildElfcorehdr(spec).subarray(0, seg.length));
        const h = Elfcorehdr.fromBytes(seg, { pageOffset: DIRECT });
        for (const e of events) {
          const before = h.buffer.slice();
          const err = thrown(() => applyTestEvent(h, e));
          if (err) {
            expect(["E_CAPACITY", "E_INVALID_ARGUMENT"]).toContain(err.code);
            expect(Buffer.from(h.buffer).equals(Buffer.from(before))).toBe(true);
          }
          expect(h.neededSlots).toBeLessThanOrEqual(20);
          expect(h.buffer.length).toBe(64 + 20 * 56);
        }
        if (h.cpus.length === 0 || h.memory.length === 0) return;
        const again = Elfcorehdr.fromBytes(h.buffer.slice(), { cpuIds: h.cpus.map((c) => c.cpu), pageOffset: DIRECT, kernelText: withText });
        expect(again.cpus).toEqual(h.cpus);
        expect(again.memory).toEqual(h.memory);
        expect([again.used, again.freeSlots()]).toEqual([h.used, h.freeSlots()]);
      }),
      { seed: 77, numRuns: 80 },
    );
  });

  it("mutated headers give only ElfError; what opens rebuilds to the same bytes", () => {
    const base = buildElfcorehdr({ ...x86(3, 3), exclude: [] }).subarray(0, 1024);
    const mutation = fc.array(fc.record({ at: fc.integer({ min: 0, max: 1023 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(mutation, fc.boolean(), (edits, hints) => {
        const b = base.slice();
        for (const { at, value } of edits) b[at] = value;
        let h: Elfcorehdr | undefined;
        try {
          h = Elfcorehdr.fromBytes(b, hints ? { pageOffset: DIRECT, kernelImageBase: 0xffffffff80000000n, noteBytes: 368 } : {});
        } catch (e) {
          expect(e).toBeInstanceOf(ElfError);
          return;
        }
        const used = 64 + h.used * 56;
        expect(Buffer.from(buildElfcorehdr(h.spec()).subarray(0, used)).equals(Buffer.from(b.subarray(0, used)))).toBe(true);
        expect(b.subarray(used).every((x) => x === 0)).toBe(true);
      }),
      { seed: 4242, numRuns: 400 },
    );
  });

});
