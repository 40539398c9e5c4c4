// Malformed kdump-compressed files: a real makedumpfile output with one field broken at a time,
// each asserting the exact error code; then seeded random mutations → typed errors only, no hang.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, expect, it } from "vitest";
import { type Dump, VmcoreError, bufferSource, openDump, openKdumpCompressed, readCString } from "@kdumpkit/vmcore";
import { describeWithPeers, peers } from "../../../test-support/peers.js";
import { type KdumpLayout, kdumpLayout } from "./support/kdump-recompress.js";
import { makedumpfileOutput } from "./support/makedumpfile-outputs.js";
import { codeOf } from "./support/error-code.js";

describeWithPeers("malformed kdump-compressed files", [peers.makedumpfile], () => {
  let zlib: Uint8Array;
  let lzo: Uint8Array;
  let layout: KdumpLayout;
  let lzoLayout: KdumpLayout;
  /** pfns of the first dumped pages with their descriptor index. */
  let dumpedAddress: bigint;

  beforeAll(async () => {
    zlib = new Uint8Array(readFileSync(await makedumpfileOutput("zlib")));
    lzo = new Uint8Array(readFileSync(await makedumpfileOutput("lzo")));
    layout = kdumpLayout(zlib);
    lzoLayout = kdumpLayout(lzo);
    // The page of descriptor 0 is the first set bit of the 2nd bitmap.
    const bm2 = layout.bitmapOffset + layout.bitmapBytes / 2;
    let pfn = 0;
    while (((zlib[bm2 + (pfn >> 3)]! >> (pfn & 7)) & 1) === 0) pfn++;
    dumpedAddress = BigInt(pfn * layout.blockSize);
  }, 60_000);

  const mutate = (base: Uint8Array, edit: (v: DataView, b: Uint8Array) => void): Uint8Array => {
    const b = base.slice();
    edit(new DataView(b.buffer), b);
    return b;
  };
  /** Edits descriptor `index` (offset, size, flags) of a copy of `base`. */
  const withDesc = (base: Uint8Array, lay: KdumpLayout, index: number, desc: { offset?: bigint; size?: number; flags?: number }): Uint8Array =>
    mutate(base, (v) => {
      const at = lay.descOffset + index * 24;
      if (desc.offset !== undefined) v.setBigInt64(at, desc.offset, true);
      if (desc.size !== undefined) v.setUint32(at + 8, desc.size, true);
      if (desc.flags !== undefined) v.setUint32(at + 12, desc.flags, true);
    });
  const descOf = (base: Uint8Array, lay: KdumpLayout, index: number) => {
    const v = new DataView(base.buffer, base.byteOffset);
    const at = lay.descOffset + index * 24;
    return { offset: v.getBigInt64(at, true), size: v.getUint32(at + 8, true), flags: v.getUint32(at + 12, true) };
  };
  const open = (bytes: Uint8Array): Dump => openDump(bufferSource(bytes, "mutated"));
  const readFirst = (bytes: Uint8Array, options = {}): string | undefined =>
    codeOf(() => openKdumpCompressed(bufferSource(bytes), options).readPhysical(dumpedAddress, 4096));

  it("the unmutated file reads (so every failure below comes from its mutation)", () => {
    expect(readFirst(zlib)).toBe("no error");
    expect(codeOf(() => openKdumpCompressed(bufferSource(lzo)).readPhysical(dumpedAddress, 4096))).toBe("no error");
    expect(descOf(zlib, layout, 0).flags).toBe(1);
  });

  it("E_TRUNCATED: header cut short, sub header or bitmaps past the end", () => {
    expect(codeOf(() => open(zlib.subarray(0, 300)))).toBe("E_TRUNCATED");
    expect(codeOf(() => open(zlib.subarray(0, layout.blockSize + 50)))).toBe("E_TRUNCATED");
    expect(codeOf(() => open(zlib.subarray(0, layout.bitmapOffset + 100)))).toBe("E_TRUNCATED");
  });

  it("E_NOT_A_DUMP: signature, header_version, block_size, sub_hdr_size", () => {
    expect(codeOf(() => open(mutate(zlib, (_, b) => (b[0] = 0x4a))))).toBe("E_NOT_A_DUMP");
    expect(codeOf(() => openKdumpCompressed(bufferSource(mutate(zlib, (_, b) => (b[1] = 0x4a)))))).toBe("E_NOT_A_DUMP");
    expect(codeOf(() => open(mutate(zlib, (v) => v.setInt32(8, 0, true))))).toBe("E_NOT_A_DUMP");
    expect(codeOf(() => open(mutate(zlib, (v) => v.setInt32(428, 3000, true))))).toBe("E_NOT_A_DUMP");
    expect(codeOf(() => open(mutate(zlib, (v) => v.setInt32(428, 1 << 21, true))))).toBe("E_NOT_A_DUMP");
    expect(codeOf(() => open(mutate(zlib, (v) => v.setInt32(432, -1, true))))).toBe("E_NOT_A_DUMP");
  });

  it("E_NOT_A_DUMP: bad bitmap size (odd, zero, or too small for max_mapnr)", () => {
    for (const blocks of [0, 13, 2]) {
      let error: unknown;
      try {
        open(mutate(zlib, (v) => v.setUint32(436, blocks, true)));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(VmcoreError);
      expect((error as VmcoreError).code).toBe("E_NOT_A_DUMP");
      expect((error as VmcoreError).message).toMatch(/bad bitmap size/);
      expect((error as VmcoreError).offset).toBe(436);
    }
    // max_mapnr_64 (header_version 6) larger than the bitmaps hold.
    expect(codeOf(() => open(mutate(zlib, (v) => v.setBigUint64(layout.blockSize + 96, 1n << 40n, true))))).toBe("E_NOT_A_DUMP");
  });

  it("E_LIMIT: bitmaps larger than maxBitmapBytes", () => {
    expect(codeOf(() => openKdumpCompressed(bufferSource(zlib), { maxBitmapBytes: 1024 }))).toBe("E_LIMIT");
    expect(codeOf(() => openKdumpCompressed(bufferSource(zlib), { limits: { maxNoteBytes: 100 } }))).toBe("E_LIMIT");
  });

  it("E_BAD_PAGE: a descriptor pointing outside the file or into the headers, naming the address and the descriptor", () => {
    const past = withDesc(zlib, layout, 0, { offset: BigInt(zlib.length - 10) });
    let error: VmcoreError | undefined;
    try {
      openKdumpCompressed(bufferSource(past)).readPhysical(dumpedAddress + 16n, 8);
    } catch (e) {
      error = e as VmcoreError;
    }
    expect(error?.code).toBe("E_BAD_PAGE");
    expect(error?.address).toBe(dumpedAddress + 16n);
    expect(error?.offset).toBe(layout.descOffset);
    expect(readFirst(withDesc(zlib, layout, 0, { offset: 1n << 60n }))).toBe("E_BAD_PAGE");
    expect(readFirst(withDesc(zlib, layout, 0, { offset: -5n }))).toBe("E_BAD_PAGE");
    expect(readFirst(withDesc(zlib, layout, 0, { offset: 0n }))).toBe("E_BAD_PAGE");
    expect(readFirst(withDesc(zlib, layout, 0, { offset: BigInt(layout.bitmapOffset) }))).toBe("E_BAD_PAGE");
  });

  it("E_BAD_PAGE: compressed size larger than block_size, zero size, raw page of the wrong size, several compression flags", () => {
    expect(readFirst(withDesc(zlib, layout, 0, { size: layout.blockSize + 1 }))).toBe("E_BAD_PAGE");
    expect(readFirst(withDesc(zlib, layout, 0, { size: 0 }))).toBe("E_BAD_PAGE");
    expect(readFirst(withDesc(zlib, layout, 0, { flags: 0 }))).toBe("E_BAD_PAGE");
    expect(readFirst(withDesc(zlib, layout, 0, { flags: 0x3 }))).toBe("E_BAD_PAGE");
  });

  it("E_BAD_PAGE: zlib and lzo data that do not decompress to one page", () => {
    const d = descOf(zlib, layout, 0);
    const corrupt = mutate(zlib, (_, b) => {
      for (let i = 4; i < d.size; i++) b[Number(d.offset) + i]! ^= 0x5a;
    });
    expect(readFirst(corrupt)).toBe("E_BAD_PAGE");
    // A shorter size cuts the stream.
    expect(readFirst(withDesc(zlib, layout, 0, { size: d.size - 3 }))).toBe("E_BAD_PAGE");
    const l = descOf(lzo, lzoLayout, 0);
    expect(l.flags).toBe(2);
    const cut = withDesc(lzo, lzoLayout, 0, { size: l.size - 3 });
    expect(codeOf(() => openKdumpCompressed(bufferSource(cut)).readPhysical(dumpedAddress, 4096))).toBe("E_BAD_PAGE");
    // lzo data handed to the zlib decoder.
    expect(codeOf(() => openKdumpCompressed(bufferSource(withDesc(lzo, lzoLayout, 0, { flags: 1 }))).readPhysical(dumpedAddress, 8))).toBe("E_BAD_PAGE");
    // zlib data claimed to be lzo / snappy / zstd.
    expect(readFirst(withDesc(zlib, layout, 0, { flags: 0x2 }))).toBe("E_BAD_PAGE");
    expect(readFirst(withDesc(zlib, layout, 0, { flags: 0x4 }))).toBe("E_BAD_PAGE");
    expect(readFirst(withDesc(zlib, layout, 0, { flags: 0x20 }))).toBe("E_BAD_PAGE");
  });

  it("E_UNSUPPORTED_COMPRESSION: a compression whose decompressor is disabled, naming it", () => {
    let error: VmcoreError | undefined;
    try {
      openDump(bufferSource(zlib), { decompressors: { zlib: null } }).readPhysical(dumpedAddress, 8);
    } catch (e) {
      error = e as VmcoreError;
    }
    expect(error?.code).toBe("E_UNSUPPORTED_COMPRESSION");
    expect(error?.message).toMatch(/zlib/);
    expect(readFirst(zlib, { decompressors: { lzo: null } })).toBe("no error");
  });

  it("E_NOT_IN_DUMP: beyond max_mapnr, a page lost in an incomplete dump; E_TRUNCATED: descriptor table cut off", () => {
    const dump = open(zlib);
    expect(codeOf(() => dump.readPhysical(1n << 44n, 8))).toBe("E_NOT_IN_DUMP");
    expect(codeOf(() => dump.readPhysical(-8n, 8))).toBe("E_NOT_IN_DUMP");
    expect(codeOf(() => dump.readPhysical(dumpedAddress, -1))).toBe("E_INVALID_ARGUMENT");
    expect(dump.isPhysicalCovered(1n << 44n, 8)).toBe(false);

    // DUMP_DH_COMPRESSED_INCOMPLETE with the tail of descriptors unwritten (zero).
    const incomplete = mutate(zlib, (v) => {
      v.setUint32(424, v.getUint32(424, true) | 0x8, true);
      for (let i = 0; i < 24; i++) v.setUint8(layout.descOffset + i, 0);
    });
    const inc = openKdumpCompressed(bufferSource(incomplete));
    expect(inc.kdump.incomplete).toBe(true);
    expect(inc.problems.some((p) => p.code === "E_TRUNCATED")).toBe(true);
    expect(codeOf(() => inc.readPhysical(dumpedAddress, 8))).toBe("E_NOT_IN_DUMP");
    const incCut = openKdumpCompressed(bufferSource(incomplete.subarray(0, layout.descOffset + 100 * 24)));
    expect(codeOf(() => incCut.readPhysical(inc.readableRanges().at(-1)!.start, 8))).toBe("E_NOT_IN_DUMP");

    // The same cut without the flag: the file was cut short.
    const cut = openKdumpCompressed(bufferSource(zlib.subarray(0, layout.descOffset + 100 * 24)));
    expect(cut.problems.some((p) => p.code === "E_TRUNCATED" && p.severity === "error")).toBe(true);
    expect(codeOf(() => cut.readPhysical(cut.readableRanges().at(-1)!.start, 8))).toBe("E_TRUNCATED");
  });

  it("a split dump file serves only its pfn range, its descriptors counted from start_pfn", () => {
    const dump = open(zlib);
    const ranges = dump.readableRanges();
    const [first, second] = [ranges[0]!, ranges[1]!];
    const bs = BigInt(layout.blockSize);
    // A file of `makedumpfile --split` keeps the whole bitmap but holds only its range's
    // descriptors: build one for the second range by moving its descriptors to the table's start.
    const before = Number((first.end - first.start) / bs);
    const count = Number((second.end - second.start) / bs);
    const split = mutate(zlib, (v, b) => {
      v.setInt32(layout.blockSize + 12, 1, true);
      v.setBigUint64(layout.blockSize + 80, second.start / bs, true);
      v.setBigUint64(layout.blockSize + 88, second.end / bs, true);
      b.copyWithin(layout.descOffset, layout.descOffset + before * 24, layout.descOffset + (before + count) * 24);
    });
    const part = openKdumpCompressed(bufferSource(split));
    expect(part.kdump.dumpedPages).toBe(count);
    expect(part.readableRanges()).toEqual([second]);
    for (let a = second.start; a < second.end; a += bs) {
      expect(Buffer.from(part.readPhysical(a, 4096))).toEqual(Buffer.from(dump.readPhysical(a, 4096)));
    }
    expect(codeOf(() => part.readPhysical(first.start, 8))).toBe("E_NOT_IN_DUMP");
    expect(codeOf(() => part.readPhysical(ranges.at(-1)!.start, 8))).toBe("E_NOT_IN_DUMP");
  });

  it("mutated headers, bitmaps and descriptors → typed errors only, no hang (fast-check, seeded)", () => {
    const hot = layout.dataStart + 4096; // headers, bitmaps, descriptors and the first page data
    const bs = BigInt(layout.blockSize);
    const probe = open(zlib).readableRanges().slice(0, 40).map((r) => r.start);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(hot - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }), fc.boolean(), (edits, cut) => {
        const b = zlib.slice(0, cut ? hot : zlib.length);
        for (const [at, value] of edits) b[at] = value;
        let dump: Dump;
        try {
          dump = openDump(bufferSource(b, "fuzz"));
        } catch (error) {
          expect(error).toBeInstanceOf(VmcoreError);
          return;
        }
        for (const address of probe) {
          try {
            dump.readPhysical(address, Number(bs));
          } catch (error) {
            expect(error).toBeInstanceOf(VmcoreError);
          }
        }
        try {
          const info = dump.vmcoreinfo;
          if (info?.symbols.get("init_uts_ns") !== undefined) readCString(dump, info.symbols.get("init_uts_ns")!, 65, "virtual");
        } catch (error) {
          expect(error).toBeInstanceOf(VmcoreError);
        }
        dump.readableRanges();
      }),
      { seed: 0x6b64, numRuns: 60 },
    );
  });
});
