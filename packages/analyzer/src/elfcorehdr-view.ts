import { type ElfHeader, type ProgramHeader, PT, isAllZero } from "@kdumpkit/elf";
import { type Hex, hex } from "./json.js";

/** A PT_NOTE slot of a bare elfcorehdr: where the crashed kernel's note buffer lives in old memory. */
export interface NoteSlot {
  /** Program header index. */
  phdrIndex: number;
  /** `cpu` for a per-CPU `crash_notes` buffer, `vmcoreinfo` for the VMCOREINFO note (the last PT_NOTE, kernel order). */
  kind: "cpu" | "vmcoreinfo";
  /** For CPU slots: position among the CPU slots (= the CPU number when the described CPUs are 0..n-1). */
  cpuOrdinal: number | null;
  /** Physical address of the buffer (p_offset; equals p_paddr as the kernel writes it). */
  address: Hex;
  size: number;
}

/** A PT_LOAD of a bare elfcorehdr: a physical range the capture kernel will expose. */
export interface LoadSlot {
  phdrIndex: number;
  /** `kernel-text` for the kernel image mapping, `ram` for a System RAM range (reference §1.1). */
  kind: "kernel-text" | "ram";
  paddr: Hex;
  vaddr: Hex;
  size: Hex;
  /** The physical address actually read (p_offset); differs from paddr for a redirected backup region. */
  readFrom: Hex;
}

/** Everything a bare elfcorehdr says: CPU note slots, memory ranges, and the headroom left for hotplug. */
export interface ElfcorehdrDescription {
  e_machine: number;
  e_phnum: number;
  fileSize: number;
  noteSlots: NoteSlot[];
  loads: LoadSlot[];
  /** Program-header slots the buffer can hold: (file size − e_phoff) / e_phentsize. */
  phdrCapacity: number;
  /** Unused slots after e_phnum (what a hotplug update can still add without reloading). */
  freeSlots: number;
  /** False when bytes after the used slots are not zero (stale data left by an earlier, longer header). */
  freeSlotsZeroed: boolean;
}

/**
 * Describes a bare elfcorehdr (reference §1.1): one PT_NOTE per CPU then one for VMCOREINFO, an
 * optional kernel-text PT_LOAD, then one PT_LOAD per RAM range; all offsets are physical addresses.
 */
export function describeElfcorehdr(bytes: Uint8Array, header: ElfHeader, programHeaders: ProgramHeader[]): ElfcorehdrDescription {
  const notes = programHeaders.map((p, i) => ({ p, i })).filter(({ p }) => p.p_type === PT.NOTE);
  const noteSlots: NoteSlot[] = notes.map(({ p, i }, k) => {
    const isInfo = k === notes.length - 1 && notes.length > 1;
    return {
      phdrIndex: i,
      kind: isInfo ? "vmcoreinfo" : "cpu",
      cpuOrdinal: isInfo ? null : k,
      address: hex(p.p_offset),
      size: Number(p.p_memsz),
    };
  });
  const loadHeaders = programHeaders.map((p, i) => ({ p, i })).filter(({ p }) => p.p_type === PT.LOAD);
  // RAM ranges share one direct-map offset (vaddr − paddr); the last PT_LOAD is always RAM.
  const last = loadHeaders[loadHeaders.length - 1]?.p;
  const directMap = last ? last.p_vaddr - last.p_paddr : 0n;
  const loads: LoadSlot[] = loadHeaders.map(({ p, i }) => ({
    phdrIndex: i,
    kind: p.p_vaddr - p.p_paddr !== directMap ? "kernel-text" : "ram",
    paddr: hex(p.p_paddr),
    vaddr: hex(p.p_vaddr),
    size: hex(p.p_memsz),
    readFrom: hex(p.p_offset),
  }));
  const phoff = Number(header.e_phoff);
  const entry = header.e_phentsize || 56;
  const phdrCapacity = Math.max(header.e_phnum, Math.floor((bytes.length - phoff) / entry));
  const usedEnd = phoff + header.e_phnum * entry;
  return {
    e_machine: header.e_machine,
    e_phnum: header.e_phnum,
    fileSize: bytes.length,
    noteSlots,
    loads,
    phdrCapacity,
    freeSlots: phdrCapacity - header.e_phnum,
    freeSlotsZeroed: isAllZero(bytes.subarray(usedEnd)),
  };
}
