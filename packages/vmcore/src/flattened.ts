// makedumpfile's flattened format (`-F`, kdump-formats §4.4): a 4096-byte makedumpfile_header,
// then records `{int64 offset; int64 buf_size}` (big-endian) each followed by buf_size bytes that
// belong at `offset` of the real dump, ended by a -1/-1 record. `makedumpfile -R` replays the
// records into a regular file; here they are replayed into an index instead, so the dump is read in
// place: opening scans the record headers (one 16-byte read per record — makedumpfile writes a few
// hundred to a few thousand records per GiB), and reads are served from the records' data.
import type { ByteSource } from "./byte-source.js";
import { VmcoreError, hex } from "./errors.js";

/** `makedumpfile_header.signature` ("makedumpfile" padded with NULs to 16 bytes). */
export const MAKEDUMPFILE_SIGNATURE = "makedumpfile";
/** Size of the flattened file's header block. */
export const MAKEDUMPFILE_HEADER_SIZE = 4096;
/** `TYPE_FLAT_HEADER`, the only `makedumpfile_header.type`. */
export const TYPE_FLAT_HEADER = 1n;
/** Size of `struct makedumpfile_data_header`. */
export const FLAT_RECORD_HEADER_SIZE = 16;

/** Options of {@link openFlattenedSource}. */
export interface FlattenedOptions {
  /** Most records indexed (default 4,194,304). Above → `E_LIMIT`. */
  maxFlattenedRecords?: number;
}

/** True when `bytes` start with the flattened format's signature ("makedumpfile" + NUL). */
export function looksLikeFlattened(bytes: Uint8Array): boolean {
  if (bytes.length < 13) return false;
  for (let i = 0; i < 12; i++) if (bytes[i] !== MAKEDUMPFILE_SIGNATURE.charCodeAt(i)) return false;
  return bytes[12] === 0;
}

/** One piece of the rearranged file: `[start, end)` is served from `dataOffset` in the flattened file. */
interface Piece {
  start: number;
  end: number;
  dataOffset: number;
}

/** A max-heap of record numbers (later records win where they overlap earlier ones). */
class MaxHeap {
  private readonly items: number[] = [];
  get top(): number | undefined {
    return this.items[0];
  }
  push(value: number): void {
    const a = this.items;
    a.push(value);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! >= a[i]!) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): void {
    const a = this.items;
    const last = a.pop()!;
    if (a.length === 0) return;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && a[l]! > a[m]!) m = l;
      if (r < a.length && a[r]! > a[m]!) m = r;
      if (m === i) return;
      [a[m], a[i]] = [a[i]!, a[m]!];
      i = m;
    }
  }
}

/** The dump inside a flattened file, read in place: bytes no record wrote read as zeros, as after `-R`. */
class FlattenedSource implements ByteSource {
  readonly size: number;
  readonly name: string;
  /** Number of data records in the flattened file. */
  readonly recordCount: number;
  private readonly inner: ByteSource;
  private readonly pieces: Piece[];
  private readonly starts: Float64Array;

