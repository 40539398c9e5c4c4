import { AnalyzerError } from "./errors.js";

/** One line of /proc/iomem: `start-end : name`, inclusive bounds, nesting by indentation. */
export interface IomemEntry {
  start: bigint;
  /** Inclusive, as /proc/iomem prints it. */
  end: bigint;
  name: string;
  /** Nesting depth (two spaces per level). */
  depth: number;
}

const LINE = /^( *)([0-9a-fA-F]+)-([0-9a-fA-F]+) : (.*)$/;

/**
 * Parses a /proc/iomem listing (as root sees it: real addresses, not zeros).
 * @throws AnalyzerError `E_BAD_IOMEM` naming the byte offset of the first malformed line, or when every
 *   range reads as 0 (a listing taken without privileges carries no information).
 */
export function parseIomem(text: string): IomemEntry[] {
  const entries: IomemEntry[] = [];
  let offset = 0;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() !== "") {
      const m = LINE.exec(line);
      if (!m) throw new AnalyzerError("E_BAD_IOMEM", `/proc/iomem line at byte ${offset} is not "start-end : name": ${JSON.stringify(line.slice(0, 80))}`, { offset });
      const start = BigInt(`0x${m[2]}`);
      const end = BigInt(`0x${m[3]}`);
      if (end < start) throw new AnalyzerError("E_BAD_IOMEM", `/proc/iomem line at byte ${offset} ends before it starts`, { offset });
      entries.push({ start, end, name: m[4]!.trim(), depth: m[1]!.length >> 1 });
    }
    offset += raw.length + 1;
  }
  if (entries.length > 0 && entries.every((e) => e.start === 0n && e.end === 0n)) {
    throw new AnalyzerError("E_BAD_IOMEM", "/proc/iomem listing has only zero addresses (read it as root)", { offset: 0 });
  }
  return entries;
}

/** Top-level "System RAM" ranges of a parsed listing, as half-open `[start, end)` ranges, sorted and merged. */
export function systemRamRanges(entries: IomemEntry[]): { start: bigint; end: bigint }[] {
  return mergeRanges(entries.filter((e) => e.depth === 0 && e.name === "System RAM").map((e) => ({ start: e.start, end: e.end + 1n })));
}

/** Sorts and merges half-open ranges (touching ranges merge). */
export function mergeRanges(ranges: { start: bigint; end: bigint }[]): { start: bigint; end: bigint }[] {
  const sorted = ranges.filter((r) => r.end > r.start).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: { start: bigint; end: bigint }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) {
      if (r.end > last.end) last.end = r.end;
    } else out.push({ ...r });
  }
  return out;
}

/** `a` minus `b`, both half-open ranges merged and sorted. */
export function subtractRanges(a: { start: bigint; end: bigint }[], b: { start: bigint; end: bigint }[]): { start: bigint; end: bigint }[] {
  const out: { start: bigint; end: bigint }[] = [];
  const bs = mergeRanges(b);
  for (const range of mergeRanges(a)) {
    let cursor = range.start;
    for (const cut of bs) {
      if (cut.end <= cursor || cut.start >= range.end) continue;
      if (cut.start > cursor) out.push({ start: cursor, end: cut.start });
      cursor = cut.end > cursor ? cut.end : cursor;
      if (cursor >= range.end) break;
    }
    if (cursor < range.end) out.push({ start: cursor, end: range.end });
  }
  return out;
}
