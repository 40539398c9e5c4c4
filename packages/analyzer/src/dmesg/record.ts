// The record model shared by both buffer formats, the limits that protect against hostile
// memory, and a bounds-checked view over the bytes read from the dump.
import { AnalyzerError } from "../errors.js";

/** One kernel log record as the ring buffer stored it (before any formatting). */
export interface DmesgRecord {
  /** `printk_info.seq`; null in the legacy format (VMCOREINFO gives no sequence numbers there) or when implausible (≥ 2^53). */
  seq: number | null;
  /** `ts_nsec` (local clock, ns since boot) as a decimal string: it is a u64 and passes 2^53 after 104 days. */
  timestampNs: string;
  /** Log level 0 (KERN_EMERG) … 7 (KERN_DEBUG). */
  level: number;
  /** Syslog facility (0 = kernel). */
  facility: number;
  /** `T<pid>` (task context) or `C<cpu>` (interrupt context), null when the kernel stores no caller id. */
  callerId: string | null;
  /** The text, without a trailing newline; embedded newlines are kept. */
  text: string;
  /** `utf-8` when the bytes were valid UTF-8, else `latin1` (each character is one byte, for an exact round trip). */
  textEncoding: "utf-8" | "latin1";
  /** A data-less empty-line record (EMPTY_LINE_LPOS): the kernel prints `[ts] `, makedumpfile drops it. */
  emptyLine: boolean;
  /** `text_len` claimed more bytes than the data block holds; the text was cut at the block's end. */
  truncated: boolean;
}

/** Records not returned and why (reference §4.2: only committed or finalized descriptors carry a record). */
export interface DmesgSkipped {
  /** Descriptor reserved by a writer that never committed (e.g. the CPU stopped mid-printk). */
  reserved: number;
  /** Descriptor already recycled (free). */
  reusable: number;
  /** The descriptor's id is not the expected one (overwritten by a newer record). */
  missed: number;
  /** Data-less record whose text was lost (FAILED_LPOS: no room in the text ring). */
  failed: number;
  /** Data block description inconsistent with the ring (lpos out of range, bad wrap, wrong block id). */
  badBlock: number;
}

/** Limits against hostile or corrupted memory; exceeding one is `E_PRINTK_LIMIT` naming it. */
export interface DmesgLimits {
  /** Largest descriptor ring (1 << count_bits) read. Default 2^20 (a 32 MiB log buffer has 2^20). */
  maxDescriptors: number;
  /** Largest text data ring or legacy log_buf read, in bytes. Default 64 MiB. */
  maxTextBytes: number;
}

/** Default {@link DmesgLimits}. */
export const DEFAULT_DMESG_LIMITS: Readonly<DmesgLimits> = Object.freeze({ maxDescriptors: 1 << 20, maxTextBytes: 64 << 20 });

/** The part of kernel memory the printk readers use (satisfied by `KernelMemory`). */
export interface PrintkMemory {
  readonly littleEndian: boolean;
  readonly wordSize: 4 | 8;
  /** `length` bytes at a kernel virtual address; throws a typed error when they are not in the dump. */
  read(address: bigint, length: number): Uint8Array;
}

/** A per-record problem (kept in the report, at most {@link MAX_PROBLEMS}). */
export interface DmesgProblem {
  /** Descriptor id (lockless) or byte index in log_buf (legacy), as "0x…". */
  where: string;
  /** Address of the descriptor or record, as "0x…". */
  address: string;
  message: string;
}

/** How many per-record problems a report keeps (the counters keep counting). */
export const MAX_PROBLEMS = 32;

/** Bounds-checked little/big-endian reads over bytes copied from the dump. */
export class StructView {
  readonly bytes: Uint8Array;
  readonly base: bigint;
  readonly what: string;
  readonly littleEndian: boolean;
  readonly wordSize: 4 | 8;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, base: bigint, what: string, memory: Pick<PrintkMemory, "littleEndian" | "wordSize">) {
    this.bytes = bytes;
    this.base = base;
    this.what = what;
    this.littleEndian = memory.littleEndian;
    this.wordSize = memory.wordSize;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private check(offset: number, width: number): void {
    if (!(offset >= 0 && offset + width <= this.bytes.length)) {
      throw new AnalyzerError("E_BAD_PRINTK_BUFFER", `${this.what}: ${width}-byte read at offset ${offset} is outside its ${this.bytes.length} bytes`, {
        address: this.base + BigInt(Math.max(0, offset)),
      });
    }
  }

  u8(offset: number): number {
    this.check(offset, 1);
    return this.bytes[offset]!;
  }
  u16(offset: number): number {
    this.check(offset, 2);
    return this.view.getUint16(offset, this.littleEndian);
  }
  u32(offset: number): number {
    this.check(offset, 4);
    return this.view.getUint32(offset, this.littleEndian);
  }
  u64(offset: number): bigint {
    this.check(offset, 8);
    return this.view.getBigUint64(offset, this.littleEndian);
  }
  /** An `unsigned long` of the dumped kernel (4 or 8 bytes). */
  word(offset: number): bigint {
    return this.wordSize === 8 ? this.u64(offset) : BigInt(this.u32(offset));
  }
}

/** Decodes record text: UTF-8 when valid, else latin1 (one character per byte). */
export function decodeText(bytes: Uint8Array): { text: string; textEncoding: "utf-8" | "latin1" } {
  try {
    return { text: utf8.decode(bytes), textEncoding: "utf-8" };
  } catch {
    let text = "";
    for (let i = 0; i < bytes.length; i += 4096) text += String.fromCharCode(...bytes.subarray(i, i + 4096));
    return { text, textEncoding: "latin1" };
  }
}

/** The bytes a record's text was decoded from (inverse of {@link decodeText}). */
export function encodeText(record: Pick<DmesgRecord, "text" | "textEncoding">): Uint8Array {
  if (record.textEncoding === "utf-8") return new TextEncoder().encode(record.text);
  const out = new Uint8Array(record.text.length);
  for (let i = 0; i < out.length; i++) out[i] = record.text.charCodeAt(i) & 0xff;
  return out;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** `T<pid>` or `C<cpu>` from a caller id (bit 31 set = CPU, reference §4.2). */
export function callerIdName(callerId: number): string {
  return callerId & 0x8000_0000 ? `C${(callerId & 0x7fff_ffff) >>> 0}` : `T${callerId >>> 0}`;
}

/** Level and facility from the `facility` byte and the `flags:5, level:3` bit-field byte that follows it. */
export function levelAndFacility(facilityByte: number, flagsLevelByte: number, littleEndian: boolean): { level: number; facility: number } {
  // GCC allocates bit-fields from the least significant bit on little-endian targets and from the
  // most significant bit on big-endian ones, so `level:3` is the top 3 bits only on LE.
  return { facility: facilityByte, level: littleEndian ? flagsLevelByte >> 5 : flagsLevelByte & 7 };
}

/** Limit check helper: throws `E_PRINTK_LIMIT` naming the limit. */
export function checkLimit(name: keyof DmesgLimits, value: number, limits: DmesgLimits, address: bigint): void {
  if (value > limits[name]) {
    throw new AnalyzerError("E_PRINTK_LIMIT", `the printk buffer needs ${value} (${name === "maxTextBytes" ? "bytes" : "descriptors"}), above the ${name} limit of ${limits[name]}`, { address });
  }
}
