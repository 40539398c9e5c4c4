// Reading an elfcorehdr back into the spec it was built from, so that it can be updated in place the
// way the kernel updates the loaded segment. The header stores no spec: everything comes from the
// program headers by the layout rules of crash_prepare_elf64_headers() (reference §1.1), and a header
// that does not follow them, or that can be read two ways, is refused rather than guessed.
import { ET, PN_XNUM, PT } from "./constants.js";
import { type CrashCpu, type ElfcorehdrSpec, type MemoryRange, buildElfcorehdr, elfcorehdrSlots, elfcorehdrSlotsNeeded } from "./elfcorehdr-build.js";
import { ElfError } from "./errors.js";
import { ELF64_EHDR_SIZE, ELF64_PHDR_SIZE, parseElfHeader } from "./header.js";
import { type ProgramHeader, parseProgramHeaders } from "./program-header.js";

/** What a caller may know that an elfcorehdr cannot say. All optional. */
export interface ElfcorehdrRecoveryOptions {
  /** CPU ids of the CPU PT_NOTEs in order, ascending (default 0..n-1: for_each_possible_cpu over a dense mask). */
  cpuIds?: number[];
  /** The direct-map base, when known: a lone PT_LOAD whose p_vaddr − p_paddr differs from it is kernel text. */
  pageOffset?: bigint;
  /** Direct-map base assumed when the header has no RAM PT_LOAD and `pageOffset` is not given (the arch's PAGE_OFFSET without KASLR). */
  defaultPageOffset?: bigint;
  /** Lowest kernel-image virtual address (x86_64 __START_KERNEL_map): a lone PT_LOAD at or above it is kernel text. */
  kernelImageBase?: bigint;
  /** Whether the arch writes a kernel-text PT_LOAD (need_kernel_map); false makes a lone PT_LOAD RAM. */
  kernelText?: boolean;
  /** sizeof(note_buf_t), needed only when the header has no CPU PT_NOTE to learn it from. */
  noteBytes?: number;
  /** Ranges cut out of memory hot-added later (the crashkernel reservation; x86 also [0, 1 MiB)). */
  exclude?: MemoryRange[];
}

/** An elfcorehdr read back: the spec that rebuilds it, and its size in program-header slots. */
export interface RecoveredElfcorehdr {
  /** buildElfcorehdr({ ...spec, exclude: [] }) reproduces the header; `exclude` is the option's, for later hot-adds. */
  spec: ElfcorehdrSpec;
  /** e_phnum. */
  used: number;
  /** Slots the kernel counts for this state (nr_phdr: e_phnum, plus the kernel-text slot when there is no kernel-text PT_LOAD). */
  neededSlots: number;
  /** Slots the bytes hold (elfcorehdrSlots of their length). */
  capacity: number;
  /** How each part was identified, in words (for reports, and for a reader who doubts it). */
  rules: string[];
}

function bad(message: string, offset: number): never {
  throw new ElfError("E_BAD_ELFCOREHDR", message, { offset });
}

const phdrOffset = (i: number): number => ELF64_EHDR_SIZE + i * ELF64_PHDR_SIZE;
const hex = (v: bigint): string => `0x${v.toString(16)}`;
/** p_vaddr − p_paddr modulo 2^64: one value for every RAM PT_LOAD (the direct map), another for kernel text. */
const delta = (p: ProgramHeader): bigint => BigInt.asUintN(64, p.p_vaddr - p.p_paddr);

function checkCpuIds(ids: number[]): void {
  ids.forEach((c, i) => {
    if (!Number.isSafeInteger(c) || c < 0 || (i > 0 && c <= ids[i - 1]!)) {
      throw new ElfError("E_INVALID_ARGUMENT", `cpuIds must be ascending non-negative integers (the kernel writes CPU notes in CPU-id order); ${c} at position ${i} is not`);
    }
  });
}

