// The kdump elfcorehdr exactly as the kernel's crash_prepare_elf64_headers() (kernel/crash_core.c)
// lays it out: the spec it is built from, the program headers in the kernel's order, and the
// sizing rules (slots needed, segment size, slots a segment holds) shared by the in-place editor
// (elfcorehdr.ts) and the reader (elfcorehdr-recover.ts). Only the documented exports reach index.ts.
import { ELFCLASS, ELFDATA, ET, EV_CURRENT, PF, PN_XNUM, PT } from "./constants.js";
import { ElfError } from "./errors.js";
import { ELF64_EHDR_SIZE, ELF64_PHDR_SIZE } from "./header.js";
import { viewOf } from "./internal/bounds.js";
import { type ProgramHeader, writePhdrUnchecked } from "./program-header.js";

/** One CPU: its id and the physical address of its `crash_notes` buffer (note_buf_t). */
export interface CrashCpu {
  cpu: number;
  crashNotesAddress: bigint;
  /** In cpu_possible_mask (default true). */
  possible?: boolean;
  /** In cpu_present_mask (default true). */
  present?: boolean;
}

/** A physical range, inclusive at both ends like the kernel's `struct range`. */
export interface MemoryRange {
  start: bigint;
  end: bigint;
}

/** What the kernel knows when it prepares the elfcorehdr. */
export interface ElfcorehdrSpec {
  e_machine: number;
  cpus: CrashCpu[];
  /** "possible" (default, kernels with crash hotplug) or "present" (older kernels). */
  cpuSelection?: "possible" | "present";
  /** sizeof(note_buf_t): 368 x86_64, 424 arm64, 536 ppc64 (reference §1.2). */
  noteBytes: number;
  /** paddr_vmcoreinfo_note() and VMCOREINFO_NOTE_SIZE. */
  vmcoreinfo: { address: bigint; size: number };
  /** The kernel-text PT_LOAD (need_kernel_map): __pa_symbol(_text), _text, _end - _text. */
  kernelText?: { paddr: bigint; vaddr: bigint; size: bigint };
  /** RAM ranges (sorted ascending, as the kernel walks System RAM). */
  memory: MemoryRange[];
  /** Ranges cut out of `memory`: the crash kernel reservation, on x86 also [0, 1 MiB). */
  exclude?: MemoryRange[];
  /** Direct-map base: a RAM PT_LOAD's p_vaddr is `__va(start) = start + pageOffset`. */
  pageOffset: bigint;
  /** The kernel hard-codes ELFDATA2LSB; false writes big-endian (kexec-tools style on BE). */
  littleEndian?: boolean;
  /** EI_OSABI (ELF_OSABI, 0 on every mainline arch). */
  osabi?: number;
}

/** ELF_CORE_HEADER_ALIGN in the kernel (kexec-tools uses 1024). */
export const ELF_CORE_HEADER_ALIGN = 4096;

/** Throws `E_INVALID_ARGUMENT` unless `r` is an inclusive range inside 64 bits. */
export function checkRange(r: MemoryRange, what: string): void {
  if (r.start < 0n || r.end < r.start || r.end >= 1n << 64n) {
    throw new ElfError("E_INVALID_ARGUMENT", `${what} [0x${r.start.toString(16)}, 0x${r.end.toString(16)}] is not a valid inclusive range`, { address: r.start });
  }
}

/**
 * `memory` with every `exclude` range cut out (kernel crash_exclude_mem_range: a range that
 * contains an excluded one is split in two, the pieces keep the input order).
 * @throws ElfError `E_INVALID_ARGUMENT` for a range with end < start.
 */
export function excludeRanges(memory: MemoryRange[], exclude: MemoryRange[] = []): MemoryRange[] {
  for (const r of exclude) checkRange(r, "excluded range");
  const out: MemoryRange[] = [];
  for (const r of memory) {
    checkRange(r, "memory range");
    let pieces: MemoryRange[] = [{ start: r.start, end: r.end }];
    for (const x of exclude) {
      const next: MemoryRange[] = [];
      for (const p of pieces) {
        if (x.end < p.start || x.start > p.end) {
          next.push(p);
          continue;
        }
        if (x.start > p.start) next.push({ start: p.start, end: x.start - 1n });
        if (x.end < p.end) next.push({ start: x.end + 1n, end: p.end });
      }
      pieces = next;
    }
    out.push(...pieces);
  }
  return out;
}

/** CPUs described by PT_NOTEs, in ascending id (for_each_possible_cpu / for_each_present_cpu). */
export function selectCpus(spec: ElfcorehdrSpec): CrashCpu[] {
  const key = spec.cpuSelection === "present" ? "present" : "possible";
  return spec.cpus.filter((c) => c[key] !== false).sort((a, b) => a.cpu - b.cpu);
}

