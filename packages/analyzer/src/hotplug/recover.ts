// Reading an elfcorehdr back into the state the kernel prepared it from, so that hotplug events can
// be applied to a header file the way the kernel applies them to the loaded segment. The header
// stores no spec: everything is recovered from the program headers by the kernel's own layout
// rules (crash_prepare_elf64_headers, kdump-formats §1.1), and a header that does not follow them,
// or that can be read two ways, is refused rather than guessed.
import {
  ELF64_EHDR_SIZE, ELF64_PHDR_SIZE, ET, PN_XNUM, PT,
  type CrashCpu, type ElfcorehdrSpec, type MemoryRange, type ProgramHeader,
  buildElfcorehdr, parseElfHeader, parseProgramHeaders,
} from "@kdumpkit/elf";
import { AnalyzerError } from "../errors.js";
import { type MachineFacts, machineForHeader } from "./machine.js";

/** What the user may tell us that a header cannot say. */
export interface RecoveryHints {
  /** CPU ids of the CPU PT_NOTEs in order (default 0..n-1, for_each_possible_cpu with a dense mask). */
  cpuIds?: number[];
  /** Direct-map base; needed only when the header has no RAM PT_LOAD to learn it from. */
  pageOffset?: bigint;
  /** Ranges the kernel cuts out of hot-added memory (the crashkernel reservation; x86 also [0, 1 MiB)). */
  exclude?: MemoryRange[];
}

/** An elfcorehdr read back: the spec that rebuilds it, and its capacity in program headers. */
export interface RecoveredElfcorehdr {
  spec: ElfcorehdrSpec;
  /** Program-header slots the segment holds: floor((size − 64) / 56), what the kernel's size check allows. */
  capacity: number;
  /** e_phnum. */
  used: number;
  machine: MachineFacts | undefined;
  /** When CPU notes sit at base + id × stride (one percpu unit per CPU), the base and stride: cpu-add can omit @ADDR. */
  noteStride: { base: bigint; stride: bigint } | undefined;
  /** How each part was identified (for the report and for a reader who doubts it). */
  rules: string[];
}

function bad(message: string, offset?: number): never {
  throw new AnalyzerError("E_BAD_ELFCOREHDR", message, offset === undefined ? {} : { offset });
}

const phdrOffset = (i: number): number => ELF64_EHDR_SIZE + i * ELF64_PHDR_SIZE;

/**
 * Recovers the spec of a kernel-layout ELF64 elfcorehdr. Rules (all from crash_prepare_elf64_headers):
 * 1. PT_NOTEs come first; the LAST PT_NOTE is VMCOREINFO, every earlier one is a CPU's crash_notes
 *    (p_offset = p_paddr = its physical address, all the same size: sizeof(note_buf_t)).
 * 2. CPU ids are not stored: note k is CPU `hints.cpuIds[k]`, by default CPU k (the kernel walks
 *    for_each_possible_cpu in ascending order).
 * 3. After the notes only PT_LOADs, with p_offset = p_paddr (a redirected backup region, powerpc's
 *    sync_backup_region_phdr, is refused). RAM PT_LOADs all share one direct-map delta
 *    p_vaddr − p_paddr, and the last PT_LOAD is always RAM; a first PT_LOAD with another delta is the
 *    kernel-text mapping. A lone PT_LOAD is kernel text only when its p_vaddr is in the kernel-image
 *    window (x86_64: at or above __START_KERNEL_map) or `hints.pageOffset` says it is not direct map.
 * 4. Capacity: the segment is just the header, sized once for the hotplug maximum (kexec_add_buffer
 *    page-aligns memsz, and the kernel's update checks the rebuilt size against it), so the slots
 *    it can hold are floor((file size − 64) / 56).
 * 5. Cross-check: buildElfcorehdr(recovered spec) must reproduce the header byte for byte.
 * @throws AnalyzerError `E_BAD_ELFCOREHDR` naming the offending program header's offset; ElfError
 *   from the header parser for a file that is not ELF at all.
 */
