// AArch64 translation on synthetic dumps: page tables laid out by a test-side writer for each
// granule and VA size (support/aarch64-tables.ts), written into an EM_AARCH64 ELF core with
// VMCOREINFO and PRSTATUS notes, then read back through openDump → readVirtual. Expected bytes are
// the pattern at the physical address the test's own model says, never our translator's output.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Aarch64Translator, VmcoreError, bufferSource, openDump } from "@kdumpkit/vmcore";
import { patternBytes } from "./support/elf-writer.js";
import { codeOf } from "./support/error-code.js";
import { GEOMETRIES, type Geometry, TableWriter, writeAarch64Core } from "./support/aarch64-tables.js";

const MASK64 = (1n << 64n) - 1n;
const hex = (n: bigint) => n.toString(16);
const neg = (bits: number) => (MASK64 << BigInt(bits)) & MASK64; // -(1 << bits) as an unsigned 64-bit value

function geometry(name: string): Geometry {
  const g = GEOMETRIES.find((x) => x.name.startsWith(name));
  if (!g) throw new Error(`no geometry ${name}`);
  return g;
}

/** A kernel configuration to lay out: the tables' geometry, what VMCOREINFO says, and the VA layout. */
interface Setup {
  g: Geometry;
  /** NUMBER(VA_BITS) (defaults to the geometry's). */
  vaBits?: number;
  /** NUMBER(TCR_EL1_T1SZ), when the CPU runs fewer VA bits than configured. */
  t1sz?: number;
  /** Linux 5.4+ layout (linear map at the bottom of the kernel half). */
  flipped: boolean;
  /** Physical address RAM (PHYS_OFFSET) starts at. */
  ram: bigint;
}

/** Lays out a kernel the way arch/arm64/include/asm/memory.h places its regions. */
function build(setup: Setup) {
  const { g, flipped, ram } = setup;
  const vaBits = setup.vaBits ?? g.vaBits;
  const actual = setup.t1sz !== undefined ? 64 - setup.t1sz : vaBits;
  const page = BigInt(g.pageSize);
  // Where the linear map starts at run time, and PHYS_OFFSET as exported (memstart_addr is lowered
  // by _PAGE_OFFSET(48) - _PAGE_OFFSET(52) when a 52-bit kernel runs on a 48-bit CPU).
  const linearStart = flipped ? neg(actual) : neg(vaBits - 1);
  const physOffset = (ram + neg(vaBits) - neg(actual)) & MASK64;
  const vaBitsMin = vaBits > 48 ? (g.pageSize === 16384 ? 47 : 48) : vaBits;
  const kimageVa = flipped ? neg(vaBitsMin - 1) + 0x80000000n + 0x1a00000n * page / 4096n : neg(vaBits) + 0x08000000n;
  const imagePa = ram + 0x200000n * (page / 4096n);
  const imageSize = 4n * page;
  const w = new TableWriter(g, imagePa + page, ram + 0x5000000n * (page / 4096n)); // swapper_pg_dir is the image's second page
  w.map(kimageVa, imagePa, imageSize);
  for (let off = 0n; off < imageSize; off += page) w.touch(imagePa + off);
  // Linear map: the smallest block size over the first four blocks of RAM (covers the image), then one block of each larger size.
  const blocks = [...g.blockShifts].sort((a, b) => a - b);
  const linear: { va: bigint; pa: bigint; shift: number }[] = [];
  w.map(linearStart, ram, 4n << BigInt(blocks[0]!), blocks[0]!);
  linear.push({ va: linearStart + (3n << BigInt(blocks[0]!)) + 0x1234n, pa: ram + (3n << BigInt(blocks[0]!)) + 0x1234n, shift: blocks[0]! });
  for (const s of blocks.slice(1)) {
    const off = 4n << BigInt(s);
    w.map(linearStart + off, ram + off, 1n << BigInt(s), s);
    linear.push({ va: linearStart + off + 0x2468n, pa: ram + off + 0x2468n, shift: s });
  }
  // vmalloc: pages out of order, a hole, and a page mapped to memory the dump lacks.
  const vm = kimageVa + 0x40000000n;
  const frames = [ram + 0x300000n * page / 4096n * 16n, ram + 0x100000n * page / 4096n * 16n];
  w.map(vm, frames[0]!, page);
  w.map(vm + page, frames[1]!, page);
  w.map(vm + 3n * page, ram + 0x7000000n * page / 4096n, page); // mapped, never touched: not in the dump
  for (const f of frames) w.touch(f);
  for (const l of linear) w.touch(l.pa);
  const info: Record<string, string> = {
    OSRELEASE: flipped ? "6.8.0-synthetic" : "5.3.0-synthetic",
    PAGESIZE: String(g.pageSize),
    "SYMBOL(swapper_pg_dir)": hex(kimageVa + page),
    "SYMBOL(_stext)": hex(kimageVa + 0x10000n),
    "NUMBER(VA_BITS)": String(vaBits),
    "NUMBER(kimage_voffset)": `0x${hex((kimageVa - imagePa) & MASK64)}`,
    "NUMBER(PHYS_OFFSET)": `0x${hex(physOffset)}`,
    "NUMBER(MAX_PHYSMEM_BITS)": g.pa === "48" ? "48" : "52",
    KERNELOFFSET: "1a00000",
  };
  if (setup.t1sz !== undefined) info["NUMBER(TCR_EL1_T1SZ)"] = `0x${setup.t1sz.toString(16)}`;
  return { w, info, kimageVa, imagePa, imageSize, linearStart, linear, vm, frames, page };
}

