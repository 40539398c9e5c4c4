// The lockless printk ring buffer (Linux ≥ 5.10, kernel/printk/printk_ringbuffer.[ch]), walked
// the way makedumpfile's `dump_lockless_dmesg` does (reference §4.2), with the consistency checks
// of the kernel's own reader (`get_data`) so that corrupted memory is reported instead of printed.
import { AnalyzerError } from "../errors.js";
import { hex } from "../json.js";
import type { LocklessLayout } from "./layout.js";
import {
  callerIdName,
  checkLimit,
  decodeText,
  type DmesgLimits,
  type DmesgProblem,
  type DmesgRecord,
  type DmesgSkipped,
  levelAndFacility,
  MAX_PROBLEMS,
  type PrintkMemory,
  StructView,
} from "./record.js";

/** Descriptor states (top two bits of `state_var`). */
export const DESC_STATE = { reserved: 0, committed: 1, finalized: 2, reusable: 3 } as const;
/** `blk_lpos` of a record whose text could not be stored. */
export const FAILED_LPOS = 0x1n;
/** `blk_lpos` of a record whose text is an empty line (formerly NO_LPOS). */
export const EMPTY_LINE_LPOS = 0x3n;

/** What was found at `prb`, for the report. */
export interface LocklessRingInfo {
  /** The ring buffer's address (value of the `prb` pointer). */
  address: string;
  /** 1 << desc_ring.count_bits. */
  descriptors: number;
  /** 1 << text_data_ring.size_bits, in bytes. */
  dataSize: number;
  headId: string;
  tailId: string;
}

/** Result of {@link readLocklessRing}. */
export interface RingReadResult {
  records: DmesgRecord[];
  skipped: DmesgSkipped;
  problems: DmesgProblem[];
  ring: LocklessRingInfo;
}

/** Options of {@link readLocklessRing}. */
export interface RingReadOptions {
  limits: DmesgLimits;
  /** Throw `E_BAD_PRINTK_BUFFER` on the first inconsistent record instead of counting it in `skipped.badBlock`. */
  strict: boolean;
}

/**
 * Reads every record of the lockless ring: ids from `tail_id` to `head_id` inclusive, keeping
 * committed and finalized descriptors, wrap → text at the start of the ring, the block's leading
 * id skipped, `text_len` clamped to the block (reference §4.2, pitfall 8).
 *
 * @throws AnalyzerError `E_BAD_PRINTK_BUFFER` (absurd count_bits/size_bits, ids with flag bits, a
 *   tail..head span longer than the ring; with `strict`, any inconsistent record), `E_PRINTK_LIMIT`;
 *   VmcoreError `E_NOT_IN_DUMP`… when the ring's memory is not in the dump.
 */
