// Page decompression for kdump-compressed dumps (kdump-formats §4.3): zlib through node:zlib,
// LZO1X and Snappy by the strict decoders beside this file, zstd through the pure-JS `fzstd`
// package, which is loaded only when a dump holds a zstd page (the CLI never pays for it otherwise).
import { createRequire } from "node:module";
import { VmcoreError, hex } from "../errors.js";
import { DUMP_DH } from "./header.js";
import { lzo1xDecompress } from "./lzo1x.js";
import { snappyDecompress } from "./snappy.js";

/** The compressions makedumpfile writes (`-c`, `-l`, `-p`, `-z`). */
export type PageCompression = "zlib" | "lzo" | "snappy" | "zstd";

/**
 * Decompresses one page: `input` is the stored data, `out` has the page size and must be filled
 * exactly. Throws anything on bad data (the reader turns it into `E_BAD_PAGE`).
 */
export type PageDecompressor = (input: Uint8Array, out: Uint8Array) => void;

/** The compression a `page_desc.flags` value names, `undefined` for a page stored raw. */
export function compressionOfFlags(flags: number): PageCompression | undefined | "conflict" {
  const bits = flags & (DUMP_DH.COMPRESSED_ZLIB | DUMP_DH.COMPRESSED_LZO | DUMP_DH.COMPRESSED_SNAPPY | DUMP_DH.COMPRESSED_ZSTD);
  switch (bits) {
    case 0:
      return undefined;
    case DUMP_DH.COMPRESSED_ZLIB:
      return "zlib";
    case DUMP_DH.COMPRESSED_LZO:
      return "lzo";
    case DUMP_DH.COMPRESSED_SNAPPY:
      return "snappy";
    case DUMP_DH.COMPRESSED_ZSTD:
      return "zstd";
    default:
      return "conflict";
  }
}

function zlibPage(input: Uint8Array, out: Uint8Array): void {
  // makedumpfile uses compress2() → a zlib-wrapped (RFC 1950) stream, adler32 checked by inflate.
  // maxOutputLength makes a page that inflates to more than a page fail instead of growing.
  // node:zlib is fetched on first use: loading it costs every CLI start ~1 ms even for ELF dumps.
  const page = process.getBuiltinModule("node:zlib").inflateSync(input, { maxOutputLength: out.length });
  if (page.length !== out.length) throw new Error(`inflates to ${page.length} bytes, not ${out.length}`);
  out.set(page);
}

function lzoPage(input: Uint8Array, out: Uint8Array): void {
  lzo1xDecompress(input, out);
}

function snappyPage(input: Uint8Array, out: Uint8Array): void {
  snappyDecompress(input, out);
}

/**
 * Checks a zstd frame header before handing it to fzstd, so a hostile page cannot make it allocate
 * a large window: the frame must declare its content size, equal to the page size.
 */
function checkZstdFrame(input: Uint8Array, pageSize: number): void {
  if (input.length < 6 || input[0] !== 0x28 || input[1] !== 0xb5 || input[2] !== 0x2f || input[3] !== 0xfd) {
    throw new Error("no zstd frame magic");
  }
  const fhd = input[4]!;
  const fcsFlag = fhd >>> 6;
  const singleSegment = (fhd >>> 5) & 1;
  const dictFlag = fhd & 3;
  let at = 5;
  if (!singleSegment) {
    const wd = input[at++]!;
    const windowLog = 10 + (wd >>> 3);
    if (windowLog > 23) throw new Error(`zstd window 2^${windowLog} is far larger than a page`);
  }
  at += [0, 1, 2, 4][dictFlag]!;
  if (dictFlag !== 0) throw new Error("zstd frame needs a dictionary");
  const fcsSize = fcsFlag === 0 ? singleSegment : [0, 2, 4, 8][fcsFlag]!;
  if (fcsSize === 0) throw new Error("zstd frame does not declare its content size");
  if (at + fcsSize > input.length) throw new Error("zstd frame header is cut short");
  let fcs = 0;
  for (let i = 0; i < fcsSize; i++) fcs += input[at + i]! * 2 ** (8 * i);
  if (fcsSize === 2) fcs += 256;
  if (fcs !== pageSize) throw new Error(`zstd frame content size ${fcs} is not the page size ${pageSize}`);
}

interface Fzstd {
  decompress(dat: Uint8Array, buf?: Uint8Array): Uint8Array;
}
let fzstd: Fzstd | undefined;

/** Loads fzstd on first use (a synchronous require: page reads are synchronous). */
function loadFzstd(): Fzstd {
  if (fzstd === undefined) {
    try {
      fzstd = createRequire(import.meta.url)("fzstd") as Fzstd;
    } catch (cause) {
      throw new VmcoreError("E_UNSUPPORTED_COMPRESSION", `zstd pages need the \`fzstd\` package, which could not be loaded: ${(cause as Error).message}`, { cause });
    }
  }
  return fzstd;
}

function zstdPage(input: Uint8Array, out: Uint8Array): void {
  checkZstdFrame(input, out.length);
  const page = loadFzstd().decompress(input);
  if (page.length !== out.length) throw new Error(`zstd frame yields ${page.length} bytes, not ${out.length}`);
  out.set(page);
}

/** The built-in decompressors; `openDump`'s `decompressors` option may replace or disable (null) any. */
export const DEFAULT_DECOMPRESSORS: Readonly<Record<PageCompression, PageDecompressor>> = Object.freeze({
  zlib: zlibPage,
  lzo: lzoPage,
  snappy: snappyPage,
  zstd: zstdPage,
});

/**
 * Decompresses the page stored at `fileOffset` into `out` with `decompressor`.
 * @throws VmcoreError `E_UNSUPPORTED_COMPRESSION` when `decompressor` is null, `E_BAD_PAGE` (naming the
 * pfn's address and the file offset) when the data does not decompress to exactly one page.
 */
export function decompressPage(
  compression: PageCompression,
  decompressor: PageDecompressor | null | undefined,
  input: Uint8Array,
  out: Uint8Array,
  address: bigint,
  fileOffset: number,
): void {
  if (!decompressor) {
    throw new VmcoreError("E_UNSUPPORTED_COMPRESSION", `page at physical ${hex(address)} is ${compression}-compressed and no ${compression} decompressor is available`, {
      address,
      offset: fileOffset,
    });
  }
  try {
    decompressor(input, out);
  } catch (cause) {
    if (cause instanceof VmcoreError) throw cause;
    throw new VmcoreError("E_BAD_PAGE", `page at physical ${hex(address)}: ${compression} data at file offset ${hex(fileOffset)} does not decompress: ${(cause as Error).message}`, {
      address,
      offset: fileOffset,
      cause,
    });
  }
}