const SETUPS: { label: string; setup: Setup }[] = [
  ...GEOMETRIES.map((g) => ({ label: `${g.name}, 5.4+ layout`, setup: { g, flipped: true, ram: g.pa === "48" ? 0x40000000n : 0x000f000000000000n } })),
  ...GEOMETRIES.filter((g) => g.vaBits <= 48).map((g) => ({ label: `${g.name}, pre-5.4 layout`, setup: { g, flipped: false, ram: 0x80000000n } })),
  // 52-bit kernels on 48-bit CPUs: 64K walks swapper_pg_dir with VA_BITS; 4K folds to 4 levels (64 - T1SZ).
  { label: "64K pages, VA_BITS=52 on a 48-bit CPU", setup: { g: geometry("64K pages, 52"), t1sz: 16, flipped: true, ram: 0x40000000n } },
  { label: "4K pages, VA_BITS=52 on a CPU without LPA2", setup: { g: geometry("4K pages, 48"), vaBits: 52, t1sz: 16, flipped: true, ram: 0x40000000n } },
];

describe("aarch64: openDump → readVirtual on synthetic page tables", () => {
  for (const { label, setup } of SETUPS) {
    it(label, () => {
      const k = build(setup);
      // With 52-bit VA_BITS on a 48-bit CPU the actual kernel VA range is narrower; the
      // 4K/LPA2-less case walks 48-bit tables, so the writer's own 4K/48 geometry is the truth.
      const dump = openDump(bufferSource(writeAarch64Core({ writer: k.w, vmcoreinfo: k.info, kernelText: { vaddr: k.kimageVa, paddr: k.imagePa, size: k.imageSize } })));
      expect(dump.arch).toBe("aarch64");
      expect(dump.notes.filter((n) => n.name === "CORE")).toHaveLength(2);
      const t = dump.translator();
      expect(t.arch).toBe("aarch64");
      expect(t.describe()).toMatchObject({
        swapper_pg_dir_physical: `0x${hex(k.imagePa + k.page)}`,
        levels: setup.g.shifts.length,
        linear_fast_path: true,
        kernel_image: `0x${hex(k.kimageVa)}-0x${hex(k.kimageVa + k.imageSize)}`,
      });
      for (const fastPaths of [true, false]) {
        const d = fastPaths ? dump : openDump(bufferSource(writeAarch64Core({ writer: k.w, vmcoreinfo: k.info })), { fastPaths: false });
        // Kernel image (fast path through kdump's kernel-text PT_LOAD, or walked).
        expect(d.readVirtual(k.kimageVa + 0x10n, 32)).toEqual(patternBytes(k.imagePa + 0x10n, 32));
        // Linear map, in blocks of every size the granule allows.
        for (const l of k.linear) {
          expect(d.readVirtual(l.va, 16)).toEqual(patternBytes(l.pa, 16));
          expect(d.translator().walk(l.va)).toEqual({ physicalAddress: l.pa, pageSize: 2 ** l.shift, levels: setup.g.shifts.indexOf(l.shift) + 1 });
        }
        // vmalloc pages, out of physical order: a read across the boundary joins two frames.
        const p = k.page;
        expect(d.readVirtual(k.vm + p - 4n, 8)).toEqual(new Uint8Array([...patternBytes(k.frames[0]! + p - 4n, 4), ...patternBytes(k.frames[1]!, 4)]));
        expect(d.translator().walk(k.vm + 5n)).toEqual({ physicalAddress: k.frames[0]! + 5n, pageSize: setup.g.pageSize, levels: setup.g.shifts.length });
        // Unmapped page; a read running into it names its first address.
        expect(() => d.readVirtual(k.vm + 2n * p, 1)).toThrow(expect.objectContaining({ code: "E_NO_TRANSLATION", address: k.vm + 2n * p }));
        expect(() => d.readVirtual(k.vm + 2n * p - 8n, 16)).toThrow(expect.objectContaining({ code: "E_NO_TRANSLATION", address: k.vm + 2n * p }));
        // Mapped to memory the dump does not hold.
        expect(() => d.readVirtual(k.vm + 3n * p + 0x10n, 8)).toThrow(expect.objectContaining({ code: "E_NOT_IN_DUMP", address: k.vm + 3n * p + 0x10n }));
      }
    });
  }

  it("tells the two layouts apart by where the kernel image lies (5.4 flip)", () => {
    const g = geometry("4K pages, 48");
    const now = build({ g, flipped: true, ram: 0x40000000n });
    const flipped = openDump(bufferSource(writeAarch64Core({ writer: now.w, vmcoreinfo: now.info })));
    expect(flipped.translator().describe()).toMatchObject({ page_offset: "0xffff000000000000", page_end: "0xffff800000000000" });
    const old = build({ g, flipped: false, ram: 0x40000000n });
    const before = openDump(bufferSource(writeAarch64Core({ writer: old.w, vmcoreinfo: old.info })));
    expect(before.translator().describe()).toMatchObject({ page_offset: "0xffff800000000000", page_end: undefined });
  });

  it("reads the same bytes with and without a kernel-text PT_LOAD, and takes PHYS_OFFSET from linear PT_LOADs when VMCOREINFO lacks it", () => {
    const k = build({ g: geometry("16K pages, 47"), flipped: true, ram: 0x40000000n });
    const noPhysOffset = Object.fromEntries(Object.entries(k.info).filter(([key]) => key !== "NUMBER(PHYS_OFFSET)"));
    // QEMU-style PT_LOADs (p_vaddr 0) say nothing about PHYS_OFFSET.
    expect(codeOf(() => openDump(bufferSource(writeAarch64Core({ writer: k.w, vmcoreinfo: noPhysOffset }))).readVirtual(k.vm, 1))).toBe("E_NO_VMCOREINFO");
    // kdump-style PT_LOADs (p_vaddr = __va(p_paddr)) do.
    const linearVaddr = { pageOffset: k.linearStart, physOffset: 0x40000000n };
    const withText = openDump(bufferSource(writeAarch64Core({ writer: k.w, vmcoreinfo: noPhysOffset, linearVaddr, kernelText: { vaddr: k.kimageVa, paddr: k.imagePa, size: k.imageSize } })));
    expect(withText.translator().describe()).toMatchObject({ phys_offset: "0x40000000" });
    const l = k.linear[0]!;
    expect(withText.readVirtual(l.va, 64)).toEqual(patternBytes(l.pa, 64));
    expect(withText.readVirtual(k.kimageVa + 3n * k.page - 8n, 16)).toEqual(patternBytes(k.imagePa + 3n * k.page - 8n, 16));
    expect(withText.readVirtual(k.vm + 3n, 5)).toEqual(patternBytes(k.frames[0]! + 3n, 5));
  });
});

