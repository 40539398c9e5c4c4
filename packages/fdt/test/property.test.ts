// Property tests: random trees survive write → parse; random or mutated bytes only ever raise FdtError.
import { FdtError, checkFdt, parseFdt, toDts, writeFdt } from "@kdumpkit/fdt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readCorpusBytes } from "../../../test-support/corpus.js";
import { plain, tree } from "./arbitraries.js";

const seed = 20241121;

function onlyFdtErrors(bytes: Uint8Array): void {
  try {
    const fdt = parseFdt(bytes);
    checkFdt(bytes);
    toDts(fdt);
    writeFdt(fdt);
  } catch (error) {
    if (!(error instanceof FdtError)) throw error;
    expect(error.code).toMatch(/^FDT_ERR_/);
  }
}

describe("property: trees", () => {
  it("random trees → writeFdt → parseFdt gives the same tree", () => {
    fc.assert(
      fc.property(tree, (fdt) => {
        const bytes = writeFdt(fdt);
        checkFdt(bytes);
        expect(plain(parseFdt(bytes))).toEqual(plain(fdt));
      }),
      { seed, numRuns: 150 },
    );
  });

  it("write(parse(write(t))) is byte-identical to write(t)", () => {
    fc.assert(
      fc.property(tree, (fdt) => {
        const a = writeFdt(fdt);
        expect(Buffer.compare(Buffer.from(writeFdt(parseFdt(a))), Buffer.from(a))).toBe(0);
        expect(Buffer.compare(Buffer.from(writeFdt(parseFdt(a), { stringTable: "preserve" })), Buffer.from(a))).toBe(0);
      }),
      { seed, numRuns: 100 },
    );
  });
});

describe("property: hostile bytes", () => {
  it("random bytes raise only FdtError", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => onlyFdtErrors(b)), { seed, numRuns: 300 });
  });

  it("random bytes behind a valid magic raise only FdtError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 40, maxLength: 300 }), (b) => {
        b.set([0xd0, 0x0d, 0xfe, 0xed]);
        onlyFdtErrors(b);
      }),
      { seed, numRuns: 300 },
    );
  });

  it("mutations of a real blob raise only FdtError", () => {
    const base = readCorpusBytes("fdt/qemu/pseries-smp1.dtb");
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(base.length), { nil: undefined }),
        (edits, cut) => {
          const b = base.slice(0, cut ?? base.length);
          for (const [i, v] of edits) if (i < b.length) b[i] = v;
          onlyFdtErrors(b);
        },
      ),
      { seed, numRuns: 300 },
    );
  });
});
