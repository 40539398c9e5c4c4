// A kdump-compressed page bitmap (kdump-formats §4.3): bit N (byte N >> 3, bit N & 7, LSB first)
// says whether page frame N is dumped (2nd bitmap) or is RAM (1st bitmap). The page descriptor of
// a dumped pfn is the rank of its bit: how many set bits come before it. Ranks are answered from a
// prefix-count table with one entry per 512 bits, so a lookup costs at most 64 byte pops.

const POP8 = new Uint8Array(256);
for (let i = 1; i < 256; i++) POP8[i] = (i & 1) + POP8[i >> 1]!;

/** Bytes per rank-table entry (512 pfns). */
const CHUNK = 64;

/** One page bitmap with rank queries (for the 2nd bitmap: pfn → page_desc index). */
export class PageBitmap {
  readonly bytes: Uint8Array;
  /** Number of pfns the bitmap speaks for (`max_mapnr`); bits at or above it count as clear. */
  readonly pfnCount: number;
  private readonly prefix: Float64Array;
  /** Number of set bits below `pfnCount`. */
  readonly setCount: number;

  constructor(bytes: Uint8Array, pfnCount: number) {
    this.bytes = bytes;
    this.pfnCount = Math.min(pfnCount, bytes.length * 8);
    const chunks = Math.ceil(bytes.length / CHUNK);
    this.prefix = new Float64Array(chunks + 1);
    let total = 0;
    for (let c = 0; c < chunks; c++) {
      this.prefix[c] = total;
      const end = Math.min(bytes.length, (c + 1) * CHUNK);
      for (let i = c * CHUNK; i < end; i++) total += POP8[bytes[i]!]!;
    }
    this.prefix[chunks] = total;
    this.setCount = this.rank(this.pfnCount);
  }

  /** True when pfn's bit is set (false at or beyond `pfnCount`). */
  has(pfn: number): boolean {
    if (pfn < 0 || pfn >= this.pfnCount) return false;
    return ((this.bytes[pfn >>> 3]! >>> (pfn & 7)) & 1) === 1;
  }

  /** Number of set bits for pfns below `pfn` (the page_desc index of a dumped pfn). */
  rank(pfn: number): number {
    const limit = Math.min(pfn, this.pfnCount);
    const byte = limit >>> 3;
    const chunk = Math.floor(byte / CHUNK);
    let n = this.prefix[chunk]!;
    for (let i = chunk * CHUNK; i < byte; i++) n += POP8[this.bytes[i]!]!;
    const rest = limit & 7;
    if (rest !== 0) n += POP8[this.bytes[byte]! & ((1 << rest) - 1)]!;
    return n;
  }

  /** Runs of consecutive set pfns as `[first, end)` pairs, in order. */
  *runs(): Generator<[number, number]> {
    const bytes = this.bytes;
    const limit = this.pfnCount;
    let start = -1;
    for (let byte = 0; byte * 8 < limit; byte++) {
      const value = bytes[byte]!;
      // Whole bytes of 0x00 / 0xff are the common case: skip them without looking at bits.
      if (value === 0 && start === -1) continue;
      if (value === 0xff && start !== -1 && byte * 8 + 8 <= limit) continue;
      for (let bit = 0; bit < 8; bit++) {
        const pfn = byte * 8 + bit;
        if (pfn >= limit) break;
        const set = ((value >>> bit) & 1) === 1;
        if (set && start === -1) start = pfn;
        else if (!set && start !== -1) {
          yield [start, pfn];
          start = -1;
        }
      }
    }
    if (start !== -1) yield [start, limit];
  }
}
