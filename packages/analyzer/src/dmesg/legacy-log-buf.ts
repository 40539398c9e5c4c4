// The variable-length record buffer of Linux 3.5 … 5.9 (`log_buf`, struct printk_log), walked
// like makedumpfile's and crash's `dump_variable_length_record_log`: from log_first_idx to
// log_next_idx, a record with `len == 0` marking the end of the buffer (wrap to index 0).
import { AnalyzerError } from "../errors.js";
import { hex } from "../json.js";
import type { LegacyLayout } from "./layout.js";
import {
  callerIdName,
  checkLimit,
  decodeText,
  type DmesgLimits,
  type DmesgProblem,
  type DmesgRecord,
  type DmesgSkipped,
  levelAndFacility,
  type PrintkMemory,
  StructView,
} from "./record.js";

/** What was found at `log_buf`, for the report. */
export interface LegacyLogInfo {
  address: string;
  /** log_buf_len, in bytes. */
  length: number;
  firstIdx: number;
  nextIdx: number;
}

/** Result of {@link readLegacyLog}. */
export interface LegacyReadResult {
  records: DmesgRecord[];
  skipped: DmesgSkipped;
  problems: DmesgProblem[];
  log: LegacyLogInfo;
}

/**
 * Reads every record of a pre-5.10 `log_buf`. Level and facility follow `dict_len` (u16) in
 * struct printk_log (`u8 facility; u8 flags:5, level:3`): VMCOREINFO has no offsets for them.
 *
 * @throws AnalyzerError `E_BAD_PRINTK_BUFFER` (indices outside log_buf, a record running past its end
 *   or shorter than its header, a walk that does not reach log_next_idx), `E_PRINTK_LIMIT`.
 */
export function readLegacyLog(memory: PrintkMemory, layout: LegacyLayout, limits: DmesgLimits): LegacyReadResult {
  const word = (address: bigint, what: string) => new StructView(memory.read(address, memory.wordSize), address, what, memory).word(0);
  const u32 = (address: bigint, what: string) => new StructView(memory.read(address, 4), address, what, memory).u32(0);
  const logBuf = word(layout.log_buf, "log_buf");
  const length = u32(layout.log_buf_len, "log_buf_len");
  const firstIdx = u32(layout.log_first_idx, "log_first_idx");
  const nextIdx = u32(layout.log_next_idx, "log_next_idx");
  checkLimit("maxTextBytes", length, limits, layout.log_buf_len);
  const P = layout.printk_log;
  for (const [name, idx, address] of [["log_first_idx", firstIdx, layout.log_first_idx], ["log_next_idx", nextIdx, layout.log_next_idx]] as const) {
    if (idx >= length && !(idx === 0 && length === 0)) throw new AnalyzerError("E_BAD_PRINTK_BUFFER", `${name} ${idx} is outside log_buf (log_buf_len ${length})`, { address });
  }
  const buf = new StructView(memory.read(logBuf, length), logBuf, "log_buf", memory);
  const records: DmesgRecord[] = [];
  const fail = (idx: number, message: string) => new AnalyzerError("E_BAD_PRINTK_BUFFER", `log_buf record at index ${idx}: ${message}`, { address: logBuf + BigInt(idx) });
  // Every record is at least a header long and each wrap is one extra step: this bounds the walk
  // of a corrupted buffer whose lengths never lead to log_next_idx.
  const maxSteps = Math.floor(length / Math.max(P.size, 1)) + 2;
  const facilityOffset = (P.dict_len ?? P.text_len + 2) + 2;
  let idx = firstIdx;
  for (let steps = 0; idx !== nextIdx; steps++) {
    if (steps > maxSteps) throw fail(idx, `the walk from log_first_idx ${firstIdx} does not reach log_next_idx ${nextIdx}`);
    if (idx + P.size > length) throw fail(idx, `a ${P.size}-byte header does not fit before the end of log_buf (${length})`);
    const len = buf.u16(idx + P.len);
    if (len === 0) {
      // The writer leaves a zeroed header where the next record did not fit: wrap to the start.
      if (idx === 0) throw fail(idx, "an end-of-buffer marker at index 0");
      idx = 0;
      continue;
    }
    if (len < P.size || idx + len > length) throw fail(idx, `record length ${len} (header ${P.size}) runs outside log_buf (${length})`);
    let textLen = buf.u16(idx + P.text_len);
    let truncated = false;
    if (textLen > len - P.size) {
      textLen = len - P.size;
      truncated = true;
    }
    const textStart = idx + P.size;
    records.push({
      seq: null,
      timestampNs: buf.u64(idx + P.ts_nsec).toString(),
      ...levelAndFacility(buf.u8(idx + facilityOffset), buf.u8(idx + facilityOffset + 1), memory.littleEndian),
      callerId: P.caller_id !== undefined ? callerIdName(buf.u32(idx + P.caller_id)) : null,
      ...decodeText(buf.bytes.subarray(textStart, textStart + textLen)),
      emptyLine: false,
      truncated,
    });
    idx += len;
    if (idx === length) idx = 0;
  }
  return {
    records,
    skipped: { reserved: 0, reusable: 0, missed: 0, failed: 0, badBlock: 0 },
    problems: [],
    log: { address: hex(logBuf), length, firstIdx, nextIdx },
  };
}
