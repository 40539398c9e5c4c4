// Property tests of the physical index: random PT_LOAD layouts against a byte-level model.
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { PT } from "@kdumpkit/elf";
import { VmcoreError, bufferSource, openDump } from "@kdumpkit/vmcore";
import { writeTestCore } from "./support/elf-writer.js";

fc.configureGlobal({ seed: 0x4b44554d, numRuns: 60 });

interface Seg {
  paddr: number;
  memsz: number;
  filesz: number;
  fill: number;
}

/** Segments laid out from gaps and sizes: never overlapping, ascending. */
const disjointLayout = fc
  .array(fc.record({ gap: fc.integer({ min: 0, max: 300 }), memsz: fc.integer({ min: 1, max: 400 }), cut: fc.integer({ min: 0, max: 100 }), fill: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 8 })
  .map((parts) => {
    let at = 0;
    return parts.map((p) => {
      const seg = { paddr: at + p.gap, memsz: p.memsz, filesz: Math.max(0, p.memsz - p.cut), fill: p.fill };
      at = seg.paddr + seg.memsz;
      return seg;
    });
  });

function build(segs: Seg[], order: number[]) {
  return writeTestCore({
    phdrs: order.map((i) => {
      const s = segs[i]!;
      return { p_type: PT.LOAD, p_paddr: BigInt(s.paddr), p_memsz: BigInt(s.memsz), p_filesz: BigInt(s.filesz), data: Uint8Array.from({ length: s.filesz }, (_, k) => (s.fill + k) & 0xff) };
    }),
  });
}

/** The model: byte value at a physical address, undefined when no segment covers it. */
function modelByte(segs: Seg[], a: number): number | undefined {
  for (const s of segs) {
    if (a >= s.paddr && a < s.paddr + s.memsz) return a - s.paddr < s.filesz ? (s.fill + (a - s.paddr)) & 0xff : 0;
  }
  return undefined;
}

describe("physical reads over random disjoint layouts", () => {
  test.prop([disjointLayout, fc.array(fc.tuple(fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 0, max: 600 })), { minLength: 1, maxLength: 20 }), fc.boolean()])(
    "a read succeeds exactly when every byte is covered, returns the model's bytes, and names the first uncovered address",
    (segs, reads, reverse) => {
      const order = segs.map((_, i) => i);
      if (reverse) order.reverse(); // phdr order must not matter
      const dump = openDump(bufferSource(build(segs, order)));
      expect(dump.problems).toEqual([]);
      for (const [address, length] of reads) {
        const expected: number[] = [];
        let firstHole: number | undefined;
        for (let a = address; a < address + length; a++) {
          const b = modelByte(segs, a);
          if (b === undefined) {
            firstHole = a;
            break;
          }
          expected.push(b);
        }
        expect(dump.isPhysicalCovered(BigInt(address), length)).toBe(firstHole === undefined);
        if (firstHole === undefined) {
          expect(Array.from(dump.readPhysical(BigInt(address), length))).toEqual(expected);
        } else {
          let error: unknown;
          try {
            dump.readPhysical(BigInt(address), length);
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(VmcoreError);
          expect((error as VmcoreError).code).toBe("E_NOT_IN_DUMP");
          expect((error as VmcoreError).address).toBe(BigInt(firstHole));
        }
      }
    },
  );

  test.prop([disjointLayout])("readableRanges is the merged union of the segments; pages cover it exactly", (segs) => {
    const dump = openDump(bufferSource(build(segs, segs.map((_, i) => i))));
    const merged: { start: bigint; end: bigint }[] = [];
    for (const s of segs) {
      const last = merged[merged.length - 1];
      if (last && last.end === BigInt(s.paddr)) last.end = BigInt(s.paddr + s.memsz);
      else merged.push({ start: BigInt(s.paddr), end: BigInt(s.paddr + s.memsz) });
    }
    expect(dump.readableRanges()).toEqual(merged);
    const total = [...dump.pages()].reduce((n, p) => n + p.length, 0);
    expect(total).toBe(segs.reduce((n, s) => n + s.memsz, 0));
  });
});