describe("aarch64: malformed entries and VMCOREINFO", () => {
  const g = geometry("4K pages, 48");
  const k = build({ g, flipped: true, ram: 0x40000000n });
  const translator = (w: TableWriter, extra: Partial<ConstructorParameters<typeof Aarch64Translator>[0]> = {}) =>
    new Aarch64Translator({
      readU64: w.readU64,
      pageSize: g.pageSize,
      vaBits: 48,
      swapperPgDir: k.kimageVa + k.page,
      kimageVoffset: k.kimageVa - k.imagePa,
      physOffset: 0x40000000n,
      fastPaths: false,
      ...extra,
    });

  it("E_NO_TRANSLATION for a block descriptor where the granule allows none, and at the page level", () => {
    const w = build({ g, flipped: true, ram: 0x40000000n }).w;
    const va = k.vm + 0x1000000000n; // a fresh level-0 slot? no: same 512 GiB slot, fresh level-1 slot
    w.map(va, 0x50000000n, 0x1000n);
    w.setRaw(va, 3, 0x50000000n | (1n << 10n) | 1n); // 0b01 at level 3: reserved
    expect(() => translator(w).walk(va)).toThrow(/level-3 descriptor .* is a block descriptor/);
    const top = neg(48) + (5n << 39n);
    w.setRaw(top, 0, 0x8000000000n | (1n << 10n) | 1n); // 512 GiB block at level 0: needs LPA2
    expect(codeOf(() => translator(w).walk(top))).toBe("E_NO_TRANSLATION");
    w.setRaw(va, 3, 0x50000000n | 2n); // 0b10: invalid
    expect(() => translator(w).walk(va + 8n)).toThrow(expect.objectContaining({ code: "E_NO_TRANSLATION", address: va + 8n }));
  });

  it("E_NO_TRANSLATION for user (TTBR0) addresses; top-byte tags are ignored as the MMU does", () => {
    const t = translator(k.w);
    expect(codeOf(() => t.walk(0x0000aaaabbbb0000n))).toBe("E_NO_TRANSLATION");
    expect(codeOf(() => t.walk(neg(48) - 0x1000n))).toBe("E_NO_TRANSLATION"); // below the 48-bit kernel range
    const tagged = (k.vm & 0x00ffffffffffffffn) | 0xf300000000000000n; // KASAN hardware tag 0xf3
    expect(t.translate(tagged + 7n)).toBe(k.frames[0]! + 7n);
  });

  it("E_NOT_IN_DUMP when a page table itself is not in the dump", () => {
    const w = build({ g, flipped: true, ram: 0x40000000n }).w;
    const va = neg(48) + (300n << 39n);
    w.setRaw(va, 0, 0x7ff000000n | 3n); // a level-1 table nowhere in the dump
    const dump = openDump(bufferSource(writeAarch64Core({ writer: w, vmcoreinfo: k.info })));
    expect(codeOf(() => dump.readVirtual(va, 8))).toBe("E_NOT_IN_DUMP");
  });

  it("E_NO_VMCOREINFO without VMCOREINFO, SYMBOL(swapper_pg_dir), NUMBER(VA_BITS), or with unusable values", () => {
    const open = (info: Record<string, string>) => openDump(bufferSource(writeAarch64Core({ writer: k.w, vmcoreinfo: info })));
    const without = (key: string) => Object.fromEntries(Object.entries(k.info).filter(([name]) => name !== key));
    expect(codeOf(() => open(without("SYMBOL(swapper_pg_dir)")).translator())).toBe("E_NO_VMCOREINFO");
    expect(codeOf(() => open(without("NUMBER(VA_BITS)")).translator())).toBe("E_NO_VMCOREINFO");
    expect(codeOf(() => open({ ...k.info, PAGESIZE: "8192" }).translator())).toBe("E_NO_VMCOREINFO");
    expect(codeOf(() => open({ ...k.info, "NUMBER(VA_BITS)": "60" }).translator())).toBe("E_NO_VMCOREINFO");
    expect(codeOf(() => open({ ...k.info, "NUMBER(TCR_EL1_T1SZ)": "60" }).translator())).toBe("E_NO_VMCOREINFO");
    expect(codeOf(() => open(without("NUMBER(kimage_voffset)")).translator())).toBe("E_NO_VMCOREINFO");
  });
});