/** A CPU's PT_NOTE: its crash_notes buffer, p_offset = p_paddr, sizeof(note_buf_t) long. */
export function cpuPhdr(c: CrashCpu, noteBytes: number): ProgramHeader {
  const size = BigInt(noteBytes);
  return { p_type: PT.NOTE, p_flags: 0, p_offset: c.crashNotesAddress, p_vaddr: 0n, p_paddr: c.crashNotesAddress, p_filesz: size, p_memsz: size, p_align: 0n };
}

/** A RAM PT_LOAD: p_offset = p_paddr = start, p_vaddr = __va(start), RWX, p_align 0. */
export function ramPhdr(r: MemoryRange, pageOffset: bigint): ProgramHeader {
  const size = r.end - r.start + 1n;
  return { p_type: PT.LOAD, p_flags: PF.R | PF.W | PF.X, p_offset: r.start, p_vaddr: BigInt.asUintN(64, r.start + pageOffset), p_paddr: r.start, p_filesz: size, p_memsz: size, p_align: 0n };
}

/** The program headers in the kernel's order: CPU notes, VMCOREINFO, kernel text, RAM. */
export function elfcorehdrPhdrs(spec: ElfcorehdrSpec, cpus: CrashCpu[], ram: MemoryRange[]): { notes: ProgramHeader[]; fixed: ProgramHeader[]; loads: ProgramHeader[] } {
  const notes = cpus.map((c) => cpuPhdr(c, spec.noteBytes));
  const vmci = BigInt(spec.vmcoreinfo.size);
  const fixed: ProgramHeader[] = [
    { p_type: PT.NOTE, p_flags: 0, p_offset: spec.vmcoreinfo.address, p_vaddr: 0n, p_paddr: spec.vmcoreinfo.address, p_filesz: vmci, p_memsz: vmci, p_align: 0n },
  ];
  if (spec.kernelText) {
    const k = spec.kernelText;
    fixed.push({ p_type: PT.LOAD, p_flags: PF.R | PF.W | PF.X, p_offset: k.paddr, p_vaddr: k.vaddr, p_paddr: k.paddr, p_filesz: k.size, p_memsz: k.size, p_align: 0n });
  }
  return { notes, fixed, loads: ram.map((r) => ramPhdr(r, spec.pageOffset)) };
}

/** The Elf64_Ehdr the kernel writes (reference §1.1 table), with `phnum` program headers. */
export function writeEhdr(v: DataView, out: Uint8Array, spec: ElfcorehdrSpec, phnum: number): void {
  const le = spec.littleEndian ?? true;
  out.set([0x7f, 0x45, 0x4c, 0x46, ELFCLASS.ELF64, le ? ELFDATA.LSB : ELFDATA.MSB, EV_CURRENT, spec.osabi ?? 0], 0);
  out.fill(0, 8, 16);
  v.setUint16(16, ET.CORE, le);
  v.setUint16(18, spec.e_machine, le);
  v.setUint32(20, EV_CURRENT, le);
  v.setBigUint64(24, 0n, le);
  v.setBigUint64(32, BigInt(ELF64_EHDR_SIZE), le);
  v.setBigUint64(40, 0n, le);
  v.setUint32(48, 0, le);
  v.setUint16(52, ELF64_EHDR_SIZE, le);
  v.setUint16(54, ELF64_PHDR_SIZE, le);
  v.setUint16(56, phnum, le);
  v.setUint16(58, 0, le);
  v.setUint16(60, 0, le);
  v.setUint16(62, 0, le);
}

/**
 * Throws `E_INVALID_ARGUMENT` unless `x` fits a u64 field: DataView.setBigUint64 would otherwise
 * store it modulo 2^64 without a word.
 */
export function checkU64(x: bigint, what: string): void {
  if (typeof x !== "bigint" || x < 0n || x >= 1n << 64n) throw new ElfError("E_INVALID_ARGUMENT", `${what} ${String(x)} is not a u64`);
}

function checkUint(x: number, bits: number, what: string): void {
  if (!Number.isInteger(x) || x < 0 || x >= 2 ** bits) throw new ElfError("E_INVALID_ARGUMENT", `${what} ${x} is not a u${bits}`);
}

/**
 * Throws `E_INVALID_ARGUMENT` for a bad note size, a bad or duplicate CPU id, or a value that does
 * not fit the field it is written to (u64 addresses and sizes, u16 e_machine, u8 EI_OSABI).
 */
