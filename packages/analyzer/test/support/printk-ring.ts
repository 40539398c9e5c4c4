// A test-side writer of printk buffers (lockless ring ≥ 5.10 and legacy log_buf) in a fake kernel
// memory, following the kernel's own placement rules (printk_ringbuffer.c data_alloc: an 8-byte
// block id, 8-byte aligned blocks, a block that would cross the end of the ring is placed at its
// start). Nothing here comes from the analyzer's reader, so the reader is checked against it.
import { parseVmcoreinfo, type Vmcoreinfo } from "@kdumpkit/elf";

/** Kernel virtual addresses of the synthetic printk structures. */
export const PRB_VAR = 0xffffffff82000000n;
export const RB = 0xffffffff82000100n;
export const DESCS = 0xffff888001000000n;
export const INFOS = 0xffff888002000000n;
export const DATA = 0xffff888003000000n;
export const ID_MASK = (1n << 62n) - 1n;
const U64 = (1n << 64n) - 1n;

/** The 6.12 x86_64 layout, as VMCOREINFO lines (the numbers of the real dumpP's VMCOREINFO). */
export const LOCKLESS_VMCOREINFO: Record<string, number> = {
  "SIZE(printk_ringbuffer)": 88,
  "OFFSET(printk_ringbuffer.desc_ring)": 0,
  "OFFSET(printk_ringbuffer.text_data_ring)": 48,
  "OFFSET(printk_ringbuffer.fail)": 80,
  "SIZE(prb_desc_ring)": 48,
  "OFFSET(prb_desc_ring.count_bits)": 0,
  "OFFSET(prb_desc_ring.descs)": 8,
  "OFFSET(prb_desc_ring.infos)": 16,
  "OFFSET(prb_desc_ring.head_id)": 24,
  "OFFSET(prb_desc_ring.tail_id)": 32,
  "SIZE(prb_desc)": 24,
  "OFFSET(prb_desc.state_var)": 0,
  "OFFSET(prb_desc.text_blk_lpos)": 8,
  "SIZE(prb_data_blk_lpos)": 16,
  "OFFSET(prb_data_blk_lpos.begin)": 0,
  "OFFSET(prb_data_blk_lpos.next)": 8,
  "SIZE(printk_info)": 88,
  "OFFSET(printk_info.seq)": 0,
  "OFFSET(printk_info.ts_nsec)": 8,
  "OFFSET(printk_info.text_len)": 16,
  "OFFSET(printk_info.caller_id)": 20,
  "OFFSET(printk_info.dev_info)": 24,
  "SIZE(prb_data_ring)": 32,
  "OFFSET(prb_data_ring.size_bits)": 0,
  "OFFSET(prb_data_ring.data)": 8,
  "OFFSET(prb_data_ring.head_lpos)": 16,
  "OFFSET(prb_data_ring.tail_lpos)": 24,
  "SIZE(atomic_long_t)": 8,
  "OFFSET(atomic_long_t.counter)": 0,
};

/** A fake kernel memory made of regions; reads outside them throw. */
export class FakeMemory {
  readonly littleEndian = true;
  readonly wordSize = 8 as const;
  readonly regions: { address: bigint; bytes: Uint8Array }[] = [];
  reads = 0;
  maxRead = 0;

  add(address: bigint, bytes: Uint8Array): Uint8Array {
    this.regions.push({ address, bytes });
    return bytes;
  }
  read(address: bigint, length: number): Uint8Array {
    this.reads++;
    this.maxRead = Math.max(this.maxRead, length);
    for (const r of this.regions) {
      if (address >= r.address && address + BigInt(length) <= r.address + BigInt(r.bytes.length)) {
        const start = Number(address - r.address);
        return r.bytes.slice(start, start + length);
      }
    }
    throw new Error(`fake memory: ${length} bytes at 0x${address.toString(16)} not mapped`);
  }
}

/** One record to write. */
export interface RingRecord {
  text: string | Uint8Array;
  tsNsec?: bigint;
  level?: number;
  facility?: number;
  callerId?: number;
  /** Descriptor state (default 2 = finalized). */
  state?: 0 | 1 | 2 | 3;
  /** A text_len larger (or smaller) than the text written. */
  textLen?: number;
  /** Store as a data-less record: EMPTY_LINE_LPOS (3) or FAILED_LPOS (1). */
  dataless?: 1 | 3;
  /** Write another id in the descriptor's state_var (a recycled descriptor). */
  stateId?: bigint;
}

