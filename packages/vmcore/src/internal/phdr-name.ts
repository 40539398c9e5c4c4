// How every message of @kdumpkit/vmcore names a program header. "PT_LOAD 3" was read as "the 4th
// PT_LOAD" when it meant table entry 3; `phdr 3` is the entry's index in the program-header table,
// the row `readelf -l` lists it on (0 = first entry, often the PT_NOTE), and the kind follows it.
import { hex } from "../errors.js";

/** `phdr N (detail, detail…)`: the index, then what is known about the entry (kind first), if anything. */
export function phdrName(index: number, ...details: (string | undefined)[]): string {
  const known = details.filter((d): d is string => d !== undefined && d !== "");
  return known.length === 0 ? `phdr ${index}` : `phdr ${index} (${known.join(", ")})`;
}

/**
 * A physical range as readelf shows a segment, `paddr X + S` (a `start..end` pair reads as
 * inclusive to some and exclusive to others).
 */
export function paddrRange(paddr: bigint, memsz: bigint): string {
  return `paddr ${hex(paddr)} + ${hex(memsz)}`;
}

/** `phdr N (PT_LOAD, paddr X + S)` for a load segment. */
export function loadName(seg: { index: number; paddr: bigint; memsz: bigint }, kind = "PT_LOAD"): string {
  return phdrName(seg.index, kind, paddrRange(seg.paddr, seg.memsz));
}

/** `phdr A and phdr B (PT_LOADs)`, `phdr A, phdr B and phdr C (PT_LOADs)`: several entries of one kind. */
export function phdrList(indices: number[], kinds: string): string {
  const names = indices.map((i) => `phdr ${i}`);
  const joined = names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
  return `${joined} (${kinds})`;
}