  constructor(inner: ByteSource, options: FlattenedOptions) {
    this.inner = inner;
    this.name = `${inner.name} (flattened)`;
    const maxRecords = options.maxFlattenedRecords ?? 1 << 22;
    if (inner.size < MAKEDUMPFILE_HEADER_SIZE) {
      throw new VmcoreError("E_TRUNCATED", `${inner.name}: ${inner.size} bytes, too short for the flattened header block (${MAKEDUMPFILE_HEADER_SIZE})`, { offset: inner.size });
    }
    const head = inner.read(0, 32);
    if (!looksLikeFlattened(head)) throw new VmcoreError("E_NOT_A_DUMP", `${inner.name}: no "makedumpfile" signature`, { offset: 0 });
    const hv = new DataView(head.buffer, head.byteOffset, 32);
    const type = hv.getBigInt64(16, false);
    if (type !== TYPE_FLAT_HEADER) {
      throw new VmcoreError("E_NOT_A_DUMP", `${inner.name}: makedumpfile_header.type is ${type}, not TYPE_FLAT_HEADER (1)`, { offset: 16 });
    }

    // Pass 1: the record headers, in file order.
    const starts: number[] = [];
    const ends: number[] = [];
    const datas: number[] = [];
    const MAX = BigInt(Number.MAX_SAFE_INTEGER);
    let pos = MAKEDUMPFILE_HEADER_SIZE;
    const rh = new Uint8Array(FLAT_RECORD_HEADER_SIZE);
    const rv = new DataView(rh.buffer);
    for (;;) {
      if (pos + FLAT_RECORD_HEADER_SIZE > inner.size) {
        throw new VmcoreError("E_TRUNCATED", `${inner.name}: the flattened file ends at ${hex(inner.size)} without its end record (-1, -1): it was cut short`, { offset: pos });
      }
      inner.readInto(rh, pos);
      const offset = rv.getBigInt64(0, false);
      const bufSize = rv.getBigInt64(8, false);
      if (offset === -1n && bufSize === -1n) break;
      if (offset < 0n || bufSize <= 0n || offset + bufSize > MAX) {
        throw new VmcoreError("E_NOT_A_DUMP", `${inner.name}: flattened record at ${hex(pos)} has offset ${offset} and buf_size ${bufSize}`, { offset: pos });
      }
      const dataAt = pos + FLAT_RECORD_HEADER_SIZE;
      if (BigInt(dataAt) + bufSize > BigInt(inner.size)) {
        throw new VmcoreError("E_TRUNCATED", `${inner.name}: flattened record at ${hex(pos)} holds ${bufSize} bytes, past the end of the file (size ${hex(inner.size)})`, { offset: pos });
      }
      if (starts.length >= maxRecords) {
        throw new VmcoreError("E_LIMIT", `limit maxFlattenedRecords (${maxRecords}) exceeded at ${hex(pos)}`, { offset: pos });
      }
      starts.push(Number(offset));
      ends.push(Number(offset + bufSize));
      datas.push(dataAt);
      pos = dataAt + Number(bufSize);
    }
    this.recordCount = starts.length;

    // Pass 2: replay. Where records overlap, the later one wins (as a replay by write() would).
    const order = starts.map((_, i) => i).sort((a, b) => starts[a]! - starts[b]! || a - b);
    const bounds = [...new Set([...starts, ...ends])].sort((a, b) => a - b);
    const pieces: Piece[] = [];
    const heap = new MaxHeap();
    let next = 0;
    for (let b = 0; b + 1 < bounds.length; b++) {
      const at = bounds[b]!;
      while (next < order.length && starts[order[next]!]! <= at) heap.push(order[next++]!);
      while (heap.top !== undefined && ends[heap.top]! <= at) heap.pop();
      const winner = heap.top;
      if (winner === undefined) continue;
      const stop = bounds[b + 1]!;
      const dataOffset = datas[winner]! + (at - starts[winner]!);
      const last = pieces[pieces.length - 1];
      if (last && last.end === at && last.dataOffset + (last.end - last.start) === dataOffset) last.end = stop;
      else pieces.push({ start: at, end: stop, dataOffset });
    }
    this.pieces = pieces;
    this.starts = Float64Array.from(pieces, (p) => p.start);
    this.size = ends.reduce((m, e) => Math.max(m, e), 0);
  }

  /** Number of contiguous pieces the records replay into (for tests and diagnostics). */
  get pieceCount(): number {
    return this.pieces.length;
  }

  readInto(target: Uint8Array, fileOffset: number): void {
    const length = target.length;
    if (!Number.isSafeInteger(fileOffset) || fileOffset < 0) {
      throw new VmcoreError("E_INVALID_ARGUMENT", `bad read of ${length} bytes at offset ${fileOffset} in ${this.name}`);
    }
    if (fileOffset + length > this.size) {
      throw new VmcoreError("E_TRUNCATED", `${this.name}: ${length} bytes at offset ${fileOffset} pass the end of the data (size ${this.size})`, {
        offset: Math.max(fileOffset, this.size),
      });
    }
    // Last piece starting at or before fileOffset.
    let lo = 0;
    let hi = this.starts.length - 1;
    let i = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! <= fileOffset) {
        i = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    let at = fileOffset;
    const end = fileOffset + length;
    if (i < 0) i = 0;
    while (at < end) {
      const piece = this.pieces[i];
      if (piece === undefined || piece.start >= end) {
        target.fill(0, at - fileOffset);
        return;
      }
      if (piece.end <= at) {
        i++;
        continue;
      }
      if (piece.start > at) {
        // Never written by any record: a hole in the replayed file reads as zeros.
        target.fill(0, at - fileOffset, piece.start - fileOffset);
        at = piece.start;
      }
      const take = Math.min(end, piece.end) - at;
      this.inner.readInto(target.subarray(at - fileOffset, at - fileOffset + take), piece.dataOffset + (at - piece.start));
      at += take;
      i++;
    }
  }

  read(fileOffset: number, length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new VmcoreError("E_INVALID_ARGUMENT", `bad read of ${length} bytes at offset ${fileOffset} in ${this.name}`);
    }
    const out = new Uint8Array(length);
    this.readInto(out, fileOffset);
    return out;
  }

  close(): void {
    this.inner.close();
  }
}

/** A `ByteSource` over the dump a flattened file holds, plus what the replay found. */
export interface FlattenedByteSource extends ByteSource {
  /** Data records in the flattened file. */
  readonly recordCount: number;
  /** Contiguous pieces after replay. */
  readonly pieceCount: number;
}

/**
 * Indexes a flattened file (makedumpfile `-F`, kdump-formats §4.4) and returns the dump it holds as
 * a `ByteSource` read in place (no `makedumpfile -R` needed). Closing it closes `inner`.
 * @throws VmcoreError `E_NOT_A_DUMP` (signature, type, bad record), `E_TRUNCATED` (record past the end,
 * no end record), `E_LIMIT`, `E_IO`.
 */
export function openFlattenedSource(inner: ByteSource, options: FlattenedOptions = {}): FlattenedByteSource {
  return new FlattenedSource(inner, options);
}
