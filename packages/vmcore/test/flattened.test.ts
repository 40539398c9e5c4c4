// makedumpfile's flattened format (kdump-formats §4.4): hand-built files whose replay is known
// (overlaps: later record wins; never-written bytes: zeros, as after `makedumpfile -R`), every error
// code, and seeded mutations of a real `-F` file → typed errors only.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { VmcoreError, bufferSource, looksLikeFlattened, openDump, openFlattenedSource } from "@kdumpkit/vmcore";
import { describeWithPeers, peers } from "../../../test-support/peers.js";
import { makedumpfileOutput } from "./support/makedumpfile-outputs.js";
import { codeOf } from "./support/error-code.js";

/** A flattened file from records; `end: false` leaves out the -1/-1 end record. */
function flat(records: [number | bigint, Uint8Array | number | bigint][], options: { end?: boolean; type?: bigint } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(4096);
  head.set(new TextEncoder().encode("makedumpfile"));
  const hv = new DataView(head.buffer);
  hv.setBigInt64(16, options.type ?? 1n, false);
  hv.setBigInt64(24, 1n, false);
  parts.push(head);
  const record = (offset: bigint, size: bigint, data?: Uint8Array) => {
    const h = new Uint8Array(16);
    const v = new DataView(h.buffer);
    v.setBigInt64(0, offset, false);
    v.setBigInt64(8, size, false);
    parts.push(h);
    if (data) parts.push(data);
  };
  for (const [offset, data] of records) {
    if (typeof data === "number" || typeof data === "bigint") record(BigInt(offset), BigInt(data));
    else record(BigInt(offset), BigInt(data.length), data);
  }
  if (options.end !== false) record(-1n, -1n);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
const text = (s: string) => new TextEncoder().encode(s);

describe("flattened format", () => {
  it("replays records: later records win where they overlap; bytes no record wrote read as zeros", () => {
    const file = flat([
      [0, text("AAAAAAAA")],
      [2, text("BB")],
      [12, text("CCCC")],
      [6, text("DDDDDDDD")],
    ]);
    expect(looksLikeFlattened(file)).toBe(true);
    const source = openFlattenedSource(bufferSource(file));
    expect(source.size).toBe(16);
    expect(source.recordCount).toBe(4);
    // By hand: AAAAAAAA, then BB at 2, CCCC at 12, DDDDDDDD at 6 (over AA, the hole 8..11, and CC).
    expect(new TextDecoder().decode(source.read(0, 16))).toBe("AABBAADDDDDDDDCC");
    expect(new TextDecoder().decode(source.read(3, 5))).toBe("BAADD");
    const holey = openFlattenedSource(bufferSource(flat([[4, text("XY")], [10, text("Z")]])));
    expect([...holey.read(0, 11)]).toEqual([0, 0, 0, 0, 88, 89, 0, 0, 0, 0, 90]);
    expect(codeOf(() => holey.read(5, 10))).toBe("E_TRUNCATED");
    expect(codeOf(() => holey.read(-1, 1))).toBe("E_INVALID_ARGUMENT");
  });

  it("E_TRUNCATED: shorter than the header block, a record past the end, no end record", () => {
    expect(codeOf(() => openFlattenedSource(bufferSource(flat([]).subarray(0, 4000))))).toBe("E_TRUNCATED");
    const whole = flat([[0, text("0123456789")]]);
    expect(codeOf(() => openFlattenedSource(bufferSource(whole.subarray(0, 4096 + 16 + 5))))).toBe("E_TRUNCATED");
    expect(codeOf(() => openFlattenedSource(bufferSource(flat([[0, text("0123")]], { end: false }))))).toBe("E_TRUNCATED");
    expect(codeOf(() => openDump(bufferSource(flat([[0, text("0123")]], { end: false }))))).toBe("E_TRUNCATED");
  });

  it("E_NOT_A_DUMP: wrong type, negative offset, zero or negative size, and a replay holding no dump", () => {
    expect(codeOf(() => openFlattenedSource(bufferSource(flat([], { type: 2n }))))).toBe("E_NOT_A_DUMP");
    expect(codeOf(() => openFlattenedSource(bufferSource(flat([[-5n, text("xx")]]))))).toBe("E_NOT_A_DUMP");
    expect(codeOf(() => openFlattenedSource(bufferSource(flat([[0, 0]]))))).toBe("E_NOT_A_DUMP");
    expect(codeOf(() => openFlattenedSource(bufferSource(flat([[0, -2]]))))).toBe("E_NOT_A_DUMP");
    expect(codeOf(() => openFlattenedSource(bufferSource(flat([[2n ** 62n, 2n ** 62n]]))))).toBe("E_NOT_A_DUMP");
    expect(codeOf(() => openDump(bufferSource(flat([[0, text("not a dump at all")]]))))).toBe("E_NOT_A_DUMP");
    const noSig = flat([[0, text("x")]]);
    noSig[0] = 0x4e;
    expect(codeOf(() => openFlattenedSource(bufferSource(noSig)))).toBe("E_NOT_A_DUMP");
  });

  it("E_LIMIT: more records than maxFlattenedRecords", () => {
    const file = flat([
      [0, text("a")],
      [1, text("b")],
      [2, text("c")],
    ]);
    expect(codeOf(() => openFlattenedSource(bufferSource(file), { maxFlattenedRecords: 2 }))).toBe("E_LIMIT");
    expect(codeOf(() => openFlattenedSource(bufferSource(file), { maxFlattenedRecords: 3 }))).toBe("no error");
  });

  it("random record sets replay like writing them in order into a zeroed file (fast-check, seeded)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(300), fc.uint8Array({ minLength: 1, maxLength: 64 })), { minLength: 1, maxLength: 30 }), (records) => {
        const size = Math.max(...records.map(([o, d]) => o + d.length));
        const expected = new Uint8Array(size);
        for (const [o, d] of records) expected.set(d, o);
        const source = openFlattenedSource(bufferSource(flat(records)));
        expect(source.size).toBe(size);
        expect([...source.read(0, size)]).toEqual([...expected]);
        const a = Math.floor(size / 3);
        expect([...source.read(a, size - a)]).toEqual([...expected.subarray(a)]);
      }),
      { seed: 0x666c, numRuns: 100 },
    );
  });
});

describeWithPeers("mutated real flattened files", [peers.makedumpfile], () => {
  let real: Uint8Array;
  beforeAll(async () => {
    real = new Uint8Array(readFileSync(await makedumpfileOutput("flat-zlib")));
  }, 60_000);

  it("mutations of record headers and data → typed errors only, no hang (fast-check, seeded)", () => {
    // Record headers sit at the start of the file and after each record: mutate the first 64 KiB
    // (header block, the first records) and some random places anywhere.
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(65535), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(real.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (near, far) => {
          const b = real.slice();
          for (const [at, v] of [...near, ...far]) b[at] = v;
          try {
            const dump = openDump(bufferSource(b, "fuzz"));
            for (const r of dump.readableRanges().slice(0, 20)) {
              try {
                dump.readPhysical(r.start, 4096);
              } catch (error) {
                expect(error).toBeInstanceOf(VmcoreError);
              }
            }
          } catch (error) {
            expect(error).toBeInstanceOf(VmcoreError);
          }
        },
      ),
      { seed: 0x46, numRuns: 30 },
    );
  });
});
