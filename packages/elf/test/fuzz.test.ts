// Random and mutated bytes given to every reader: only ElfError may come out, never a RangeError,
// a TypeError or a hang.
import { ElfError, EM, PT, encodeNotes, encodePrstatus, parseElfFile, parseElfHeader, parseNotes, parsePrstatus, parseVmcoreinfo, writeElfCore } from "@kdumpkit/elf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readCorpusBytes } from "../../../test-support/corpus.js";

function onlyElfErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ElfError)) throw e;
    expect(typeof e.code).toBe("string");
  }
}

function readAll(bytes: Uint8Array): void {
  onlyElfErrors(() => parseElfHeader(bytes));
  onlyElfErrors(() => parseElfFile(bytes));
  onlyElfErrors(() => parseElfFile(bytes, { outsideNotes: "skip" }));
  onlyElfErrors(() => parseNotes(bytes, true));
  onlyElfErrors(() => parseNotes(bytes, false));
  onlyElfErrors(() => parsePrstatus(bytes, "x86_64"));
  onlyElfErrors(() => parseVmcoreinfo(bytes));
}

const seeds: Uint8Array[] = [
  readCorpusBytes("vmcore/dumpP.elfcorehdr-raw.bin"),
  writeElfCore({
    e_machine: EM.X86_64,
    segments: [
      { p_type: PT.NOTE, data: encodeNotes([{ name: "CORE", type: 1, desc: encodePrstatus({ pr_pid: 1 }, "x86_64") }], true, { terminator: true }) },
      { p_type: PT.LOAD, data: new Uint8Array(64).fill(0xaa), p_vaddr: 0xffff888000000000n },
    ],
  }),
  writeElfCore({ elfClass: 32, littleEndian: false, e_machine: EM.PPC, segments: [{ p_type: PT.NOTE, data: encodeNotes([{ name: "VMCOREINFO", type: 0, desc: new TextEncoder().encode("A=1\n") }], false) }] }),
];

describe("hostile input", () => {
  it("random bytes (with and without an ELF magic)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), (bytes, magic, cls, data) => {
        if (magic && bytes.length >= 7) bytes.set([0x7f, 0x45, 0x4c, 0x46, cls, data, 1]);
        readAll(bytes);
      }),
      { seed: 21, numRuns: 400 },
    );
  });

  it("mutated real and written files (bit flips, truncation, 64-bit fields set to extremes)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.option(fc.nat()),
        fc.option(fc.tuple(fc.nat(), fc.constantFrom(0xffffffffffffffffn, 1n << 53n, 0x7fffffffn, 0xffffn))),
        (which, flips, cut, big) => {
          const b = seeds[which]!.slice();
          for (const [at, v] of flips) b[at % b.length] = v;
          if (big) {
            const at = (big[0] % Math.max(1, b.length - 8)) & ~7;
            new DataView(b.buffer).setBigUint64(at, big[1], true);
          }
          readAll(cut === null ? b : b.subarray(0, cut % (b.length + 1)));
        },
      ),
      { seed: 22, numRuns: 600 },
    );
  });
});
