// Test-side re-encoder: takes a kdump-compressed file written by makedumpfile (zlib) and stores its
// pages with another compression, the way makedumpfile would (compressed only when smaller than a
// page, shared descriptors kept shared). This makedumpfile build has no snappy/zstd support
// (`makedumpfile -v`), so snappy and zstd files are made here, from makedumpfile's own layout, with
// independent encoders (snappyjs, the zstd command). Offsets are parsed here on their own (LP64,
// little-endian), not with the reader under test.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";

/** Layout facts of a kdump-compressed file, parsed test-side. */
export interface KdumpLayout {
  blockSize: number;
  bitmapOffset: number;
  bitmapBytes: number;
  descOffset: number;
  descCount: number;
  dataStart: number;
}

export function kdumpLayout(bytes: Uint8Array): KdumpLayout {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blockSize = v.getInt32(428, true);
  const subHdrSize = v.getInt32(432, true);
  const bitmapBlocks = v.getUint32(436, true);
  const bitmapOffset = (1 + subHdrSize) * blockSize;
  const bitmapBytes = bitmapBlocks * blockSize;
  let descCount = 0;
  for (let i = bitmapOffset + bitmapBytes / 2; i < bitmapOffset + bitmapBytes; i++) {
    let b = bytes[i]!;
    while (b) {
      descCount += b & 1;
      b >>= 1;
    }
  }
  const descOffset = bitmapOffset + bitmapBytes;
  return { blockSize, bitmapOffset, bitmapBytes, descOffset, descCount, dataStart: descOffset + descCount * 24 };
}

/** Encodes many pages at once; `undefined` = keep the page as it was (zlib or raw). */
export type BatchEncoder = (pages: Uint8Array[]) => (Uint8Array | undefined)[];

/**
 * Re-encodes every page of a zlib kdump file with `encode`, setting `flag` (DUMP_DH_COMPRESSED_*) in
 * the header status and in each re-encoded page's descriptor.
 */
export function recompressKdump(bytes: Uint8Array, flag: number, encode: BatchEncoder): Uint8Array {
  const layout = kdumpLayout(bytes);
  const { blockSize, descOffset, descCount, dataStart } = layout;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const byOffset = new Map<bigint, number>();
  const originals: { offset: bigint; size: number; flags: number }[] = [];
  const unique: Uint8Array[] = [];
  for (let i = 0; i < descCount; i++) {
    const at = descOffset + i * 24;
    const offset = v.getBigInt64(at, true);
    const size = v.getUint32(at + 8, true);
    const flags = v.getUint32(at + 12, true);
    originals.push({ offset, size, flags });
    if (byOffset.has(offset)) continue;
    const data = bytes.subarray(Number(offset), Number(offset) + size);
    byOffset.set(offset, unique.length);
    unique.push(flags & 1 ? new Uint8Array(inflateSync(data)) : data.slice());
  }
  const encoded = encode(unique);
  const head = bytes.slice(0, dataStart);
  const hv = new DataView(head.buffer);
  hv.setUint32(424, (hv.getUint32(424, true) & ~0x27) | flag, true);
  const chunks: Uint8Array[] = [];
  let at = dataStart;
  const placed = new Map<number, { offset: number; size: number; flags: number }>();
  originals.forEach((d, i) => {
    const u = byOffset.get(d.offset)!;
    let p = placed.get(u);
    if (!p) {
      const enc = encoded[u];
      let data: Uint8Array;
      let flags: number;
      if (d.flags === 0) {
        // Raw pages stay raw (pd_zero among them, as makedumpfile writes it).
        data = unique[u]!;
        flags = 0;
      } else if (enc !== undefined && enc.length < blockSize) {
        data = enc;
        flags = flag;
      } else if (enc === undefined) {
        data = bytes.subarray(Number(d.offset), Number(d.offset) + d.size);
        flags = d.flags;
      } else {
        data = unique[u]!;
        flags = 0;
      }
      p = { offset: at, size: data.length, flags };
      chunks.push(data);
      at += data.length;
      placed.set(u, p);
    }
    const o = descOffset + i * 24;
    hv.setBigInt64(o, BigInt(p.offset), true);
    hv.setUint32(o + 8, p.size, true);
    hv.setUint32(o + 12, p.flags, true);
  });
  const out = new Uint8Array(at);
  out.set(head);
  let w = dataStart;
  for (const c of chunks) {
    out.set(c, w);
    w += c.length;
  }
  return out;
}

/** zstd frames made by the `zstd` command (level 1, as makedumpfile's ZSTD_compressCCtx(…, 1)); at most `limit` pages. */
export function zstdCommandEncoder(limit: number): BatchEncoder {
  return (pages) => {
    const dir = mkdtempSync(join(tmpdir(), "kdumpkit-zstd-"));
    try {
      const n = Math.min(limit, pages.length);
      for (let i = 0; i < n; i++) writeFileSync(join(dir, `${i}`), pages[i]!);
      execFileSync("zstd", ["-1", "-q", "-r", dir], { stdio: "ignore" });
      return pages.map((_, i) => (i < n ? new Uint8Array(readFileSync(join(dir, `${i}.zst`))) : undefined));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