export function readLocklessRing(memory: PrintkMemory, layout: LocklessLayout, options: RingReadOptions): RingReadResult {
  const wordBits = BigInt(memory.wordSize * 8);
  const flagsShift = wordBits - 2n;
  const idMask = (1n << flagsShift) - 1n;
  const wordMask = (1n << wordBits) - 1n;
  const L = layout;

  const prbPointer = new StructView(memory.read(L.prb, memory.wordSize), L.prb, "prb", memory).word(0);
  const rb = new StructView(memory.read(prbPointer, L.printk_ringbuffer.size), prbPointer, "printk_ringbuffer", memory);
  const dr = L.printk_ringbuffer.desc_ring;
  const tr = L.printk_ringbuffer.text_data_ring;
  const countBits = rb.u32(dr + L.prb_desc_ring.count_bits);
  const sizeBits = rb.u32(tr + L.prb_data_ring.size_bits);
  const ringAddress = (offset: number) => prbPointer + BigInt(offset);
  // The kernel bounds both by its 32-bit log_buf_len; anything at or past 31 bits is garbage, and
  // it is checked before 1 << bits is computed so that no giant number reaches an allocation.
  if (countBits > 30) throw new AnalyzerError("E_BAD_PRINTK_BUFFER", `prb_desc_ring.count_bits is ${countBits}: not a plausible descriptor ring`, { address: ringAddress(dr + L.prb_desc_ring.count_bits) });
  if (sizeBits > 31 || sizeBits < 3) throw new AnalyzerError("E_BAD_PRINTK_BUFFER", `prb_data_ring.size_bits is ${sizeBits}: not a plausible text ring`, { address: ringAddress(tr + L.prb_data_ring.size_bits) });
  const count = 2 ** countBits;
  const dataSize = 2 ** sizeBits;
  checkLimit("maxDescriptors", count, options.limits, ringAddress(dr + L.prb_desc_ring.count_bits));
  checkLimit("maxTextBytes", dataSize, options.limits, ringAddress(tr + L.prb_data_ring.size_bits));

  const counter = L.atomic_long_counter;
  const headId = rb.word(dr + L.prb_desc_ring.head_id + counter);
  const tailId = rb.word(dr + L.prb_desc_ring.tail_id + counter);
  for (const [name, id, offset] of [["head_id", headId, L.prb_desc_ring.head_id], ["tail_id", tailId, L.prb_desc_ring.tail_id]] as const) {
    // makedumpfile loops `id != head_id` with `(id + 1) & DESC_ID_MASK`: a head id with flag bits never matches, a hang.
    if ((id & ~idMask) !== 0n) throw new AnalyzerError("E_BAD_PRINTK_BUFFER", `prb_desc_ring.${name} ${hex(id)} has state bits set: not a descriptor id`, { address: ringAddress(dr + offset) });
  }
  const span = (headId - tailId) & idMask;
  if (span >= BigInt(count)) {
    throw new AnalyzerError("E_BAD_PRINTK_BUFFER", `prb_desc_ring tail_id ${hex(tailId)} .. head_id ${hex(headId)} spans ${span + 1n} ids, more than the ${count} descriptors`, {
      address: ringAddress(dr + L.prb_desc_ring.tail_id),
    });
  }
  const dataHead = L.prb_data_ring.head_lpos !== undefined ? rb.word(tr + L.prb_data_ring.head_lpos + counter) : undefined;
  const dataTail = L.prb_data_ring.tail_lpos !== undefined ? rb.word(tr + L.prb_data_ring.tail_lpos + counter) : undefined;

  const descsAddress = rb.word(dr + L.prb_desc_ring.descs);
  const infosAddress = rb.word(dr + L.prb_desc_ring.infos);
  const dataAddress = rb.word(tr + L.prb_data_ring.data);
  const descs = new StructView(memory.read(descsAddress, count * L.prb_desc.size), descsAddress, "prb_desc_ring.descs", memory);
  const infos = new StructView(memory.read(infosAddress, count * L.printk_info.size), infosAddress, "prb_desc_ring.infos", memory);
  const data = new StructView(memory.read(dataAddress, dataSize), dataAddress, "prb_data_ring.data", memory);

  const skipped: DmesgSkipped = { reserved: 0, reusable: 0, missed: 0, failed: 0, badBlock: 0 };
  const problems: DmesgProblem[] = [];
  const records: DmesgRecord[] = [];
  const bad = (id: bigint, descOffset: number, message: string) => {
    const address = descsAddress + BigInt(descOffset);
    if (options.strict) throw new AnalyzerError("E_BAD_PRINTK_BUFFER", `descriptor ${hex(id)}: ${message}`, { address });
    skipped.badBlock++;
    if (problems.length < MAX_PROBLEMS) problems.push({ where: hex(id), address: hex(address), message });
  };
  const dataSizeBig = BigInt(dataSize);
  const dataMask = dataSizeBig - 1n;
  const sizeBitsBig = BigInt(sizeBits);
  const countMask = BigInt(count - 1);

  for (let step = 0n, id = tailId; step <= span; step++, id = (id + 1n) & idMask) {
    const index = Number(id & countMask);
    const d = index * L.prb_desc.size;
    const stateVar = descs.word(d + L.prb_desc.state_var + counter);
    if ((stateVar & idMask) !== id) {
      skipped.missed++;
      continue;
    }
    const state = Number(stateVar >> flagsShift);
    if (state === DESC_STATE.reserved) {
      skipped.reserved++;
      continue;
    }
    if (state === DESC_STATE.reusable) {
      skipped.reusable++;
      continue;
    }
    const lpos = d + L.prb_desc.text_blk_lpos;
    const begin = descs.word(lpos + L.prb_data_blk_lpos.begin);
    const next = descs.word(lpos + L.prb_data_blk_lpos.next);
    const info = index * L.printk_info.size;
    let textLen = infos.u16(info + L.printk_info.text_len);
    const base = {
      seq: plausibleSeq(infos.u64(info + L.printk_info.seq)),
      timestampNs: infos.u64(info + L.printk_info.ts_nsec).toString(),
      ...levelAndFacility(infos.u8(info + L.printk_info.text_len + 2), infos.u8(info + L.printk_info.text_len + 3), memory.littleEndian),
      callerId: L.printk_info.caller_id !== undefined ? callerIdName(infos.u32(info + L.printk_info.caller_id)) : null,
    };
    if ((begin & 1n) !== 0n) {
      if (begin === EMPTY_LINE_LPOS && next === EMPTY_LINE_LPOS) records.push({ ...base, text: "", textEncoding: "utf-8", emptyLine: true, truncated: false });
      else skipped.failed++;
      continue;
    }
    // Kernel get_data(): a regular block stays within one wrap of the ring; a wrapping block ends
    // in the next wrap and its text sits at the start of the ring.
    const beginWrap = (begin >> sizeBitsBig) & (wordMask >> sizeBitsBig);
    const nextWrap = (next >> sizeBitsBig) & (wordMask >> sizeBitsBig);
    let start: number;
    let end = Number(next & dataMask);
    const wrapAfter = ((beginWrap + 1n) & (wordMask >> sizeBitsBig)) === nextWrap;
    if (beginWrap === nextWrap) start = Number(begin & dataMask);
    else if (wrapAfter && end === 0 && (begin & dataMask) !== 0n) {
      // A block that ends exactly at the end of the ring: regular since Linux's `next - 1` rule in
      // get_next_lpos(); older kernels never produce it (they move such a block to the start).
      start = Number(begin & dataMask);
      end = dataSize;
    } else if (wrapAfter && end <= Number(begin & dataMask)) start = 0;
    else {
      bad(id, d, `text_blk_lpos ${hex(begin)}..${hex(next)} is neither a regular nor a wrapping block`);
      continue;
    }
    if (end - start < memory.wordSize) {
      bad(id, d, `text_blk_lpos ${hex(begin)}..${hex(next)} leaves ${end - start} bytes, less than the block id`);
      continue;
    }
    if (dataHead !== undefined && dataTail !== undefined) {
      const window = (dataHead - dataTail) & wordMask;
      if (((begin - dataTail) & wordMask) > window || ((next - dataTail) & wordMask) > window) {
        bad(id, d, `text_blk_lpos ${hex(begin)}..${hex(next)} lies outside the text ring's tail_lpos ${hex(dataTail)} .. head_lpos ${hex(dataHead)}`);
        continue;
      }
    }
    const blockId = data.word(start);
    if ((blockId & idMask) !== id) {
      bad(id, d, `the data block at ring offset ${start} belongs to id ${hex(blockId)}`);
      continue;
    }
    const textStart = start + memory.wordSize;
    let truncated = false;
    if (textLen > end - textStart) {
      textLen = end - textStart;
      truncated = true;
    }
    records.push({ ...base, ...decodeText(data.bytes.subarray(textStart, textStart + textLen)), emptyLine: false, truncated });
  }
  return {
    records,
    skipped,
    problems,
    ring: { address: hex(prbPointer), descriptors: count, dataSize, headId: hex(headId), tailId: hex(tailId) },
  };
}

function plausibleSeq(seq: bigint): number | null {
  return seq <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seq) : null;
}