describe("overlapping layouts", () => {
  const anyLayout = fc.array(
    fc.record({ paddr: fc.integer({ min: 0, max: 2000 }), memsz: fc.integer({ min: 1, max: 600 }), cut: fc.constant(0), fill: fc.integer({ min: 0, max: 255 }) }).map((s) => ({ paddr: s.paddr, memsz: s.memsz, filesz: s.memsz, fill: s.fill })),
    { minLength: 1, maxLength: 6 },
  );
  test.prop([anyLayout, fc.array(fc.tuple(fc.integer({ min: 0, max: 2700 }), fc.integer({ min: 1, max: 300 })), { maxLength: 15 })])(
    "reads never succeed outside every segment; successful bytes come from a segment covering them; only typed errors",
    (segs, reads) => {
      const dump = openDump(bufferSource(build(segs, segs.map((_, i) => i))));
      for (const [address, length] of reads) {
        let bytes: Uint8Array | undefined;
        try {
          bytes = dump.readPhysical(BigInt(address), length);
        } catch (e) {
          expect(e).toBeInstanceOf(VmcoreError);
          expect(["E_NOT_IN_DUMP", "E_OVERLAP"]).toContain((e as VmcoreError).code);
          continue;
        }
        bytes.forEach((b, k) => {
          const a = address + k;
          const candidates = segs.filter((s) => a >= s.paddr && a < s.paddr + s.memsz).map((s) => (s.fill + (a - s.paddr)) & 0xff);
          expect(candidates).toContain(b);
        });
      }
    },
  );

  it("a segment inside another is served by the container (info), a partial overlap refuses both (error)", () => {
    const data = (n: number, v: number) => new Uint8Array(n).fill(v);
    const dump = openDump(
      bufferSource(
        writeTestCore({
          phdrs: [
            { p_type: PT.LOAD, p_paddr: 0x1000n, data: data(0x1000, 1) },
            { p_type: PT.LOAD, p_paddr: 0x1100n, data: data(0x100, 2) }, // inside the first
            { p_type: PT.LOAD, p_paddr: 0x4000n, data: data(0x1000, 3) },
            { p_type: PT.LOAD, p_paddr: 0x4800n, data: data(0x1000, 4) }, // partial overlap
          ],
        }),
      ),
    );
    expect(dump.problems.map((p) => [p.code, p.severity, p.phdrIndex])).toEqual([
      ["E_OVERLAP", "info", 1],
      ["E_OVERLAP", "error", 3],
    ]);
    expect(dump.loads.map((l) => l.readable)).toEqual([true, false, false, false]);
    expect(dump.readPhysical(0x1100n, 4)).toEqual(new Uint8Array(4).fill(1));
    for (const a of [0x4000n, 0x4900n, 0x5700n]) {
      expect(() => dump.readPhysical(a, 1)).toThrow(expect.objectContaining({ code: "E_OVERLAP", address: a }));
    }
    expect(() => dump.readPhysical(0x5800n, 1)).toThrow(expect.objectContaining({ code: "E_NOT_IN_DUMP" }));
    // Segments are named by program-header index with their kind, never "PT_LOAD N".
    expect(dump.problems.map((p) => p.message)).toEqual([
      "phdr 1 (PT_LOAD, paddr 0x1100 + 0x100) lies inside phdr 0 (PT_LOAD, paddr 0x1000 + 0x1000); reads use phdr 0",
      "phdr 2 (PT_LOAD, paddr 0x4000 + 0x1000) and phdr 3 (PT_LOAD, paddr 0x4800 + 0x1000) overlap; reads in both are refused",
    ]);
    expect(() => dump.readPhysical(0x4900n, 1)).toThrow("E_OVERLAP: physical address 0x4900: phdr 2 and phdr 3 (PT_LOADs) overlap; reads refused");
  });

  it("E_BAD_SEGMENT messages name the phdr (a PT_NOTE first makes it differ from the PT_LOAD's rank)", () => {
    const dump = openDump(
      bufferSource(
        writeTestCore({
          phdrs: [
            { p_type: PT.NOTE, data: new Uint8Array(0) },
            { p_type: PT.LOAD, p_paddr: 0x1000n, p_offset: 0x100000n, p_filesz: 0x1000n, p_memsz: 0x1000n },
          ],
        }),
      ),
    );
    expect(dump.problems).toMatchObject([{ code: "E_BAD_SEGMENT", phdrIndex: 1, message: expect.stringMatching(/^phdr 1 \(PT_LOAD, paddr 0x1000 \+ 0x1000\): file range /) }]);
    expect(() => dump.readPhysical(0x1000n, 1)).toThrow(/^E_BAD_SEGMENT: physical address 0x1000: phdr 1 \(PT_LOAD, paddr 0x1000 \+ 0x1000\): file range/);
  });
});
