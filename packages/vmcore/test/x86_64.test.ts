// The x86_64 page walk on synthetic page tables: 4 and 5 levels, 1 GiB / 2 MiB / 4 KiB pages,
// the PAT bit of large pages, not-present entries, canonical checks, fast paths.
import { describe, expect, it } from "vitest";
import { PT } from "@kdumpkit/elf";
import { X86_64Translator, bufferSource, openDump } from "@kdumpkit/vmcore";
import { testNote, writeTestCore } from "./support/elf-writer.js";

const P = 1n; // present
const RW = 2n;
const PSE = 1n << 7n;
const PAT_LARGE = 1n << 12n; // PAT bit of a 2 MiB / 1 GiB entry: must not end up in the address

/** Physical memory as a sparse map of 8-byte entries. */
function memory() {
  const words = new Map<bigint, bigint>();
  return {
    set: (table: bigint, index: bigint, value: bigint) => words.set(table + index * 8n, value),
    readU64: (pa: bigint) => words.get(pa) ?? 0n,
  };
}

function idx(va: bigint, shift: bigint): bigint {
  return (va >> shift) & 511n;
}

describe("X86_64Translator on synthetic tables", () => {
  for (const fiveLevel of [false, true]) {
    it(`${fiveLevel ? 5 : 4}-level: 4 KiB, 2 MiB (PAT set) and 1 GiB pages`, () => {
      const mem = memory();
      const physBase = 0x1000000n;
      const topVa = 0xffffffff82000000n; // init_top_pgt in the kernel image
      const top = topVa - 0xffffffff80000000n + physBase; // 0x3000000
      const [l4, l3, l2, l1] = [0x100000n, 0x101000n, 0x102000n, 0x103000n];
      const va4k = fiveLevel ? 0xff11000000403000n : 0xffff888000403000n;
      const va2m = fiveLevel ? 0xff11000000600000n : 0xffff888000600000n;
      const va1g = fiveLevel ? 0xff11000040000000n : 0xffff888040000000n;
      let table = top;
      if (fiveLevel) {
        mem.set(top, idx(va4k, 48n), l4 | P | RW);
        table = l4;
      }
      mem.set(table, idx(va4k, 39n), l3 | P | RW);
      mem.set(l3, idx(va4k, 30n), l2 | P | RW);
      mem.set(l3, idx(va1g, 30n), 0x80000000n | P | PSE | PAT_LARGE);
      mem.set(l2, idx(va4k, 21n), l1 | P | RW);
      mem.set(l2, idx(va2m, 21n), 0x7e00000n | P | PSE | PAT_LARGE);
      mem.set(l1, idx(va4k, 12n), 0x5555000n | P | (1n << 63n)); // NX bit must be masked off
      const t = new X86_64Translator({ readU64: mem.readU64, topPgt: topVa, physBase, fiveLevel, fastPaths: false });
      expect(t.walk(va4k + 0x123n)).toEqual({ physicalAddress: 0x5555123n, pageSize: 4096, levels: fiveLevel ? 5 : 4 });
      expect(t.walk(va2m + 0x12345n)).toEqual({ physicalAddress: 0x7e12345n, pageSize: 2 << 20, levels: fiveLevel ? 4 : 3 });
      expect(t.walk(va1g + 0x1234567n)).toEqual({ physicalAddress: 0x81234567n, pageSize: 1 << 30, levels: fiveLevel ? 3 : 2 });
      expect(t.translateSpan(va4k + 0x123n)).toEqual({ physicalAddress: 0x5555123n, span: 4096 - 0x123 });
      expect(() => t.walk(va4k + 0x1000n)).toThrow(expect.objectContaining({ code: "E_NO_TRANSLATION" }));
      // Non-canonical for this mode.
      const nonCanonical = fiveLevel ? 0x0100000000000000n : 0x0000800000000000n;
      expect(() => t.walk(nonCanonical)).toThrow(/not a canonical/);
      // The direct-map base is found in the tables (first 1 GiB slot mapped) only when it maps physical 0 — not here.
      expect(t.pageOffset).toBeUndefined();
    });
  }

  it("finds page_offset_base when physical 0 is mapped and uses the linear fast paths", () => {
    const mem = memory();
    const topVa = 0xffffffff82000000n;
    const top = 0x2000000n;
    const base = 0xffff9a0000000000n; // a KASLR-style direct-map base, 1 GiB aligned
    mem.set(top, idx(base, 39n), 0x10000n | P);
    mem.set(0x10000n, idx(base, 30n), 0n | P | PSE);
    const image = { start: 0xffffffff81000000n, end: 0xffffffff82400000n };
    const t = new X86_64Translator({ readU64: mem.readU64, topPgt: topVa, physBase: 0n, kernelImageMapped: image });
    expect(t.pageOffset).toBe(base);
    expect(t.translate(base + 0x1234n)).toBe(0x1234n);
    // Kernel image fast path: __pa_symbol = va - __START_KERNEL_map + phys_base, no table read —
    // only inside the image as mapped; outside it the (empty) page tables decide.
    expect(t.translate(0xffffffff81000010n)).toBe(0x1000010n);
    expect(() => t.translate(image.end)).toThrow(expect.objectContaining({ code: "E_NO_TRANSLATION" }));
    expect(t.describe()).toMatchObject({ levels: 4, page_offset_base: "0xffff9a0000000000" });
  });

  it("strips the SME bit (NUMBER(sme_mask)) from entries", () => {
    const mem = memory();
    const sme = 1n << 47n;
    const top = 0x2000000n;
    const va = 0xffff888000000000n;
    mem.set(top, idx(va, 39n), 0x10000n | sme | P);
    mem.set(0x10000n, idx(va, 30n), 0x40000000n | sme | P | PSE);
    const t = new X86_64Translator({ readU64: mem.readU64, topPgt: 0xffffffff82000000n, physBase: 0n, smeMask: sme, fastPaths: false });
    expect(t.walk(va + 5n).physicalAddress).toBe(0x40000005n);
  });

  for (const fiveLevel of [false, true]) {
    it(`${fiveLevel ? 5 : 4}-level: PS set in a PML${fiveLevel ? "5E/PML4E" : "4E"} is reserved: E_NO_TRANSLATION, not a 512 GiB page`, () => {
      const mem = memory();
      const top = 0x2000000n;
      const va = fiveLevel ? 0xff11000000000000n : 0xffff888000000000n;
      const t = new X86_64Translator({ readU64: mem.readU64, topPgt: 0xffffffff82000000n, physBase: 0n, fiveLevel, fastPaths: false });
      mem.set(top, idx(va, fiveLevel ? 48n : 39n), 0x10000n | P | PSE);
      expect(() => t.walk(va)).toThrow(expect.objectContaining({ code: "E_NO_TRANSLATION", message: expect.stringMatching(/reserved PS bit/) }));
      if (fiveLevel) {
        // PS in the PML4E under a good PML5E: refused as well.
        mem.set(top, idx(va, 48n), 0x10000n | P);
        mem.set(0x10000n, idx(va, 39n), 0x20000n | P | PSE);
        expect(() => t.walk(va)).toThrow(expect.objectContaining({ code: "E_NO_TRANSLATION", message: expect.stringMatching(/level-4 entry .* reserved PS bit/) }));
      }
      // Such a slot is not taken for the direct-map base either.
      expect(t.pageOffset).toBeUndefined();
    });
  }

  it("refuses an init_top_pgt outside the kernel image", () => {
    expect(() => new X86_64Translator({ readU64: () => 0n, topPgt: 0xffff888000000000n, physBase: 0n })).toThrow(expect.objectContaining({ code: "E_NO_TRANSLATION" }));
  });
});