/** Rule 1: the PT_NOTEs come first, the last one is VMCOREINFO, the others are CPU notes of one size. */
function splitNotes(phdrs: ProgramHeader[], options: ElfcorehdrRecoveryOptions, rules: string[]): { nNotes: number; noteBytes: number } {
  let nNotes = 0;
  while (nNotes < phdrs.length && phdrs[nNotes]!.p_type === PT.NOTE) nNotes++;
  if (nNotes === 0) bad("phdr 0 is not a PT_NOTE: the kernel writes the CPU notes and VMCOREINFO first", phdrOffset(0));
  for (let i = nNotes; i < phdrs.length; i++) {
    if (phdrs[i]!.p_type !== PT.LOAD) bad(`phdr ${i} has p_type ${phdrs[i]!.p_type}: after the PT_NOTEs the kernel writes only PT_LOADs`, phdrOffset(i));
  }
  phdrs.forEach((p, i) => {
    if (p.p_offset !== p.p_paddr) bad(`phdr ${i}: p_offset ${hex(p.p_offset)} differs from p_paddr ${hex(p.p_paddr)} (a redirected backup region, powerpc's sync_backup_region_phdr): not supported`, phdrOffset(i));
    if (p.p_filesz !== p.p_memsz) bad(`phdr ${i}: p_filesz differs from p_memsz`, phdrOffset(i));
    if (p.p_memsz === 0n) bad(`phdr ${i} is empty: the kernel describes no empty note or range`, phdrOffset(i));
    if (p.p_type === PT.NOTE && p.p_memsz > BigInt(Number.MAX_SAFE_INTEGER)) bad(`phdr ${i}: a PT_NOTE of ${p.p_memsz} bytes`, phdrOffset(i));
  });
  const cpuNotes = nNotes - 1;
  const noteBytes = cpuNotes > 0 ? Number(phdrs[0]!.p_memsz) : options.noteBytes;
  if (noteBytes === undefined) bad("no CPU PT_NOTE to learn sizeof(note_buf_t) from: give noteBytes", phdrOffset(0));
  for (let i = 1; i < cpuNotes; i++) {
    if (Number(phdrs[i]!.p_memsz) !== noteBytes) bad(`PT_NOTE ${i} is ${phdrs[i]!.p_memsz} bytes, PT_NOTE 0 is ${noteBytes}: CPU notes all have sizeof(note_buf_t)`, phdrOffset(i));
  }
  if (cpuNotes > 0 && Number(phdrs[nNotes - 1]!.p_memsz) === noteBytes) {
    bad(`the last PT_NOTE has the CPU note size (${noteBytes}): VMCOREINFO cannot be told from a CPU note`, phdrOffset(nNotes - 1));
  }
  rules.push(cpuNotes > 0
    ? `PT_NOTE 0..${cpuNotes - 1} are CPU crash_notes (${noteBytes} bytes each), PT_NOTE ${nNotes - 1} is VMCOREINFO (the last note)`
    : `PT_NOTE 0 is VMCOREINFO (the only note); no CPU notes`);
  return { nNotes, noteBytes };
}

/** Rule 2: CPU ids are not stored; note k is CPU cpuIds[k], by default CPU k. */
function cpusOf(cpuNotes: ProgramHeader[], options: ElfcorehdrRecoveryOptions, rules: string[]): CrashCpu[] {
  let ids = cpuNotes.map((_, k) => k);
  if (options.cpuIds) {
    checkCpuIds(options.cpuIds);
    if (options.cpuIds.length !== cpuNotes.length) throw new ElfError("E_INVALID_ARGUMENT", `cpuIds lists ${options.cpuIds.length} CPUs, the header has ${cpuNotes.length} CPU notes`);
    ids = [...options.cpuIds];
    rules.push(`CPU ids given: ${ids.join(",")}`);
  } else if (cpuNotes.length > 0) rules.push(`CPU ids assumed 0..${cpuNotes.length - 1} (note order; give cpuIds for a sparse possible mask)`);
  return cpuNotes.map((p, k) => ({ cpu: ids[k]!, crashNotesAddress: p.p_offset }));
}

