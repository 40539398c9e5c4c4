// A tiny synthetic x86_64 "crashed kernel" for tests and the demo: old memory holding cpu masks,
// __per_cpu_offset, the crash_notes per-cpu buffers, panic_cpu and a VMCOREINFO note; the
// elfcorehdr the kernel prepared (built with @kdumpkit/elf); the capture kernel's /proc/vmcore
// (emulated by @kdumpkit/vmcore); a matching System.map and /proc/iomem. Nothing here comes from
// the analyzer, so the analyzer's verdicts are checked against the scenario's known truth.
import { Elfcorehdr, EM, encodeNotes, encodePrstatus, type MemoryRange } from "@kdumpkit/elf";
import { captureVmcore } from "@kdumpkit/vmcore";

export const PAGE_OFFSET = 0xffff888000000000n;
/** Link-time kernel base (System.map) and the KASLR offset applied at boot. */
export const LINK_BASE = 0xffffffff81000000n;
export const KASLR = 0x1000000n;
const TEXT_PHYS = 0x200000n;
const TEXT_SIZE = 0x100000n;
const VMCOREINFO_PHYS = 0x300000n;
const VMCOREINFO_NOTE_SIZE = 4132;
const PERCPU_PHYS = 0x400000n;
const PERCPU_STRIDE = 0x10000n;
const CRASH_NOTES_PERCPU_PTR = 0x2000n;
const NOTE_BYTES = 368;

/** Offsets of the kernel variables inside the kernel image. */
const SYMBOLS: Record<string, { offset: bigint; type: string }> = {
  _text: { offset: 0n, type: "T" },
  _stext: { offset: 0n, type: "T" },
  __cpu_possible_mask: { offset: 0x1000n, type: "D" },
  __cpu_present_mask: { offset: 0x1100n, type: "D" },
  __cpu_online_mask: { offset: 0x1200n, type: "D" },
  nr_cpu_ids: { offset: 0x1300n, type: "D" },
  panic_cpu: { offset: 0x1340n, type: "D" },
  __per_cpu_offset: { offset: 0x1400n, type: "D" },
  crash_notes: { offset: 0x1800n, type: "B" },
};

/** RAM ranges of the synthetic machine (half-open). */
export const RAM_A = { start: 0x100000n, end: 0x800000n };
export const RAM_B = { start: 0x1000000n, end: 0x1200000n };

export interface Scenario {
  /** Number of possible CPUs (0..n-1). */
  possible: number;
  present: number[];
  online: number[];
  /** CPUs described by PT_NOTEs in the elfcorehdr (as prepared, possibly stale). */
  headerCpus: number[];
  /** RAM in the elfcorehdr (half-open ranges). */
  headerMemory: { start: bigint; end: bigint }[];
  /** RAM of the machine at crash time (what /proc/iomem lists). */
  ramAtCrash: { start: bigint; end: bigint }[];
  crashCpu: number;
  /** pr_pid per CPU that saved its registers (default: 0, and 4242 on the crashing CPU). */
  pids?: Record<number, number>;
}

export interface SyntheticCrash {
  /** The /proc/vmcore the capture kernel would expose, as bytes. */
  vmcore: Uint8Array;
  elfcorehdr: Uint8Array;
  systemMap: string;
  iomem: string;
}

const runtime = (name: string) => LINK_BASE + KASLR + SYMBOLS[name]!.offset;
const physical = (name: string) => TEXT_PHYS + SYMBOLS[name]!.offset;
const inclusive = (r: { start: bigint; end: bigint }): MemoryRange => ({ start: r.start, end: r.end - 1n });

/** The physical address of a CPU's crash_notes buffer in the synthetic kernel. */
export function crashNotesPhys(cpu: number): bigint {
  return PERCPU_PHYS + BigInt(cpu) * PERCPU_STRIDE + CRASH_NOTES_PERCPU_PTR;
}

/** Builds the elfcorehdr the kernel would prepare for these CPUs and memory, with hotplug headroom. */
export function prepareElfcorehdr(cpus: number[], memory: { start: bigint; end: bigint }[]): Elfcorehdr {
  return Elfcorehdr.create(
    {
      e_machine: EM.X86_64,
      cpus: cpus.map((cpu) => ({ cpu, crashNotesAddress: crashNotesPhys(cpu) })),
      noteBytes: NOTE_BYTES,
      vmcoreinfo: { address: VMCOREINFO_PHYS, size: VMCOREINFO_NOTE_SIZE },
      kernelText: { paddr: TEXT_PHYS, vaddr: LINK_BASE + KASLR, size: TEXT_SIZE },
      memory: memory.map(inclusive),
      pageOffset: PAGE_OFFSET,
    },
    { maxCpus: 8, maxMemoryRanges: 8 },
  );
}