describe("virtual reads on a dump with synthetic tables", () => {
  it("a read spanning a 4 KiB page into a 2 MiB page takes each page's frame", () => {
    // va .. va + 2 MiB is 512 4 KiB pages (PMD 0 → table); va + 2 MiB is one 2 MiB page (PMD 1, PS).
    const ram = new Uint8Array(0x600000);
    const v = new DataView(ram.buffer);
    const va = 0xffffc90000000000n;
    const put = (table: number, index: bigint, value: bigint) => v.setBigUint64(table + Number(index) * 8, value, true);
    put(0x1000, idx(va, 39n), 0x2000n | P);
    put(0x2000, idx(va, 30n), 0x3000n | P);
    put(0x3000, 0n, 0x4000n | P);
    put(0x3000, 1n, 0x400000n | P | PSE | PAT_LARGE); // 2 MiB frame at 4 MiB, PAT bit set
    put(0x4000, 511n, 0x10000n | P); // last 4 KiB page of PMD 0 → 0x10000
    ram.fill(0xcc, 0x10000, 0x11000);
    for (let i = 0; i < 0x200000; i++) ram[0x400000 + i] = i & 0xff;
    const info = new TextEncoder().encode("OSRELEASE=t\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffff80001000\nNUMBER(phys_base)=0\n");
    const dump = openDump(bufferSource(writeTestCore({ phdrs: [{ p_type: PT.NOTE, data: testNote("VMCOREINFO", 0, info) }, { p_type: PT.LOAD, p_paddr: 0n, data: ram }] })));
    const boundary = va + 0x200000n;
    const got = dump.readVirtual(boundary - 3n, 3 + 0x2000);
    expect(Array.from(got.subarray(0, 3))).toEqual([0xcc, 0xcc, 0xcc]);
    expect(Buffer.from(got.subarray(3)).equals(Buffer.from(ram.subarray(0x400000, 0x402000)))).toBe(true);
    expect(dump.translator().walk(boundary + 0x1234n)).toEqual({ physicalAddress: 0x401234n, pageSize: 2 << 20, levels: 3 });
    // The 2 MiB page ends at va + 4 MiB; PMD 2 is not present.
    expect(() => dump.readVirtual(boundary + 0x200000n - 1n, 2)).toThrow(expect.objectContaining({ code: "E_NO_TRANSLATION" }));
  });

  it("cross page boundaries, map to different frames, and name the first unreadable virtual address", () => {
    // Tables in physical 0x0..0x4000, data pages at 0x10000 and 0x30000 (0x20000 is a hole).
    const memSize = 0x40000;
    const ram = new Uint8Array(memSize);
    const v = new DataView(ram.buffer);
    const va = 0xffffc90000000000n; // vmalloc-like: no fast path applies
    const put = (table: number, index: bigint, value: bigint) => v.setBigUint64(table + Number(index) * 8, value, true);
    put(0x1000, idx(va, 39n), 0x2000n | P);
    put(0x2000, idx(va, 30n), 0x3000n | P);
    put(0x3000, idx(va, 21n), 0x4000n | P);
    put(0x4000, 0n, 0x30000n | P); // first page → 0x30000
    put(0x4000, 1n, 0x10000n | P); // second page → 0x10000
    put(0x4000, 2n, 0x20000n | P); // third page → 0x20000, not in the dump
    ram.fill(0xaa, 0x30000, 0x31000);
    ram.fill(0xbb, 0x10000, 0x11000);
    const info = new TextEncoder().encode("OSRELEASE=t\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffff80001000\nNUMBER(phys_base)=0\n");
    const bytes = writeTestCore({
      phdrs: [
        { p_type: PT.NOTE, data: testNote("VMCOREINFO", 0, info) },
        { p_type: PT.LOAD, p_paddr: 0n, data: ram.subarray(0, 0x20000) },
        { p_type: PT.LOAD, p_paddr: 0x30000n, data: ram.subarray(0x30000) },
      ],
    });
    const dump = openDump(bufferSource(bytes));
    expect(Array.from(dump.readVirtual(va + 0xffen, 4))).toEqual([0xaa, 0xaa, 0xbb, 0xbb]);
    expect(() => dump.readVirtual(va + 0x1ff0n, 0x20)).toThrow(expect.objectContaining({ code: "E_NOT_IN_DUMP", address: va + 0x2000n }));
    expect(() => dump.readVirtual(va + 0x3000n, 1)).toThrow(expect.objectContaining({ code: "E_NO_TRANSLATION" }));
  });
});
