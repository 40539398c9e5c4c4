import {
  type ElfHeader,
  type ProgramHeader,
  type RecoveredElfcorehdr,
  KdumpkitError,
  PT,
  elfcorehdrSlots,
  elfcorehdrSlotsNeeded,
  isAllZero,
  recoverElfcorehdr,
} from "@kdumpkit/elf";
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
  /**
   * The RAM PT_LOAD that also covers this range, or null: the kernel-text PT_LOAD duplicates memory
   * a System RAM PT_LOAD describes (reference §1.1), as `summary` and `memory` say of a dump.
   */
  duplicateOf: number | null;
}

/** Everything a bare elfcorehdr says: CPU note slots, memory ranges, and the headroom left for hotplug. */
export interface ElfcorehdrDescription {
  e_machine: number;
  e_phnum: number;
  fileSize: number;
  noteSlots: NoteSlot[];
  loads: LoadSlot[];
  /** Program-header slots the buffer holds: `elfcorehdrSlots(fileSize)` = floor((size − 64) / 56) (reference §1.5). */
  phdrCapacity: number;
  /** Slots the kernel counts for this state: CPU notes + VMCOREINFO + the kernel-text slot (always) + RAM ranges (reference §1.1). */
  neededSlots: number;
  /** Slots a hotplug update can still use without a reload: phdrCapacity − neededSlots (0 when over). */
  freeSlots: number;
  /** False when bytes after the used slots are not zero (stale data left by an earlier, longer header). */
  freeSlotsZeroed: boolean;
  /**
   * Whether @kdumpkit/elf's `recoverElfcorehdr` read the header back as the kernel's layout
   * (`recovered`), or refused it (`refused`, with its error code and message): a refused header
   * is still described, its parts told apart by the same rules, loosely.
   */
  recovery: { status: "recovered" } | { status: "refused"; code: string; message: string };
}

/**
 * Describes a bare elfcorehdr (reference §1.1): one PT_NOTE per CPU then one for VMCOREINFO, an
 * optional kernel-text PT_LOAD, then one PT_LOAD per RAM range; all offsets are physical addresses.
 * The layout and capacity come from @kdumpkit/elf (`recoverElfcorehdr`, `elfcorehdrSlots`,
 * `elfcorehdrSlotsNeeded`); a header it refuses is described anyway. Throws nothing for a parsed header.
 */
export function describeElfcorehdr(bytes: Uint8Array, header: ElfHeader, programHeaders: ProgramHeader[]): ElfcorehdrDescription {
  let recovered: RecoveredElfcorehdr | undefined;
  let recovery: ElfcorehdrDescription["recovery"] = { status: "recovered" };
  try {
    recovered = recoverElfcorehdr(bytes);
  } catch (error) {
    if (!(error instanceof KdumpkitError)) throw error;
    recovery = { status: "refused", code: error.code, message: error.message };
  }

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
  const isKernelText = kernelTextTest(loadHeaders.map(({ p }) => p), recovered);
  const ram = loadHeaders.filter(({ p }) => !isKernelText(p));
  const loads: LoadSlot[] = loadHeaders.map(({ p, i }) => {
    const text = isKernelText(p);
    const host = text ? ram.find(({ p: r }) => p.p_paddr >= r.p_paddr && p.p_paddr + p.p_memsz <= r.p_paddr + r.p_memsz) : undefined;
    return {
      phdrIndex: i,
      kind: text ? "kernel-text" : "ram",
      paddr: hex(p.p_paddr),
      vaddr: hex(p.p_vaddr),
      size: hex(p.p_memsz),
      readFrom: hex(p.p_offset),
      duplicateOf: host ? host.i : null,
    };
  });
  const phdrCapacity = recovered?.capacity ?? elfcorehdrSlots(bytes.length);
  const cpuSlots = noteSlots.filter((n) => n.kind === "cpu").length;
  const neededSlots = recovered?.neededSlots ?? elfcorehdrSlotsNeeded(cpuSlots, ram.length);
  const usedEnd = Number(header.e_phoff) + header.e_phnum * (header.e_phentsize || 56);
  return {
    e_machine: header.e_machine,
    e_phnum: header.e_phnum,
    fileSize: bytes.length,
    noteSlots,
    loads,
    phdrCapacity,
    neededSlots,
    freeSlots: Math.max(0, phdrCapacity - neededSlots),
    freeSlotsZeroed: usedEnd >= bytes.length || isAllZero(bytes.subarray(usedEnd)),
    recovery,
  };
}

/** Tells the kernel-text PT_LOAD from RAM ones: the recovered spec's, else by the direct-map rule. */
function kernelTextTest(loads: ProgramHeader[], recovered: RecoveredElfcorehdr | undefined): (p: ProgramHeader) => boolean {
  if (recovered) {
    const text = recovered.spec.kernelText;
    return (p) => text !== undefined && p.p_paddr === text.paddr && p.p_vaddr === text.vaddr && p.p_memsz === text.size;
  }
  // RAM ranges share one direct-map offset (vaddr − paddr) and the last PT_LOAD is always RAM.
  const last = loads[loads.length - 1];
  const directMap = last ? last.p_vaddr - last.p_paddr : 0n;
  return (p) => p.p_vaddr - p.p_paddr !== directMap;
}