describe("aarch64: random mappings translate as the model says", () => {
  it("pages and blocks at random places, every granule", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...GEOMETRIES),
        fc.uniqueArray(fc.record({ slot: fc.integer({ min: 0, max: 4095 }), frame: fc.integer({ min: 1, max: 0x7fffffff }), block: fc.boolean() }), { minLength: 1, maxLength: 24, selector: (m) => m.slot }),
        fc.array(fc.integer({ min: 0, max: 4095 }), { maxLength: 8 }),
        (g, mappings, probes) => {
          const page = BigInt(g.pageSize);
          const blockShift = Math.min(...g.blockShifts);
          const base = neg(g.vaBits) + (1n << BigInt(g.vaBits - 2)); // inside the kernel half
          const imagePa = 0x40000000n;
          const w = new TableWriter(g, imagePa);
          const model = new Map<number, { pa: bigint; size: bigint }>();
          // Slots are 2^blockShift apart so pages and blocks never share a slot; all stay below 2^64.
          const slots = Number((3n << BigInt(g.vaBits - 2)) >> BigInt(blockShift));
          mappings = mappings.map((m) => ({ ...m, slot: m.slot % slots })).filter((m, i, all) => all.findIndex((o) => o.slot === m.slot) === i);
          probes = probes.map((slot) => slot % slots);
          for (const m of mappings) {
            const va = base + (BigInt(m.slot) << BigInt(blockShift));
            const size = m.block ? 1n << BigInt(blockShift) : page;
            const pa = (BigInt(m.frame) << BigInt(blockShift)) & (g.pa === "48" ? (1n << 48n) - 1n : (1n << 52n) - 1n) & ~(size - 1n);
            w.map(va, pa, size, m.block ? blockShift : undefined);
            model.set(m.slot, { pa, size });
          }
          const t = new Aarch64Translator({ readU64: w.readU64, pageSize: g.pageSize, vaBits: g.vaBits, swapperPgDir: 0xffffffffc0000000n, kimageVoffset: 0xffffffffc0000000n - imagePa, physOffset: 0n, maxPhysmemBits: 52, fastPaths: false, flipped: true, pageOffset: neg(g.vaBits) });
          for (const m of mappings) {
            const want = model.get(m.slot)!;
            const va = base + (BigInt(m.slot) << BigInt(blockShift));
            const off = (BigInt(m.frame) * 2654435761n) % want.size;
            expect(t.translate(va + off)).toBe(want.pa + off);
          }
          for (const slot of probes) {
            const va = base + (BigInt(slot) << BigInt(blockShift)) + page; // past the first page of the slot
            const want = model.get(slot);
            if (want === undefined || want.size === page) expect(codeOf(() => t.translate(va))).toBe("E_NO_TRANSLATION");
            else expect(t.translate(va)).toBe(want.pa + page);
          }
        },
      ),
      { seed: 0x5eed_a64, numRuns: 60 },
    );
  });
});

// VmcoreError is the only thing these tests expect to be thrown (codeOf rethrows anything else).
void VmcoreError;