/** Rule 3: after the notes, an optional kernel-text PT_LOAD, then RAM PT_LOADs sharing one direct-map delta. */
function splitLoads(loads: ProgramHeader[], first: number, options: ElfcorehdrRecoveryOptions, rules: string[]): { kernelText: ProgramHeader | undefined; ram: ProgramHeader[] } {
  let kernelText: ProgramHeader | undefined;
  let ram = loads;
  if (loads.length >= 2) {
    // The last PT_LOAD is always RAM; a first one with another delta is the kernel-text mapping.
    const ramDelta = delta(loads[loads.length - 1]!);
    if (delta(loads[0]!) !== ramDelta) [kernelText, ...ram] = loads;
    const base = first + loads.length - ram.length;
    ram.forEach((p, k) => {
      if (delta(p) !== ramDelta) bad(`RAM PT_LOAD ${k} maps with another p_vaddr − p_paddr than the last PT_LOAD and is not the first PT_LOAD: not a kernel layout`, phdrOffset(base + k));
    });
  } else if (loads.length === 1) {
    const only = loads[0]!;
    const byWindow = options.kernelImageBase !== undefined && only.p_vaddr >= options.kernelImageBase;
    const byOffset = options.pageOffset !== undefined && delta(only) !== options.pageOffset;
    if (byWindow || byOffset) [kernelText, ram] = [only, []];
    else if (options.pageOffset === undefined && options.kernelText !== false) {
      bad(`one PT_LOAD (p_vaddr ${hex(only.p_vaddr)}): kernel text or RAM? give pageOffset (the direct-map base) to decide`, phdrOffset(first));
    }
  }
  if (kernelText) rules.push(`PT_LOAD at phdr ${first} is the kernel-text mapping (its p_vaddr − p_paddr differs from the RAM ranges')`);
  return { kernelText, ram };
}

/** Rule 3 continued: RAM ranges as the kernel wrote them, sorted and disjoint. */
function memoryOf(ram: ProgramHeader[], base: number): MemoryRange[] {
  const memory = ram.map((p, k) => {
    const end = p.p_paddr + p.p_memsz - 1n;
    if (end >= 1n << 64n) bad(`RAM PT_LOAD ${k} ends past 2^64`, phdrOffset(base + k));
    return { start: p.p_paddr, end };
  });
  for (let k = 1; k < memory.length; k++) {
    if (memory[k]!.start <= memory[k - 1]!.end) bad(`RAM PT_LOAD ${k} is not above the previous one: the kernel writes sorted, disjoint ranges`, phdrOffset(base + k));
  }
  return memory;
}

/** Rule 5: the spec must rebuild the bytes exactly, and everything after the table must be zero. */
function checkRebuild(bytes: Uint8Array, spec: ElfcorehdrSpec, used: number): void {
  let rebuilt: Uint8Array;
  try {
    // Exclusions are for later hot-adds only: the recovered ranges are already what was written.
    rebuilt = buildElfcorehdr({ ...spec, exclude: [] });
  } catch (error) {
    bad(`the recovered layout cannot be rebuilt: ${(error as Error).message}`, phdrOffset(0));
  }
  const end = phdrOffset(used);
  for (let i = 0; i < bytes.length; i++) {
    const want = i < end ? rebuilt[i] : 0;
    if (bytes[i] !== want) {
      bad(i >= end
        ? `byte ${i} after the program headers is not zero (the kernel zero-fills the segment)`
        : `byte ${i} (${i < ELF64_EHDR_SIZE ? "ELF header" : `phdr ${Math.floor((i - ELF64_EHDR_SIZE) / ELF64_PHDR_SIZE)}`}) is not what the kernel writes for this layout`, i);
    }
  }
}

