// An elfcorehdr with hotplug headroom (CONFIG_CRASH_HOTPLUG), updated in place the way the
// kernel's crash hotplug handler updates the loaded segment (reference §1.5): created from a spec
// with room for more CPUs and ranges, or opened from the bytes of an existing header.
import { PN_XNUM } from "./constants.js";
import {
  type CrashCpu, type ElfcorehdrSpec, type MemoryRange,
  checkRange, checkSpec, checkU64, cpuPhdr, elfcorehdrPhdrs, elfcorehdrSegmentSize, elfcorehdrSlots, elfcorehdrSlotsNeeded,
  excludeRanges, ramPhdr, selectCpus, writeEhdr,
} from "./elfcorehdr-build.js";
import { type ElfcorehdrRecoveryOptions, recoverElfcorehdr } from "./elfcorehdr-recover.js";
import { ElfError } from "./errors.js";
import { ELF64_EHDR_SIZE, ELF64_PHDR_SIZE } from "./header.js";
import { viewOf } from "./internal/bounds.js";
import { type ProgramHeader, writePhdrUnchecked } from "./program-header.js";

/** Headroom of an elfcorehdr segment, in CPUs and memory ranges (the kernel's CRASH_HOTPLUG sizing). */
export interface ElfcorehdrCapacity {
  maxCpus: number;
  maxMemoryRanges: number;
}

/**
 * An elfcorehdr segment updated in place on hotplug events: same buffer, same size, header and
 * phdrs rewritten, unused bytes zero. After every event the used part is byte-identical to
 * buildElfcorehdr() of the current state.
 *
 * Capacity follows the kernel (reference §1.5): the segment is sized once, x86-style, as
 * `(2 + maxCpus + maxMemoryRanges) * 56 + 64` bytes page-aligned (kexec_add_buffer), and an update
 * is accepted when the rebuilt header fits the segment. So the capacity is what the buffer holds,
 * `floor((buffer.length − 64) / 56)` slots (elfcorehdrSlots), and a state needs the kernel's nr_phdr
 * slots: CPU notes + VMCOREINFO + the kernel-text slot (counted even without a kernel-text PT_LOAD)
 * + RAM ranges (elfcorehdrSlotsNeeded). The page alignment gives more slots than were asked for
 * (4 CPUs + 4 ranges ask for 10, the 4096-byte segment holds 72), and the kernel uses them too.
 * An event whose state needs more slots throws `E_CAPACITY` and leaves the buffer as it was.
 * Memory events splice the PT_LOAD region (one copyWithin), they never rewrite the table.
 */
export class Elfcorehdr {
  /** The elfcorehdr segment, the kernel's segment size (ALIGN(64 + slots × 56, 4096) from create). */
  readonly buffer: Uint8Array;
  /** Program-header slots the buffer holds: floor((buffer.length − 64) / 56), at most PN_XNUM − 1. */
  readonly capacity: number;
  /** How fromBytes identified each part of the header (empty for create). */
  readonly recovery: readonly string[];
  readonly #view: DataView;
  readonly #spec: ElfcorehdrSpec;
  readonly #le: boolean;
  /** CPUs with a PT_NOTE, ascending. */
  #cpus: CrashCpu[];
  /** RAM ranges with a PT_LOAD (after exclusion), ascending, disjoint. */
  #ram: MemoryRange[];
  /** e_phnum as written. */
  #used = 0;

  private constructor(buffer: Uint8Array, spec: ElfcorehdrSpec, cpus: CrashCpu[], ram: MemoryRange[], recovery: string[]) {
    this.buffer = buffer;
    this.capacity = elfcorehdrSlots(buffer.length);
    this.recovery = recovery;
    this.#view = viewOf(this.buffer);
    this.#spec = spec;
    this.#le = spec.littleEndian ?? true;
    this.#cpus = cpus;
    this.#ram = ram;
  }

