// The kdump elfcorehdr exactly as the kernel's crash_prepare_elf64_headers() (kernel/crash_core.c)
// lays it out, and an in-place updatable one sized with hotplug headroom (CONFIG_CRASH_HOTPLUG).
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

function checkRange(r: MemoryRange, what: string): void {
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
function selectCpus(spec: ElfcorehdrSpec): CrashCpu[] {
  const key = spec.cpuSelection === "present" ? "present" : "possible";
  return spec.cpus.filter((c) => c[key] !== false).sort((a, b) => a.cpu - b.cpu);
}

function cpuPhdr(c: CrashCpu, noteBytes: number): ProgramHeader {
  const size = BigInt(noteBytes);
  return { p_type: PT.NOTE, p_flags: 0, p_offset: c.crashNotesAddress, p_vaddr: 0n, p_paddr: c.crashNotesAddress, p_filesz: size, p_memsz: size, p_align: 0n };
}

function ramPhdr(r: MemoryRange, pageOffset: bigint): ProgramHeader {
  const size = r.end - r.start + 1n;
  return { p_type: PT.LOAD, p_flags: PF.R | PF.W | PF.X, p_offset: r.start, p_vaddr: BigInt.asUintN(64, r.start + pageOffset), p_paddr: r.start, p_filesz: size, p_memsz: size, p_align: 0n };
}

/** The program headers in the kernel's order: CPU notes, VMCOREINFO, kernel text, RAM. */
function elfcorehdrPhdrs(spec: ElfcorehdrSpec, cpus: CrashCpu[], ram: MemoryRange[]): { notes: ProgramHeader[]; fixed: ProgramHeader[]; loads: ProgramHeader[] } {
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

function writeEhdr(v: DataView, out: Uint8Array, spec: ElfcorehdrSpec, phnum: number): void {
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

function checkSpec(spec: ElfcorehdrSpec): void {
  if (!Number.isSafeInteger(spec.noteBytes) || spec.noteBytes <= 0) throw new ElfError("E_INVALID_ARGUMENT", `bad noteBytes ${spec.noteBytes}`);
  const seen = new Set<number>();
  for (const c of spec.cpus) {
    if (!Number.isSafeInteger(c.cpu) || c.cpu < 0 || seen.has(c.cpu)) throw new ElfError("E_INVALID_ARGUMENT", `bad or duplicate CPU id ${c.cpu}`);
    seen.add(c.cpu);
  }
}

/**
 * Builds the elfcorehdr exactly as crash_prepare_elf64_headers() does (reference §1.1): sized for
 * every possible CPU + VMCOREINFO + the kernel-text slot (always counted) + the RAM ranges left after
 * `exclude`, rounded up to 4096 bytes, unused bytes zero; e_phnum counts what was written.
 * @throws ElfError `E_INVALID_ARGUMENT` (bad ranges, duplicate CPUs), `E_CAPACITY` (more than 65535 phdrs,
 *   which the kernel's u16 e_phnum cannot count).
 */
export function buildElfcorehdr(spec: ElfcorehdrSpec): Uint8Array {
  checkSpec(spec);
  const ram = excludeRanges(spec.memory, spec.exclude);
  const possible = spec.cpus.filter((c) => c.possible !== false).length;
  const slots = possible + 1 + ram.length + 1;
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

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Capacity of an in-place elfcorehdr, in CPUs and memory ranges. */
export interface ElfcorehdrCapacity {
  maxCpus: number;
  maxMemoryRanges: number;
}

/**
 * An elfcorehdr allocated once with headroom for `2 + maxCpus + maxMemoryRanges` program headers
 * (the kernel's CRASH_HOTPLUG sizing: VMCOREINFO + kernel text + CPUs + ranges) and updated in
 * place on hotplug events: same buffer, same size, header and phdrs rewritten, unused bytes zero.
 * After every event the used part is byte-identical to buildElfcorehdr() of the current state.
 * An event that needs more slots than the capacity throws `E_CAPACITY` and leaves the buffer as
 * it was. Memory events splice the PT_LOAD region (one copyWithin), they never rewrite the table.
 */
export class Elfcorehdr {
  /** The elfcorehdr segment: ALIGN(64 + capacity * 56, 4096) bytes. */
  readonly buffer: Uint8Array;
  /** Program header slots reserved. */
  readonly capacity: number;
  readonly #view: DataView;
  readonly #spec: ElfcorehdrSpec;
  readonly #le: boolean;
  /** CPUs with a PT_NOTE, ascending. */
  #cpus: CrashCpu[];
  /** RAM ranges with a PT_LOAD (after exclusion), ascending, disjoint. */
  #ram: MemoryRange[];
  /** Index of the first RAM PT_LOAD. */
  #used = 0;

  private constructor(spec: ElfcorehdrSpec, capacity: number, cpus: CrashCpu[], ram: MemoryRange[]) {
    this.capacity = capacity;
    this.buffer = new Uint8Array(alignUp(ELF64_EHDR_SIZE + capacity * ELF64_PHDR_SIZE, ELF_CORE_HEADER_ALIGN));
    this.#view = viewOf(this.buffer);
    this.#spec = spec;
    this.#le = spec.littleEndian ?? true;
    this.#cpus = cpus;
    this.#ram = ram;
  }

  /**
   * Prepares the elfcorehdr for `spec` with room for `capacity`.
   * @throws ElfError `E_CAPACITY` when `spec` already needs more slots (or the capacity reaches
   *   PN_XNUM), `E_INVALID_ARGUMENT` for overlapping memory ranges or bad CPUs.
   */
  static create(spec: ElfcorehdrSpec, capacity: ElfcorehdrCapacity): Elfcorehdr {
    checkSpec(spec);
    const { maxCpus, maxMemoryRanges } = capacity;
    if (!Number.isSafeInteger(maxCpus) || !Number.isSafeInteger(maxMemoryRanges) || maxCpus < 0 || maxMemoryRanges < 0) {
      throw new ElfError("E_INVALID_ARGUMENT", `bad capacity ${maxCpus} CPUs / ${maxMemoryRanges} ranges`);
    }
    const slots = 2 + maxCpus + maxMemoryRanges;
    if (slots >= PN_XNUM) throw new ElfError("E_CAPACITY", `${slots} program header slots do not fit the 16-bit e_phnum`);
    const ram = excludeRanges(spec.memory, spec.exclude).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    for (let i = 1; i < ram.length; i++) {
      if (ram[i]!.start <= ram[i - 1]!.end) throw new ElfError("E_INVALID_ARGUMENT", "memory ranges overlap", { address: ram[i]!.start });
    }
    const cpus = selectCpus(spec);
    const needed = cpus.length + 1 + (spec.kernelText ? 1 : 0) + ram.length;
    if (needed > slots || cpus.length > maxCpus || ram.length > maxMemoryRanges) {
      throw new ElfError("E_CAPACITY", `the initial state needs ${needed} program headers (${cpus.length} CPUs, ${ram.length} ranges), capacity ${slots}`);
    }
    const hdr = new Elfcorehdr({ ...spec, cpus: [...spec.cpus], memory: [], exclude: [...(spec.exclude ?? [])] }, slots, cpus, ram);
    hdr.#rewriteAll();
    return hdr;
  }

  /** Program headers in use (e_phnum). */
  get used(): number {
    return this.#cpus.length + 1 + (this.#spec.kernelText ? 1 : 0) + this.#ram.length;
  }

  /** Slots still free. */
  freeSlots(): number {
    return this.capacity - this.used;
  }

  /** CPUs that have a PT_NOTE, ascending. */
  get cpus(): readonly CrashCpu[] {
    return this.#cpus;
  }

  /** RAM ranges that have a PT_LOAD, ascending (after exclusion). */
  get memory(): readonly MemoryRange[] {
    return this.#ram;
  }

  /** The current state as a spec: buildElfcorehdr(spec()) reproduces the used bytes. */
  spec(): ElfcorehdrSpec {
    return { ...this.#spec, cpus: this.#cpus.map((c) => ({ ...c, possible: true, present: true })), cpuSelection: "possible", memory: this.#ram.map((r) => ({ ...r })) };
  }

  /** Index of the first RAM PT_LOAD slot. */
  #ramBase(): number {
    return this.#cpus.length + 1 + (this.#spec.kernelText ? 1 : 0);
  }

  #rewriteAll(): void {
    const { notes, fixed, loads } = elfcorehdrPhdrs(this.#spec, this.#cpus, this.#ram);
    const all = [...notes, ...fixed, ...loads];
    this.buffer.fill(0);
    writeEhdr(this.#view, this.buffer, this.#spec, all.length);
    all.forEach((ph, i) => writePhdrUnchecked(this.#view, ELF64_EHDR_SIZE + i * ELF64_PHDR_SIZE, ph, 64, this.#le));
    this.#used = all.length;
  }

  /**
   * Replaces `deleteCount` phdrs at slot `index` with `insert` by moving the tail once
   * (copyWithin), zeroing what the table gave up, and updating e_phnum. The one edit primitive.
   */
  #splice(index: number, deleteCount: number, insert: ProgramHeader[]): void {
    const delta = insert.length - deleteCount;
    const used = this.#used;
    const at = (slot: number) => ELF64_EHDR_SIZE + slot * ELF64_PHDR_SIZE;
    if (delta !== 0) this.buffer.copyWithin(at(index + insert.length), at(index + deleteCount), at(used));
    insert.forEach((ph, i) => writePhdrUnchecked(this.#view, at(index + i), ph, 64, this.#le));
    if (delta < 0) this.buffer.fill(0, at(used + delta), at(used));
    this.#used = used + delta;
    this.#view.setUint16(56, this.#used, this.#le);
  }

  #capacityCheck(extra: number, what: string): void {
    if (this.#used + extra > this.capacity) {
      throw new ElfError("E_CAPACITY", `${what} needs ${this.#used + extra} program headers, capacity is ${this.capacity}`);
    }
  }

  /** First index in #ram whose end >= address (binary search). */
  #firstEndingAtOrAfter(address: bigint): number {
    let lo = 0;
    let hi = this.#ram.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ram[mid]!.end < address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Memory hot-add (KEXEC_CRASH_HP_ADD_MEMORY): adds the PT_LOAD(s) for `range` minus the excluded
   * regions, in address order.
   * @throws ElfError `E_CAPACITY` (buffer untouched), `E_INVALID_ARGUMENT` if it overlaps described RAM.
   */
  addMemory(range: MemoryRange): void {
    checkRange(range, "memory range");
    const pieces = excludeRanges([range], this.#spec.exclude);
    if (pieces.length === 0) return;
    const i = this.#firstEndingAtOrAfter(range.start);
    const next = this.#ram[i];
    if (next && next.start <= range.end) {
      throw new ElfError("E_INVALID_ARGUMENT", `memory [0x${range.start.toString(16)}, 0x${range.end.toString(16)}] overlaps a described range`, { address: range.start });
    }
    this.#capacityCheck(pieces.length, "memory add");
    this.#splice(this.#ramBase() + i, 0, pieces.map((r) => ramPhdr(r, this.#spec.pageOffset)));
    this.#ram.splice(i, 0, ...pieces);
  }

  /**
   * Memory hot-remove (KEXEC_CRASH_HP_REMOVE_MEMORY): cuts `range` out of the described RAM,
   * trimming, splitting or dropping PT_LOADs. Removing memory that is not described does nothing.
   * @throws ElfError `E_CAPACITY` when a split needs a slot that is not there (buffer untouched).
   */
  removeMemory(range: MemoryRange): void {
    checkRange(range, "memory range");
    const first = this.#firstEndingAtOrAfter(range.start);
    let last = first;
    while (last < this.#ram.length && this.#ram[last]!.start <= range.end) last++;
    if (last === first) return;
    const replacement = excludeRanges(this.#ram.slice(first, last), [range]);
    this.#capacityCheck(replacement.length - (last - first), "memory remove");
    this.#splice(this.#ramBase() + first, last - first, replacement.map((r) => ramPhdr(r, this.#spec.pageOffset)));
    this.#ram.splice(first, last - first, ...replacement);
  }

  /**
   * CPU hot-add (KEXEC_CRASH_HP_ADD_CPU): adds a PT_NOTE for the CPU's crash_notes, in CPU-id order.
   * (With kexec_file the kernel already describes every possible CPU and skips CPU events.)
   * @throws ElfError `E_CAPACITY` (buffer untouched), `E_INVALID_ARGUMENT` if the CPU is already there.
   */
  addCpu(cpu: CrashCpu): void {
    if (!Number.isSafeInteger(cpu.cpu) || cpu.cpu < 0) throw new ElfError("E_INVALID_ARGUMENT", `bad CPU id ${cpu.cpu}`);
    let i = 0;
    while (i < this.#cpus.length && this.#cpus[i]!.cpu < cpu.cpu) i++;
    if (this.#cpus[i]?.cpu === cpu.cpu) throw new ElfError("E_INVALID_ARGUMENT", `CPU ${cpu.cpu} already has a PT_NOTE`);
    this.#capacityCheck(1, "cpu add");
    this.#splice(i, 0, [cpuPhdr(cpu, this.#spec.noteBytes)]);
    this.#cpus.splice(i, 0, { ...cpu });
  }

  /**
   * CPU hot-remove (KEXEC_CRASH_HP_REMOVE_CPU): drops the CPU's PT_NOTE.
   * @throws ElfError `E_INVALID_ARGUMENT` if the CPU has none.
   */
  removeCpu(cpu: number): void {
    const i = this.#cpus.findIndex((c) => c.cpu === cpu);
    if (i === -1) throw new ElfError("E_INVALID_ARGUMENT", `CPU ${cpu} has no PT_NOTE`);
    this.#splice(i, 1, []);
    this.#cpus.splice(i, 1);
  }
}