export function recoverElfcorehdr(bytes: Uint8Array, hints: RecoveryHints = {}): RecoveredElfcorehdr {
  const ehdr = parseElfHeader(bytes);
  const { ident } = ehdr;
  if (ident.elfClass !== 64) bad("only ELF64 elfcorehdrs can be updated (ELF32 comes from kexec-tools on 32-bit hosts)", 4);
  if (ehdr.e_type !== ET.CORE) bad(`e_type ${ehdr.e_type} is not ET_CORE`, 16);
  if (ehdr.e_phoff !== BigInt(ELF64_EHDR_SIZE) || ehdr.e_phentsize !== ELF64_PHDR_SIZE) bad(`program headers at ${ehdr.e_phoff} with entries of ${ehdr.e_phentsize} bytes: the kernel writes them at 64, 56 bytes each`, 32);
  if (ehdr.e_phnum === 0 || ehdr.e_phnum >= PN_XNUM) bad(`e_phnum ${ehdr.e_phnum}: an elfcorehdr has at least the VMCOREINFO note and fewer than PN_XNUM entries`, 56);
  const used = ehdr.e_phnum;
  if (phdrOffset(used) > bytes.length) bad(`${used} program headers do not fit in ${bytes.length} bytes`, bytes.length);
  const phdrs: ProgramHeader[] = parseProgramHeaders(bytes.subarray(ELF64_EHDR_SIZE, phdrOffset(used)), ident, used, ELF64_EHDR_SIZE);
  const machine = machineForHeader(ehdr.e_machine, ident.littleEndian);
  const rules: string[] = [];

  // Rule 1: notes first.
  let nNotes = 0;
  while (nNotes < used && phdrs[nNotes]!.p_type === PT.NOTE) nNotes++;
  if (nNotes === 0) bad("phdr 0 is not a PT_NOTE: the kernel writes the CPU notes and VMCOREINFO first", phdrOffset(0));
  for (let i = nNotes; i < used; i++) {
    if (phdrs[i]!.p_type !== PT.LOAD) bad(`phdr ${i} has p_type ${phdrs[i]!.p_type}: after the PT_NOTEs the kernel writes only PT_LOADs`, phdrOffset(i));
  }
  phdrs.forEach((p, i) => {
    if (p.p_offset !== p.p_paddr) bad(`phdr ${i}: p_offset 0x${p.p_offset.toString(16)} differs from p_paddr 0x${p.p_paddr.toString(16)} (a redirected backup region): not supported`, phdrOffset(i));
    if (p.p_filesz !== p.p_memsz) bad(`phdr ${i}: p_filesz differs from p_memsz`, phdrOffset(i));
  });
  const info = phdrs[nNotes - 1]!;
  const cpuNotes = phdrs.slice(0, nNotes - 1);
  const noteBytes = cpuNotes.length > 0 ? Number(cpuNotes[0]!.p_memsz) : machine?.noteBytes;
  if (noteBytes === undefined) bad(`no CPU PT_NOTE and unknown e_machine ${ehdr.e_machine}: sizeof(note_buf_t) cannot be known`, phdrOffset(0));
  cpuNotes.forEach((p, i) => {
    if (Number(p.p_memsz) !== noteBytes) bad(`PT_NOTE ${i} is ${p.p_memsz} bytes, PT_NOTE 0 is ${noteBytes}: CPU notes all have sizeof(note_buf_t)`, phdrOffset(i));
  });
  if (cpuNotes.length > 0 && Number(info.p_memsz) === noteBytes) {
    bad(`the last PT_NOTE has the CPU note size (${noteBytes}): cannot tell VMCOREINFO from a CPU note`, phdrOffset(nNotes - 1));
  }
  rules.push(`PT_NOTE 0..${nNotes - 2} are CPU crash_notes (${noteBytes} bytes each), PT_NOTE ${nNotes - 1} is VMCOREINFO (the last note)`);

  // Rule 2: CPU ids.
  let cpuIds = cpuNotes.map((_, k) => k);
  if (hints.cpuIds) {
    if (hints.cpuIds.length !== cpuNotes.length) bad(`--cpu-ids lists ${hints.cpuIds.length} CPUs, the header has ${cpuNotes.length} CPU notes`);
    if (hints.cpuIds.some((c, i) => i > 0 && c <= hints.cpuIds![i - 1]!)) bad("--cpu-ids must be ascending: the kernel writes CPU notes in CPU-id order");
    cpuIds = [...hints.cpuIds];
    rules.push(`CPU ids from --cpu-ids: ${cpuIds.join(",")}`);
  } else rules.push(cpuNotes.length ? `CPU ids assumed 0..${cpuNotes.length - 1} (note order; give --cpu-ids for a sparse possible mask)` : "no CPU notes");
  const cpus: CrashCpu[] = cpuNotes.map((p, k) => ({ cpu: cpuIds[k]!, crashNotesAddress: p.p_offset }));

  // Rule 3: kernel text and RAM.
  const loads = phdrs.slice(nNotes);
  const delta = (p: ProgramHeader): bigint => BigInt.asUintN(64, p.p_vaddr - p.p_paddr);
  let kernelText: ProgramHeader | undefined;
  let ram = loads;
  if (loads.length >= 2) {
    const ramDelta = delta(loads[loads.length - 1]!);
    if (delta(loads[0]!) !== ramDelta) {
      kernelText = loads[0];
      ram = loads.slice(1);
    }
    ram.forEach((p, k) => {
      if (delta(p) !== ramDelta) bad(`PT_LOAD ${k} maps with another offset than the other RAM ranges and is not the first PT_LOAD: not a kernel layout`, phdrOffset(nNotes + loads.length - ram.length + k));
    });
  } else if (loads.length === 1) {
    const only = loads[0]!;
    const textByWindow = machine?.kernelImageBase !== undefined && only.p_vaddr >= machine.kernelImageBase;
    const textByHint = hints.pageOffset !== undefined && delta(only) !== hints.pageOffset;
    if (textByWindow || textByHint) {
      kernelText = only;
      ram = [];
    } else if (hints.pageOffset === undefined && machine?.kernelText !== false) {
      bad(`one PT_LOAD (vaddr 0x${only.p_vaddr.toString(16)}): kernel text or RAM? give --page-offset (the direct-map base) to decide`, phdrOffset(nNotes));
    }
  }
  if (kernelText) rules.push(`PT_LOAD at phdr ${nNotes} is the kernel-text mapping (its p_vaddr − p_paddr differs from the RAM ranges')`);
  const pageOffset = ram.length > 0 ? delta(ram[0]!) : hints.pageOffset ?? machine?.pageOffset;
  if (pageOffset === undefined) bad("no RAM PT_LOAD and unknown machine: give --page-offset");
  rules.push(ram.length > 0 ? `direct-map base 0x${pageOffset.toString(16)} from the RAM PT_LOADs` : `direct-map base 0x${pageOffset.toString(16)} ${hints.pageOffset !== undefined ? "from --page-offset" : "assumed (machine default)"}`);
  const memory = ram.map((p) => ({ start: p.p_paddr, end: p.p_paddr + p.p_memsz - 1n }));
  for (let k = 1; k < memory.length; k++) {
    if (memory[k]!.start <= memory[k - 1]!.end) bad(`RAM PT_LOAD ${k} is not above the previous one: the kernel writes sorted, disjoint ranges`, phdrOffset(nNotes + loads.length - ram.length + k));
  }

  const spec: ElfcorehdrSpec = {
    e_machine: ehdr.e_machine,
    cpus,
    cpuSelection: "possible",
    noteBytes,
    vmcoreinfo: { address: info.p_offset, size: Number(info.p_memsz) },
    ...(kernelText ? { kernelText: { paddr: kernelText.p_paddr, vaddr: kernelText.p_vaddr, size: kernelText.p_memsz } } : {}),
    memory,
    exclude: hints.exclude ?? [],
    pageOffset,
    littleEndian: ident.littleEndian,
    osabi: ident.osabi,
  };

  // Rule 5: the recovered spec must rebuild exactly these bytes (flags, alignments, e_ident…).
  // Exclusions are for future hot-adds only: the recovered ranges are already what the kernel wrote.
  const rebuilt = buildElfcorehdr({ ...spec, exclude: [] });
  const end = phdrOffset(used);
  for (let i = 0; i < end; i++) {
    if (rebuilt[i] !== bytes[i]) bad(`byte ${i} (${i < 64 ? "ELF header" : `phdr ${Math.floor((i - 64) / 56)}`}) is not what the kernel writes for this layout`, i);
  }
  const capacity = Math.min(Math.floor((bytes.length - ELF64_EHDR_SIZE) / ELF64_PHDR_SIZE), PN_XNUM - 1);
  rules.push(`capacity ${capacity} program headers: floor((${bytes.length} − 64) / 56)`);
  return { spec, capacity, used, machine, noteStride: strideOf(cpus), rules };
}

/** base + id × stride when every CPU note follows it (at least two CPUs), else undefined. */
function strideOf(cpus: CrashCpu[]): { base: bigint; stride: bigint } | undefined {
  if (cpus.length < 2) return undefined;
  const [a, b] = cpus as [CrashCpu, CrashCpu];
  const span = b.crashNotesAddress - a.crashNotesAddress;
  const ids = BigInt(b.cpu - a.cpu);
  if (span <= 0n || span % ids !== 0n) return undefined;
  const stride = span / ids;
  const base = a.crashNotesAddress - BigInt(a.cpu) * stride;
  if (base < 0n || !cpus.every((c) => c.crashNotesAddress === base + BigInt(c.cpu) * stride)) return undefined;
  return { base, stride };
}