  /**
   * Prepares the elfcorehdr for `spec` in a segment sized for `2 + maxCpus + maxMemoryRanges`
   * program headers (x86 crash_load_segments' pnum, page-aligned; reference §1.5). The per-kind
   * maxima only size the segment: like the kernel, later events are checked against the total.
   * @throws ElfError `E_CAPACITY` when `spec` already needs more slots than the segment holds or the
   *   requested slots reach PN_XNUM, `E_INVALID_ARGUMENT` for overlapping memory ranges or bad CPUs.
   */
  static create(spec: ElfcorehdrSpec, capacity: ElfcorehdrCapacity): Elfcorehdr {
    checkSpec(spec);
    const { maxCpus, maxMemoryRanges } = capacity;
    if (!Number.isSafeInteger(maxCpus) || !Number.isSafeInteger(maxMemoryRanges) || maxCpus < 0 || maxMemoryRanges < 0) {
      throw new ElfError("E_INVALID_ARGUMENT", `bad capacity ${maxCpus} CPUs / ${maxMemoryRanges} ranges`);
    }
    const requested = elfcorehdrSlotsNeeded(maxCpus, maxMemoryRanges);
    // The kernel gives up on headroom at PN_XNUM ("number of Phdrs exceeds max"): refuse instead.
    if (requested >= PN_XNUM) throw new ElfError("E_CAPACITY", `${requested} program header slots do not fit the 16-bit e_phnum`);
    const ram = excludeRanges(spec.memory, spec.exclude).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    for (let i = 1; i < ram.length; i++) {
      if (ram[i]!.start <= ram[i - 1]!.end) throw new ElfError("E_INVALID_ARGUMENT", "memory ranges overlap", { address: ram[i]!.start });
    }
    const cpus = selectCpus(spec);
    const buffer = new Uint8Array(elfcorehdrSegmentSize(requested));
    const needed = elfcorehdrSlotsNeeded(cpus.length, ram.length);
    if (needed > elfcorehdrSlots(buffer.length)) {
      throw new ElfError("E_CAPACITY", `the initial state needs ${needed} program header slots (${cpus.length} CPUs, ${ram.length} ranges), the ${buffer.length}-byte segment holds ${elfcorehdrSlots(buffer.length)}`);
    }
    const hdr = new Elfcorehdr(buffer, { ...spec, cpus: [...spec.cpus], memory: [], exclude: [...(spec.exclude ?? [])] }, cpus, ram, []);
    hdr.#rewriteAll();
    return hdr;
  }

  /**
   * Opens an existing elfcorehdr (one the kernel prepared, read back from memory, or one we wrote)
   * for in-place updates. `bytes` becomes the buffer (updates write into it: pass a copy to keep
   * the original) and must be the whole segment, since its length is the capacity. The spec is
   * recovered by recoverElfcorehdr's rules and must rebuild the bytes exactly.
   * @throws ElfError `E_BAD_ELFCOREHDR` (not the kernel's layout, naming the offset),
   *   `E_CAPACITY` (the state already needs more slots than the bytes hold: a header cut to
   *   e_phnum without its kernel-text slot; pad it to the segment size), `E_INVALID_ARGUMENT`
   *   (bad `cpuIds`), and the ELF header reader's codes for bytes that are not ELF.
   */
  static fromBytes(bytes: Uint8Array, options: ElfcorehdrRecoveryOptions = {}): Elfcorehdr {
    const r = recoverElfcorehdr(bytes, options);
    if (r.neededSlots > r.capacity) {
      throw new ElfError("E_CAPACITY", `the header needs ${r.neededSlots} program header slots (the kernel-text slot is always counted), its ${bytes.length} bytes hold ${r.capacity}: pass the whole segment`, { offset: bytes.length });
    }
    const hdr = new Elfcorehdr(bytes, r.spec, r.spec.cpus.map((c) => ({ ...c })), r.spec.memory.map((m) => ({ ...m })), r.rules);
    hdr.#used = r.used;
    return hdr;
  }

  /** Program headers in use (e_phnum). */
  get used(): number {
    return this.#cpus.length + 1 + (this.#spec.kernelText ? 1 : 0) + this.#ram.length;
  }

  /** Slots the current state needs by the kernel's count (nr_phdr): `used`, plus 1 without a kernel-text PT_LOAD. */
  get neededSlots(): number {
    return elfcorehdrSlotsNeeded(this.#cpus.length, this.#ram.length);
  }

  /** Program headers that can still be added: capacity − neededSlots. */
  freeSlots(): number {
    return this.capacity - this.neededSlots;
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

  /** `extra` more program headers must still fit the segment (the kernel's elfsz <= memsz check). */
  #capacityCheck(extra: number, what: string): void {
    const needed = this.neededSlots + extra;
    if (needed > this.capacity) {
      throw new ElfError("E_CAPACITY", `${what} needs ${needed} program header slots, the ${this.buffer.length}-byte segment holds ${this.capacity}`);
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
   * @throws ElfError `E_CAPACITY` (buffer untouched), `E_INVALID_ARGUMENT` if the CPU is already there
   *   or its crash_notes address is not a u64.
   */
  addCpu(cpu: CrashCpu): void {
    if (!Number.isSafeInteger(cpu.cpu) || cpu.cpu < 0) throw new ElfError("E_INVALID_ARGUMENT", `bad CPU id ${cpu.cpu}`);
    checkU64(cpu.crashNotesAddress, `CPU ${cpu.cpu} crash_notes address`);
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