/** The crashed kernel's RAM: masks, per-cpu offsets, crash_notes, VMCOREINFO. */
export function buildOldMemory(s: Scenario): Uint8Array {
  const memory = new Uint8Array(Number(RAM_B.end));
  const view = new DataView(memory.buffer);
  const mask = (cpus: number[]) => cpus.reduce((m, c) => m | (1n << BigInt(c)), 0n);
  view.setBigUint64(Number(physical("__cpu_possible_mask")), mask([...Array(s.possible).keys()]), true);
  view.setBigUint64(Number(physical("__cpu_present_mask")), mask(s.present), true);
  view.setBigUint64(Number(physical("__cpu_online_mask")), mask(s.online), true);
  view.setUint32(Number(physical("nr_cpu_ids")), s.possible, true);
  view.setInt32(Number(physical("panic_cpu")), s.crashCpu, true);
  view.setBigUint64(Number(physical("crash_notes")), CRASH_NOTES_PERCPU_PTR, true);
  for (let cpu = 0; cpu < s.possible; cpu++) {
    view.setBigUint64(Number(physical("__per_cpu_offset")) + cpu * 8, PAGE_OFFSET + PERCPU_PHYS + BigInt(cpu) * PERCPU_STRIDE, true);
  }
  // Online CPUs save their registers at crash time (crash_save_cpu); the others stay zero.
  for (const cpu of s.online) {
    const pid = s.pids?.[cpu] ?? (cpu === s.crashCpu ? 4242 : 0);
    const desc = encodePrstatus({ pr_pid: pid, registers: { rip: 0xffffffff82001000n + BigInt(cpu), rsp: 0xffffc90000010000n + BigInt(cpu) * 0x1000n } }, "x86_64");
    memory.set(encodeNotes([{ name: "CORE", type: 1, desc }], true, { terminator: true }), Number(crashNotesPhys(cpu)));
  }
  const info = [
    "OSRELEASE=6.12.0-synthetic",
    "PAGESIZE=4096",
    `SYMBOL(_stext)=${runtime("_stext").toString(16)}`,
    `KERNELOFFSET=${KASLR.toString(16)}`,
    "NUMBER(pgtable_l5_enabled)=0",
    "CRASHTIME=1700000000",
    "",
  ].join("\n");
  memory.set(encodeNotes([{ name: "VMCOREINFO", type: 0, desc: new TextEncoder().encode(info) }], true, { terminator: true }), Number(VMCOREINFO_PHYS));
  return memory;
}

/** A System.map of the synthetic kernel (link-time addresses, sorted). */
export function systemMapText(): string {
  const lines = ["0000000000000000 D __per_cpu_start", "0000000000002000 D crash_notes_template"];
  for (const [name, s] of Object.entries(SYMBOLS)) lines.push(`${(LINK_BASE + s.offset).toString(16)} ${s.type} ${name}`);
  return `${lines.join("\n")}\n`;
}

/** /proc/iomem of the synthetic machine at crash time. */
export function iomemText(ram: { start: bigint; end: bigint }[]): string {
  const hexw = (v: bigint) => v.toString(16).padStart(8, "0");
  return `${["00000000-00000fff : Reserved", ...ram.map((r) => `${hexw(r.start)}-${hexw(r.end - 1n)} : System RAM`)].join("\n")}\n`;
}

/** The capture kernel's /proc/vmcore for an elfcorehdr and old memory (bytes beyond `memory` read as zeros). */
export function capture(elfcorehdr: Uint8Array, memory: Uint8Array): Uint8Array {
  const oldMemory = {
    read(address: bigint, length: number): Uint8Array {
      const out = new Uint8Array(length);
      // Memory that is gone (hot-removed) or never existed reads as zeros, as pfn_is_ram() makes it.
      const start = Number(address);
      if (start < memory.length) out.set(memory.subarray(start, Math.min(memory.length, start + length)));
      return out;
    },
  };
  const captured = captureVmcore(elfcorehdr, oldMemory);
  return captured.read(0, captured.size);
}

/** Runs the scenario: old memory, the (possibly stale) elfcorehdr, the capture kernel's /proc/vmcore. */
export function crash(s: Scenario): SyntheticCrash {
  const header = prepareElfcorehdr(s.headerCpus, s.headerMemory);
  return { vmcore: capture(header.buffer, buildOldMemory(s)), elfcorehdr: header.buffer.slice(), systemMap: systemMapText(), iomem: iomemText(s.ramAtCrash) };
}