export function checkSpec(spec: ElfcorehdrSpec): void {
  if (!Number.isSafeInteger(spec.noteBytes) || spec.noteBytes <= 0) throw new ElfError("E_INVALID_ARGUMENT", `bad noteBytes ${spec.noteBytes}`);
  checkUint(spec.e_machine, 16, "e_machine");
  checkUint(spec.osabi ?? 0, 8, "EI_OSABI");
  checkU64(spec.pageOffset, "pageOffset");
  checkU64(spec.vmcoreinfo.address, "VMCOREINFO address");
  if (!Number.isSafeInteger(spec.vmcoreinfo.size) || spec.vmcoreinfo.size < 0) {
    throw new ElfError("E_INVALID_ARGUMENT", `VMCOREINFO size ${spec.vmcoreinfo.size} is not a byte count`);
  }
  if (spec.kernelText) {
    checkU64(spec.kernelText.paddr, "kernel text paddr");
    checkU64(spec.kernelText.vaddr, "kernel text vaddr");
    checkU64(spec.kernelText.size, "kernel text size");
  }
  const seen = new Set<number>();
  for (const c of spec.cpus) {
    if (!Number.isSafeInteger(c.cpu) || c.cpu < 0 || seen.has(c.cpu)) throw new ElfError("E_INVALID_ARGUMENT", `bad or duplicate CPU id ${c.cpu}`);
    checkU64(c.crashNotesAddress, `CPU ${c.cpu} crash_notes address`);
    seen.add(c.cpu);
  }
}

/**
 * Builds the elfcorehdr exactly as crash_prepare_elf64_headers() does (reference §1.1): sized for
 * every possible CPU + VMCOREINFO + the kernel-text slot (always counted) + the RAM ranges left after
 * `exclude`, rounded up to 4096 bytes, unused bytes zero; e_phnum counts what was written.
 * @throws ElfError `E_INVALID_ARGUMENT` (bad ranges, duplicate CPUs, values that do not fit their fields), `E_CAPACITY` (more than 65535 phdrs,
 *   which the kernel's u16 e_phnum cannot count).
 */
export function buildElfcorehdr(spec: ElfcorehdrSpec): Uint8Array {
  checkSpec(spec);
  const ram = excludeRanges(spec.memory, spec.exclude);
  const possible = spec.cpus.filter((c) => c.possible !== false).length;
  const slots = elfcorehdrSlotsNeeded(possible, ram.length);
  const { notes, fixed, loads } = elfcorehdrPhdrs(spec, selectCpus(spec), ram);
  const all = [...notes, ...fixed, ...loads];
  if (all.length >= PN_XNUM || slots >= PN_XNUM) throw new ElfError("E_CAPACITY", `${slots} program headers do not fit the 16-bit e_phnum`);
  const size = alignUp(ELF64_EHDR_SIZE + Math.max(slots, all.length) * ELF64_PHDR_SIZE, ELF_CORE_HEADER_ALIGN);
  const out = new Uint8Array(size);
  const v = viewOf(out);
  const le = spec.littleEndian ?? true;
  writeEhdr(v, out, spec, all.length);
  all.forEach((ph, i) => writePhdrUnchecked(v, ELF64_EHDR_SIZE + i * ELF64_PHDR_SIZE, ph, 64, le));
  return out;
}

/** `n` rounded up to a multiple of `a`. */
export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * Program-header slots the kernel counts for a state (crash_prepare_elf64_headers' nr_phdr,
 * reference §1.1): one per CPU note, VMCOREINFO, the kernel-text slot (counted even when no
 * kernel-text PT_LOAD is written, as on powerpc), one per RAM range.
 */
export function elfcorehdrSlotsNeeded(cpus: number, ranges: number): number {
  return cpus + 1 + 1 + ranges;
}

/**
 * Size of an elfcorehdr segment sized for `slots` program headers (reference §1.5): x86's
 * `memsz = pnum * 56 + 64`, page-aligned by kexec_add_buffer (ALIGN(memsz, PAGE_SIZE), 4096 here).
 * @throws ElfError `E_INVALID_ARGUMENT` for a negative or non-integer count.
 */
export function elfcorehdrSegmentSize(slots: number): number {
  if (!Number.isSafeInteger(slots) || slots < 0) throw new ElfError("E_INVALID_ARGUMENT", `bad slot count ${slots}`);
  return alignUp(ELF64_EHDR_SIZE + slots * ELF64_PHDR_SIZE, ELF_CORE_HEADER_ALIGN);
}

/**
 * Program-header slots a segment of `size` bytes holds (reference §1.5): the kernel accepts a
 * rebuilt header when its page-aligned size `ALIGN(64 + nr_phdr * 56, 4096)` is at most the
 * segment's page-aligned memsz, i.e. when `nr_phdr <= floor((size − 64) / 56)`; capped at
 * PN_XNUM − 1 because e_phnum is 16 bits. 0 for a segment smaller than the ELF header.
 */
export function elfcorehdrSlots(size: number): number {
  if (!Number.isSafeInteger(size) || size < ELF64_EHDR_SIZE) return 0;
  return Math.min(Math.floor((size - ELF64_EHDR_SIZE) / ELF64_PHDR_SIZE), PN_XNUM - 1);
}