/**
 * Recovers the spec of an ELF64 elfcorehdr in the kernel's layout (crash_prepare_elf64_headers,
 * reference §1.1):
 * 1. PT_NOTEs come first; the LAST PT_NOTE is VMCOREINFO, every earlier one a CPU's crash_notes
 *    (p_offset = p_paddr = its physical address, all sizeof(note_buf_t) bytes).
 * 2. CPU ids are not stored: note k is CPU `options.cpuIds[k]`, by default CPU k.
 * 3. After the notes only PT_LOADs with p_offset = p_paddr. RAM PT_LOADs share one direct-map delta
 *    p_vaddr − p_paddr and the last PT_LOAD is RAM; a first PT_LOAD with another delta is kernel text.
 *    A lone PT_LOAD is kernel text when `kernelImageBase` or `pageOffset` says so, RAM when
 *    `pageOffset` or `kernelText: false` says so, and refused otherwise.
 * 4. Capacity from the buffer: the bytes are the whole segment (elfcorehdrSlots of their length).
 * 5. buildElfcorehdr of the recovered spec must reproduce the bytes, zero after the table.
 * @throws ElfError `E_BAD_ELFCOREHDR` naming the offending offset; `E_INVALID_ARGUMENT` for bad
 *   `cpuIds`; the header reader's codes (`E_TRUNCATED`, `E_BAD_MAGIC`…) for bytes that are not ELF.
 */
export function recoverElfcorehdr(bytes: Uint8Array, options: ElfcorehdrRecoveryOptions = {}): RecoveredElfcorehdr {
  const ehdr = parseElfHeader(bytes);
  const { ident } = ehdr;
  if (ident.elfClass !== 64) bad("not ELF64: the kernel writes only ELF64 elfcorehdrs (ELF32 ones come from kexec-tools)", 4);
  if (ehdr.e_type !== ET.CORE) bad(`e_type ${ehdr.e_type} is not ET_CORE`, 16);
  if (ehdr.e_phoff !== BigInt(ELF64_EHDR_SIZE) || ehdr.e_phentsize !== ELF64_PHDR_SIZE) {
    bad(`program headers at ${ehdr.e_phoff}, ${ehdr.e_phentsize} bytes each: the kernel writes them at 64, 56 bytes each`, 32);
  }
  const used = ehdr.e_phnum;
  if (used === 0 || used >= PN_XNUM) bad(`e_phnum ${used}: an elfcorehdr has at least the VMCOREINFO note and fewer than PN_XNUM entries`, 56);
  if (phdrOffset(used) > bytes.length) bad(`${used} program headers do not fit in ${bytes.length} bytes`, bytes.length);
  const phdrs = parseProgramHeaders(bytes.subarray(ELF64_EHDR_SIZE, phdrOffset(used)), ident, used, ELF64_EHDR_SIZE);
  const rules: string[] = [];

  const { nNotes, noteBytes } = splitNotes(phdrs, options, rules);
  const cpus = cpusOf(phdrs.slice(0, nNotes - 1), options, rules);
  const info = phdrs[nNotes - 1]!;
  const { kernelText, ram } = splitLoads(phdrs.slice(nNotes), nNotes, options, rules);
  const memory = memoryOf(ram, used - ram.length);
  const pageOffset = ram.length > 0 ? delta(ram[0]!) : options.pageOffset ?? options.defaultPageOffset;
  if (pageOffset === undefined) bad("no RAM PT_LOAD to learn the direct-map base from: give pageOffset", phdrOffset(nNotes));
  rules.push(ram.length > 0
    ? `direct-map base ${hex(pageOffset)} from the RAM PT_LOADs`
    : `direct-map base ${hex(pageOffset)} ${options.pageOffset !== undefined ? "given" : "assumed (default)"}`);

  const spec: ElfcorehdrSpec = {
    e_machine: ehdr.e_machine,
    cpus,
    cpuSelection: "possible",
    noteBytes,
    vmcoreinfo: { address: info.p_offset, size: Number(info.p_memsz) },
    ...(kernelText ? { kernelText: { paddr: kernelText.p_paddr, vaddr: kernelText.p_vaddr, size: kernelText.p_memsz } } : {}),
    memory,
    exclude: options.exclude ?? [],
    pageOffset,
    littleEndian: ident.littleEndian,
    osabi: ident.osabi,
  };
  checkRebuild(bytes, spec, used);
  const capacity = elfcorehdrSlots(bytes.length);
  rules.push(`capacity ${capacity} program headers: floor((${bytes.length} − 64) / 56)`);
  return { spec, used, neededSlots: elfcorehdrSlotsNeeded(cpus.length, memory.length), capacity, rules };
}
