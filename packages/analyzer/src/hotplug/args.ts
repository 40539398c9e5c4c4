// Parsing of the values a kdump engineer types: addresses, inclusive ranges as /proc/iomem prints
// them (`100000-7ffdffff`, `0x…` optional), CPU lists as /sys prints them (`0-3,8`), ADDR:SIZE.
import type { MemoryRange } from "@kdumpkit/elf";
import { AnalyzerError } from "../errors.js";

/**
 * A number given as `0x…` or decimal, with optional K/M/G/T suffix for sizes (`512M`).
 * @throws AnalyzerError `E_BAD_ARGUMENT` naming `what`.
 */
export function parseNumber(text: string, what: string): bigint {
  const t = text.trim();
  const m = /^(0x[0-9a-f]+|[0-9]+)([kmgt])?$/i.exec(t);
  if (!m) throw new AnalyzerError("E_BAD_ARGUMENT", `${what}: ${JSON.stringify(text)} is not a number (0x… or decimal)`);
  const shift = { k: 10n, m: 20n, g: 30n, t: 40n }[(m[2] ?? "").toLowerCase() as "k"] ?? 0n;
  const value = BigInt(m[1]!) << shift;
  if (value >= 1n << 64n) throw new AnalyzerError("E_BAD_ARGUMENT", `${what}: ${text} does not fit 64 bits`);
  return value;
}

/**
 * An inclusive physical range `START-END` (the kernel's `struct range`, /proc/iomem's notation);
 * `START+SIZE` is accepted too (`0x100000000+1G`). Bare digits are hex, as iomem prints them.
 * @throws AnalyzerError `E_BAD_ARGUMENT` for a malformed or empty range.
 */
export function parseRange(text: string, what: string): MemoryRange {
  const t = text.trim();
  const plus = t.indexOf("+");
  const dash = t.indexOf("-");
  const hexish = (s: string): bigint => parseHexDefault(s, what);
  let start: bigint;
  let end: bigint;
  if (plus > 0) {
    start = hexish(t.slice(0, plus));
    const size = parseNumber(t.slice(plus + 1), what);
    if (size === 0n) throw new AnalyzerError("E_BAD_ARGUMENT", `${what}: ${text} is empty`);
    end = start + size - 1n;
  } else if (dash > 0) {
    start = hexish(t.slice(0, dash));
    end = hexish(t.slice(dash + 1));
  } else {
    throw new AnalyzerError("E_BAD_ARGUMENT", `${what}: ${JSON.stringify(text)} is not START-END (inclusive, like /proc/iomem) or START+SIZE`);
  }
  if (end < start || end >= 1n << 64n) throw new AnalyzerError("E_BAD_ARGUMENT", `${what}: ${text} ends before it starts`, { address: start });
  return { start, end };
}

/**
 * A CPU list as /sys prints it (`0-3,8,10-11`), ascending, no duplicates.
 * @throws AnalyzerError `E_BAD_ARGUMENT`.
 */
export function parseCpuListArg(text: string, what: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) throw new AnalyzerError("E_BAD_ARGUMENT", `${what}: ${JSON.stringify(text)} is not a CPU list like 0-3,8`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to - from > 65535) throw new AnalyzerError("E_BAD_ARGUMENT", `${what}: bad CPU range ${part}`);
    for (let c = from; c <= to; c++) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * A number where bare digits are hex, the convention of /proc/iomem and of the sysfs files
 * (crash_notes, vmcoreinfo) an engineer copies values from; `0x…` and K/M/G/T sizes also work.
 * @throws AnalyzerError `E_BAD_ARGUMENT`.
 */
export function parseHexDefault(text: string, what: string): bigint {
  const s = text.trim();
  return parseNumber(/^[0-9a-f]+$/i.test(s) ? `0x${s}` : s, what);
}

/**
 * `ADDR:SIZE`, or `ADDR SIZE` exactly as /sys/kernel/vmcoreinfo prints it (both hex).
 * @throws AnalyzerError `E_BAD_ARGUMENT`.
 */
export function parseAddrSize(text: string, what: string): { address: bigint; size: bigint } {
  const parts = text.trim().split(/[:\s]+/);
  if (parts.length !== 2) throw new AnalyzerError("E_BAD_ARGUMENT", `${what}: ${JSON.stringify(text)} is not ADDR:SIZE`);
  return { address: parseHexDefault(parts[0]!, what), size: parseHexDefault(parts[1]!, what) };
}

/** A list option given once, repeated, or comma-separated, as a flat list of strings. */
export function listOption(value: unknown): string[] {
  if (value === undefined || value === false) return [];
  const values = Array.isArray(value) ? value : [value];
  return values.flatMap((v) => String(v).split(",")).map((s) => s.trim()).filter((s) => s !== "");
}
