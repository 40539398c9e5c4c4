// The page decompressors on their own: round trips against independent encoders (snappyjs; the zlib
// of node; the zstd command in diskdump-makedumpfile.test.ts; makedumpfile's own lzo there too),
// hand-made LZO1X streams, and hostile input → an Error, never a hang or a write past the page.
import { deflateSync } from "node:zlib";
import fc from "fast-check";
import snappy from "snappyjs";
import { describe, expect, it } from "vitest";
import { DEFAULT_DECOMPRESSORS } from "@kdumpkit/vmcore";

const { zlib, lzo, snappy: snappyPage, zstd } = DEFAULT_DECOMPRESSORS;

function fails(fn: () => void): boolean {
  try {
    fn();
    return false;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return true;
  }
}

describe("page decompressors", () => {
  it("snappy: pages encoded by snappyjs decode to the same bytes (fast-check, seeded)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 4096 }), fc.nat(255), (head, fill) => {
        // Pages are repetitive: a random head then a constant run exercises literals and copies.
        const page = new Uint8Array(4096).fill(fill);
        page.set(head);
        const out = new Uint8Array(4096);
        snappyPage(new Uint8Array(snappy.compress(page)), out);
        expect(Buffer.compare(out, page)).toBe(0);
      }),
      { seed: 0x5a, numRuns: 150 },
    );
  });

  it("snappy: a wrong length preamble, a copy before the start, a cut stream are refused", () => {
    const page = new Uint8Array(4096).fill(7);
    const good = new Uint8Array(snappy.compress(page));
    expect(fails(() => snappyPage(good, new Uint8Array(4095)))).toBe(true);
    expect(fails(() => snappyPage(good.subarray(0, good.length - 1), new Uint8Array(4096)))).toBe(true);
    // preamble 4096 (0x80 0x20), then a 1-byte-offset copy with offset 5 and nothing written yet.
    expect(fails(() => snappyPage(Uint8Array.of(0x80, 0x20, 0x01, 0x05), new Uint8Array(4096)))).toBe(true);
    expect(fails(() => snappyPage(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff), new Uint8Array(4096)))).toBe(true);
  });

  it("lzo: hand-made LZO1X streams (literal run, M2/M3 matches, end marker)", () => {
    // 17 + 4 = 21: a first literal run of 4 bytes "abcd"; then M3 (t=32|len) copying 12 bytes from
    // distance 4, then the end marker 0x11 0x00 0x00.
    const out = new Uint8Array(16);
    lzo(Uint8Array.of(21, 0x61, 0x62, 0x63, 0x64, 32 | 10, (4 - 1) << 2, 0, 0x11, 0, 0), out);
    expect(new TextDecoder().decode(out)).toBe("abcdabcdabcdabcd");
    // M2 (t ≥ 64): length (t >> 5) + 1 = 3, distance 1 + ((t >> 2) & 7) + (next << 3) = 1 → "aaaa".
    const out2 = new Uint8Array(4);
    lzo(Uint8Array.of(18, 0x61, 64, 0, 0x11, 0, 0), out2);
    expect(new TextDecoder().decode(out2)).toBe("aaaa");
  });

  it("lzo: short output, unconsumed input, a match before the start, random bytes are refused without hanging", () => {
    const stream = Uint8Array.of(21, 0x61, 0x62, 0x63, 0x64, 32 | 10, (4 - 1) << 2, 0, 0x11, 0, 0);
    expect(fails(() => lzo(stream, new Uint8Array(17)))).toBe(true);
    expect(fails(() => lzo(stream, new Uint8Array(15)))).toBe(true);
    expect(fails(() => lzo(Uint8Array.of(...stream, 0), new Uint8Array(16)))).toBe(true);
    expect(fails(() => lzo(Uint8Array.of(21, 0x61, 0x62, 0x63, 0x64, 32 | 10, 40 << 2, 0, 0x11, 0, 0), new Uint8Array(16)))).toBe(true);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const out = new Uint8Array(4096);
        try {
          lzo(bytes, out);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
        }
      }),
      { seed: 0x1a0, numRuns: 300 },
    );
  });

  it("zlib: a stream that inflates to more or less than a page is refused", () => {
    const page = new Uint8Array(4096).fill(3);
    const out = new Uint8Array(4096);
    zlib(deflateSync(page), out);
    expect(Buffer.compare(out, page)).toBe(0);
    expect(fails(() => zlib(deflateSync(new Uint8Array(8192)), new Uint8Array(4096)))).toBe(true);
    expect(fails(() => zlib(deflateSync(new Uint8Array(100)), new Uint8Array(4096)))).toBe(true);
  });

  it("zstd: frames without a content size, with another content size, or not zstd at all are refused before decoding", () => {
    expect(fails(() => zstd(Uint8Array.of(1, 2, 3, 4, 5, 6, 7), new Uint8Array(4096)))).toBe(true);
    // Magic, FHD = 0 (no single segment, no FCS), window descriptor: refused for lacking a content size.
    expect(fails(() => zstd(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00, 0x01, 0x00, 0x00), new Uint8Array(4096)))).toBe(true);
    // Window 2^40 declared: refused without allocating it.
    expect(fails(() => zstd(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0x80, 30 << 3, 0x00, 0x10, 0, 0, 0, 0), new Uint8Array(4096)))).toBe(true);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        // Single segment, 2-byte FCS = 4096 - 256, then random block bytes.
        const frame = Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0x60, 0x00, 0x0f, ...tail);
        const out = new Uint8Array(4096);
        try {
          zstd(frame, out);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
        }
      }),
      { seed: 0x2d, numRuns: 200 },
    );
  });
});