export interface RingSpec {
  countBits: number;
  sizeBits: number;
  /** Id of the first (tail) record; default near the top of the id space so ids wrap. */
  firstId?: bigint;
  /** lpos of the first block; default near 2^64 so lpos values wrap too. */
  firstLpos?: bigint;
  firstSeq?: bigint;
  records: RingRecord[];
  /** Extra VMCOREINFO lines or removals (value null). */
  vmcoreinfo?: Record<string, number | null>;
  /** Overrides applied to the ring header after writing. */
  header?: { countBits?: number; sizeBits?: number; headId?: bigint; tailId?: bigint; headLpos?: bigint; tailLpos?: bigint };
}

export interface BuiltRing {
  memory: FakeMemory;
  vmcoreinfo: Vmcoreinfo;
  vmcoreinfoText: string;
  descs: DataView;
  data: Uint8Array;
  /** begin/next lpos of each record's block (undefined for data-less). */
  blocks: ({ begin: bigint; next: bigint } | undefined)[];
  ids: bigint[];
}

const enc = new TextEncoder();
const bytesOf = (t: string | Uint8Array) => (typeof t === "string" ? enc.encode(t) : t);

/** Writes a lockless printk ring into a fake memory and returns it with its VMCOREINFO. */
export function buildLocklessRing(spec: RingSpec): BuiltRing {
  const count = 1 << spec.countBits;
  const size = 1n << BigInt(spec.sizeBits);
  const memory = new FakeMemory();
  const prbVar = memory.add(PRB_VAR, new Uint8Array(8));
  new DataView(prbVar.buffer).setBigUint64(0, RB, true);
  const rb = memory.add(RB, new Uint8Array(88));
  const rbv = new DataView(rb.buffer);
  const descs = memory.add(DESCS, new Uint8Array(count * 24));
  const dv = new DataView(descs.buffer);
  const infos = memory.add(INFOS, new Uint8Array(count * 88));
  const iv = new DataView(infos.buffer);
  const data = memory.add(DATA, new Uint8Array(Number(size)));
  const datav = new DataView(data.buffer);
  const firstId = spec.firstId ?? ID_MASK - 2n;
  let lpos = spec.firstLpos ?? (U64 + 1n - size - 16n) & U64;
  const tailLpos = lpos;
  const wraps = (l: bigint) => (l & U64) >> BigInt(spec.sizeBits);
  const blocks: BuiltRing["blocks"] = [];
  const ids: bigint[] = [];
  spec.records.forEach((r, i) => {
    const id = (firstId + BigInt(i)) & ID_MASK;
    ids.push(id);
    const index = Number(id % BigInt(count));
    const text = bytesOf(r.text);
    const state = BigInt(r.state ?? 2);
    dv.setBigUint64(index * 24, ((state << 62n) | (r.stateId ?? id)) & U64, true);
    let begin: bigint;
    let next: bigint;
    if (r.dataless !== undefined) {
      begin = next = BigInt(r.dataless);
      blocks.push(undefined);
    } else {
      const blockSize = (8n + BigInt(text.length) + 7n) & ~7n;
      begin = lpos;
      next = (begin + blockSize) & U64;
      let at = Number(begin % size);
      datav.setBigUint64(at, id, true);
      if (wraps(begin) !== wraps(next) && next % size !== 0n) {
        // data_alloc: a block that would cross the end of the ring goes to its start.
        next = (((next >> BigInt(spec.sizeBits)) << BigInt(spec.sizeBits)) + blockSize) & U64;
        at = 0;
        datav.setBigUint64(0, id, true);
      }
      data.set(text, at + 8);
      lpos = next;
      blocks.push({ begin, next });
    }
    dv.setBigUint64(index * 24 + 8, begin, true);
    dv.setBigUint64(index * 24 + 16, next, true);
    const info = index * 88;
    iv.setBigUint64(info, (spec.firstSeq ?? 0n) + BigInt(i), true);
    iv.setBigUint64(info + 8, r.tsNsec ?? BigInt(i) * 1_234_567n, true);
    iv.setUint16(info + 16, r.textLen ?? text.length, true);
    iv.setUint8(info + 18, r.facility ?? 0);
    iv.setUint8(info + 19, ((r.level ?? 6) << 5) | 0x02);
    iv.setUint32(info + 20, r.callerId ?? 1, true);
  });
  const headId = (firstId + BigInt(Math.max(spec.records.length, 1) - 1)) & ID_MASK;
  rbv.setUint32(0, spec.header?.countBits ?? spec.countBits, true);
  rbv.setBigUint64(8, DESCS, true);
  rbv.setBigUint64(16, INFOS, true);
  rbv.setBigUint64(24, spec.header?.headId ?? headId, true);
  rbv.setBigUint64(32, spec.header?.tailId ?? firstId, true);
  rbv.setUint32(48, spec.header?.sizeBits ?? spec.sizeBits, true);
  rbv.setBigUint64(56, DATA, true);
  rbv.setBigUint64(64, spec.header?.headLpos ?? lpos, true);
  rbv.setBigUint64(72, spec.header?.tailLpos ?? tailLpos, true);
  const lines = ["OSRELEASE=6.12.0-synthetic", "PAGESIZE=4096", `SYMBOL(prb)=${PRB_VAR.toString(16)}`];
  const keys = { ...LOCKLESS_VMCOREINFO, ...spec.vmcoreinfo };
  for (const [k, v] of Object.entries(keys)) if (v !== null && v !== undefined) lines.push(`${k}=${v}`);
  const vmcoreinfoText = `${lines.join("\n")}\n`;
  return { memory, vmcoreinfo: parseVmcoreinfo(vmcoreinfoText), vmcoreinfoText, descs: dv, data, blocks, ids };
}

