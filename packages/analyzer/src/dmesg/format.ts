// Text forms of the kernel log: makedumpfile's `--dump-dmesg` file (byte for byte) and the
// kernel's own console/dmesg style (reference §4.2).
import { type DmesgRecord, encodeText } from "./record.js";

/** Options of {@link formatDmesg}. */
export interface DmesgFormatOptions {
  /**
   * `makedumpfile` (default): `[%5lld.%06ld] ` prefix, continuation lines indented by the prefix's
   * width, non-printable bytes as `\xNN`, empty-line records dropped. `kernel`: every line of a
   * record gets the full prefix and the bytes are written as they are (what the console showed).
   */
  style?: "makedumpfile" | "kernel";
  /**
   * Print the caller id: makedumpfile ≥ 1.7.3 style `[%8s] ` after the time (makedumpfile 1.7.2,
   * Debian 12's, prints none), or the kernel's `[%6s]` (CONFIG_PRINTK_CALLER). Default false.
   */
  callerId?: boolean;
  /**
   * How makedumpfile prints a byte ≥ 0x80: it passes a `char` to `sprintf("\\x%02x")`, so where
   * char is signed (x86) it prints `\xffffffc3`, where unsigned (arm64, ppc64, s390x) `\xc3`.
   * Default true (x86 builds, the common case).
   */
  signedChar?: boolean;
}

/** makedumpfile's PID_CHARS_DEFAULT: the caller id field width. */
const MAKEDUMPFILE_CALLER_WIDTH = 8;
/** The kernel's caller field width in `info_print_prefix` (`"[%6s]"`). */
const KERNEL_CALLER_WIDTH = 6;
const ascii = new TextEncoder();

/** `[%5lld.%06ld]` of a ts_nsec (truncating to microseconds, like makedumpfile and the kernel). */
export function timestampPrefix(timestampNs: string): string {
  const ns = BigInt(timestampNs);
  const seconds = ns / 1_000_000_000n;
  const micros = (ns % 1_000_000_000n) / 1000n;
  return `[${seconds.toString().padStart(5, " ")}.${micros.toString().padStart(6, "0")}]`;
}

/** Formats records as bytes, exactly as makedumpfile `--dump-dmesg` writes them (default) or as the kernel prints them. */
export function formatDmesgBytes(records: readonly DmesgRecord[], options: DmesgFormatOptions = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const push = (bytes: Uint8Array) => {
    chunks.push(bytes);
    total += bytes.length;
  };
  const kernel = options.style === "kernel";
  for (const record of records) {
    if (kernel) push(kernelRecord(record, options));
    else if (!record.emptyLine) push(makedumpfileRecord(record, options));
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** {@link formatDmesgBytes} as a string (UTF-8 decoded; use the bytes form to write files exactly). */
export function formatDmesg(records: readonly DmesgRecord[], options: DmesgFormatOptions = {}): string {
  return new TextDecoder().decode(formatDmesgBytes(records, options));
}

function makedumpfileRecord(record: DmesgRecord, options: DmesgFormatOptions): Uint8Array {
  let prefix = `${timestampPrefix(record.timestampNs)} `;
  if (options.callerId && record.callerId !== null) prefix += `[${record.callerId.padStart(MAKEDUMPFILE_CALLER_WIDTH, " ")}] `;
  const indent = ascii.encode(`\n${" ".repeat(prefix.length)}`);
  const text = encodeText(record);
  const out: number[] = [...ascii.encode(prefix)];
  const signed = options.signedChar ?? true;
  for (const byte of text) {
    if (byte === 0x0a) for (const b of indent) out.push(b);
    else if ((byte >= 0x20 && byte <= 0x7e) || (byte >= 0x09 && byte <= 0x0d)) out.push(byte);
    else {
      // C isprint()/isspace() in the C locale; other bytes as "\x%02x" of a (possibly signed) char.
      const shown = signed && byte >= 0x80 ? `ffffff${byte.toString(16)}` : byte.toString(16).padStart(2, "0");
      for (const b of ascii.encode(`\\x${shown}`)) out.push(b);
    }
  }
  out.push(0x0a);
  return Uint8Array.from(out);
}

function kernelRecord(record: DmesgRecord, options: DmesgFormatOptions): Uint8Array {
  let prefix = timestampPrefix(record.timestampNs);
  if (options.callerId && record.callerId !== null) prefix += `[${record.callerId.padStart(KERNEL_CALLER_WIDTH, " ")}]`;
  const prefixBytes = ascii.encode(`${prefix} `);
  const text = encodeText(record);
  const out: number[] = [...prefixBytes];
  for (const byte of text) {
    out.push(byte);
    if (byte === 0x0a) for (const b of prefixBytes) out.push(b);
  }
  out.push(0x0a);
  return Uint8Array.from(out);
}