/** Addresses of the legacy variables. */
export const LOG_BUF_VAR = 0xffffffff82100000n;
export const LOG_BUF_LEN_VAR = 0xffffffff82100008n;
export const LOG_FIRST_IDX_VAR = 0xffffffff82100010n;
export const LOG_NEXT_IDX_VAR = 0xffffffff82100018n;
export const LOG_BUF = 0xffff888004000000n;

export interface LegacySpec {
  length: number;
  /** Index of the first record (the oldest); records are written from here, wrapping like log_store. */
  firstIdx: number;
  records: { text: string | Uint8Array; tsNsec?: bigint; level?: number; facility?: number; textLen?: number }[];
  /** Header size: 16 (no caller id) or 20 (CONFIG_PRINTK_CALLER). */
  headerSize?: 16 | 20;
  overrides?: { firstIdx?: number; nextIdx?: number; length?: number };
}

/** Writes a pre-5.10 log_buf (struct printk_log records, 4-byte aligned, zero header = wrap marker). */
export function buildLegacyLog(spec: LegacySpec): { memory: FakeMemory; vmcoreinfo: Vmcoreinfo; buf: Uint8Array; nextIdx: number } {
  const memory = new FakeMemory();
  const header = spec.headerSize ?? 16;
  const buf = memory.add(LOG_BUF, new Uint8Array(spec.length));
  const v = new DataView(buf.buffer);
  let idx = spec.firstIdx;
  for (const r of spec.records) {
    const text = bytesOf(r.text);
    const len = (header + text.length + 3) & ~3;
    // log_store: when a record and the next header do not fit, leave a zero header and wrap.
    if (idx + len + header > spec.length) {
      buf.fill(0, idx, Math.min(spec.length, idx + header));
      idx = 0;
    }
    v.setBigUint64(idx, r.tsNsec ?? 1_000_000n, true);
    v.setUint16(idx + 8, len, true);
    v.setUint16(idx + 10, r.textLen ?? text.length, true);
    v.setUint16(idx + 12, 0, true);
    v.setUint8(idx + 14, r.facility ?? 0);
    v.setUint8(idx + 15, ((r.level ?? 6) << 5) | 0x02);
    if (header === 20) v.setUint32(idx + 16, 0x80000003, true);
    buf.set(text, idx + header);
    idx += len;
  }
  const vars = new Uint8Array(32);
  const vv = new DataView(vars.buffer);
  vv.setBigUint64(0, LOG_BUF, true);
  vv.setUint32(8, spec.overrides?.length ?? spec.length, true);
  vv.setUint32(16, spec.overrides?.firstIdx ?? spec.firstIdx, true);
  vv.setUint32(24, spec.overrides?.nextIdx ?? idx, true);
  memory.add(LOG_BUF_VAR, vars);
  const lines = [
    "OSRELEASE=4.19.0-synthetic",
    "PAGESIZE=4096",
    `SYMBOL(log_buf)=${LOG_BUF_VAR.toString(16)}`,
    `SYMBOL(log_buf_len)=${LOG_BUF_LEN_VAR.toString(16)}`,
    `SYMBOL(log_first_idx)=${LOG_FIRST_IDX_VAR.toString(16)}`,
    `SYMBOL(log_next_idx)=${LOG_NEXT_IDX_VAR.toString(16)}`,
    `SIZE(printk_log)=${header}`,
    "OFFSET(printk_log.ts_nsec)=0",
    "OFFSET(printk_log.len)=8",
    "OFFSET(printk_log.text_len)=10",
    "OFFSET(printk_log.dict_len)=12",
  ];
  return { memory, vmcoreinfo: parseVmcoreinfo(`${lines.join("\n")}\n`), buf, nextIdx: idx };
}
