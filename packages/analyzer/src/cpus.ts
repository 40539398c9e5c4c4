import { type PrstatusArch, isAllZero, parseNotes, parsePrstatus, prstatusArchForMachine, prstatusSize } from "@kdumpkit/elf";
import type { Dump } from "@kdumpkit/vmcore";
import { decodeCpumask, formatCpuList } from "./cpumask.js";
import { describeElfcorehdr } from "./elfcorehdr-view.js";
import type { AnalyzerInput } from "./input.js";
import { type Hex, hex, SCHEMA_VERSION } from "./json.js";
import { KernelMemory } from "./kernel-memory.js";
import { dumpNrCpus } from "./nr-cpus.js";
import { CPU_SYMBOLS, resolveSymbols, type SymbolTable } from "./symbols.js";

/** State of a CPU's `crash_notes` buffer read from kernel memory through `__per_cpu_offset`. */
export type CrashNotesState = "initialized" | "uninitialized" | "malformed" | "unreadable";

/** Stable verdict codes of the `cpus` report (the `verdict` text says the same in words). */
export type CpuVerdictCode =
  | "saved"
  | "saved-no-masks"
  | "offline-expected"
  | "not-present-expected"
  | "stale-elfcorehdr"
  | "online-no-note"
  | "online-missing"
  | "offline-note-saved"
  | "note-for-absent-cpu"
  | "note-unmatched"
  | "elfcorehdr-slot"
  | "unknown";

/** One CPU as every source sees it (issue item 3). */
export interface CpuRow {
  /** CPU number; null for a note in the dump that cannot be tied to any CPU. */
  cpu: number | null;
  /** How the CPU number was found: from kernel memory (crash_notes matched), from note order (no symbols), or from an elfcorehdr slot. */
  cpuFrom: "memory" | "note-order" | "qemu-pid" | "elfcorehdr-slot" | "masks";
  /** An NT_PRSTATUS note for this CPU is in the dump. */
  inDump: boolean;
  /** The CPU's note: saved (in the dump or in memory), uninitialized in memory, or missing (neither). */
  note: "initialized" | "uninitialized" | "missing";
  possible: boolean | null;
  present: boolean | null;
  online: boolean | null;
  /** This CPU's crash_notes buffer in kernel memory, when the symbols are known. */
  crashNotes: { address: Hex; physicalAddress: Hex | null; state: CrashNotesState } | null;
  /** Index of its NT_PRSTATUS note among the dump's NT_PRSTATUS notes. */
  noteIndex: number | null;
  /** The task that ran on the CPU (`pr_pid` of a kernel crash note); null in a QEMU dump, whose `pr_pid` is not a task (see `prPid`). */
  pid: number | null;
  /** `pr_pid` of its NT_PRSTATUS note as stored; what it means is the report's `prPidMeaning`. */
  prPid: number | null;
  pc: Hex | null;
  sp: Hex | null;
  /** Named registers (only with the `registers` option). */
  registers?: Record<string, Hex>;
  crashing: boolean;
  verdictCode: CpuVerdictCode;
  verdict: string;
  severity: "ok" | "info" | "warning" | "error";
}

/** `kdumpkit cpus --json`. */
export interface CpusReport {
  schemaVersion: number;
  command: "cpus";
  file: string;
  cpus: CpuRow[];
  /** The CPU that crashed: `panic_cpu` from memory, else the only note with a non-zero pid (when tied to a CPU). */
  crashingCpu: number | null;
  crashingCpuSource: "panic_cpu" | "only-non-zero-pid" | null;
  /** The cpu masks in /sys list form (`0-2`), null when not readable. */
  masks: { possible: string | null; present: string | null; online: string | null };
  nrCpuIds: number | null;
  /**
   * What `pr_pid` holds: `task-pid` (the kernel's crash_save_cpu stores `current->pid`) or
   * `qemu-cpu-index-plus-1` (QEMU's dump-guest-memory stores the vCPU index + 1: no task).
   */
  prPidMeaning: "task-pid" | "qemu-cpu-index-plus-1";
  /** makedumpfile's nr_cpus (count of saved NT_PRSTATUS notes). */
  nrCpus: number;
  /** Kernel symbols used, with where each came from. */
  symbols: { name: string; address: Hex; source: string }[];
  kaslrOffset: Hex;
  kaslrSource: string;
  /** Things the reader should know (missing symbols, unreadable memory). */
  notices: string[];
  /** Rows per severity. */
  findings: { error: number; warning: number; info: number };
}

/** Options of {@link cpus}. */
export interface CpusOptions {
  /** Text of the kernel's System.map, for symbols VMCOREINFO lacks (cpu masks, crash_notes…). */
  systemMap?: string;
  /** Include every named register of each saved note. */
  registers?: boolean;
}

interface DumpNote {
  index: number;
  desc: Uint8Array;
  pid: number | null;
  pc: bigint | null;
  sp: bigint | null;
  registers: Record<string, bigint>;
}

interface MemoryNote {
  cpu: number;
  address: bigint;
  physicalAddress: bigint | null;
  state: CrashNotesState;
  desc: Uint8Array | null;
}

/**
 * Builds the `cpus` report: CPUs from the ELF notes and, when the symbols are known, from the cpu
 * masks and each CPU's `crash_notes` (reference §1.2–1.3; crash reads the masks and per-cpu
 * notes the same way, §5.2), with a verdict per CPU and the crashing CPU.
 *
 * @throws AnalyzerError `E_SYSTEM_MAP_MISMATCH`, `E_BAD_SYSTEM_MAP` for a wrong System.map.
 */
export function cpus(input: AnalyzerInput, options: CpusOptions = {}): CpusReport {
  if (input.kind === "elfcorehdr") return elfcorehdrCpus(input);
  const dump = input.dump;
  const arch = prstatusArchForMachine(dump.header.e_machine, dump.littleEndian);
  const notices: string[] = [];
  const dumpNotes = collectDumpNotes(dump, arch);
  const symbols = resolveSymbols(CPU_SYMBOLS, dump.vmcoreinfo, options.systemMap);
  const mem = new KernelMemory(dump);

  const tryRead = <T>(what: string, fn: () => T): T | null => {
    try {
      return fn();
    } catch (error) {
      notices.push(`${what}: ${(error as Error).message}`);
      return null;
    }
  };
  const nrCpuIdsSymbol = symbols.get("nr_cpu_ids");
  const nrCpuIds = nrCpuIdsSymbol ? tryRead("nr_cpu_ids", () => mem.uint32(nrCpuIdsSymbol.address)) : null;
  const readMask = (name: string): number[] | null => {
    const symbol = symbols.get(name);
    if (!symbol) return null;
    const bits = nrCpuIds ?? mem.wordSize * 8;
    const words = Math.max(1, Math.ceil(bits / (mem.wordSize * 8)));
    return tryRead(name, () => decodeCpumask(mem.read(symbol.address, words * mem.wordSize), mem.littleEndian, mem.wordSize, bits));
  };
  const possible = readMask("__cpu_possible_mask");
  const present = readMask("__cpu_present_mask");
  const online = readMask("__cpu_online_mask");
  if (!possible && !present && !online) {
    notices.push(
      symbols.hasSystemMap
        ? "the cpu masks could not be read from kernel memory"
        : "no cpu masks: VMCOREINFO has no __cpu_*_mask symbols; give --system-map to read them",
    );
  }

  const memoryNotes = readMemoryNotes(mem, symbols, arch, possible, nrCpuIds, dumpNotes.length, tryRead, notices);
  const panicSymbol = symbols.get("panic_cpu");
  const panicCpu = panicSymbol ? tryRead("panic_cpu", () => mem.int32(panicSymbol.address)) : null;

  // Tie each dump note to the CPU whose crash_notes buffer holds the same NT_PRSTATUS bytes.
  // QEMU's dump-guest-memory writes its own notes (one per vCPU, pr_pid = CPU index + 1, beside
  // "QEMU" notes) of a live guest: crash_notes play no part there.
  const qemu = dump.notes.some((n) => n.name === "QEMU");
  const noteOfCpu = new Map<number, DumpNote>();
  const matched = new Set<DumpNote>();
  const cpuFrom = new Map<number, CpuRow["cpuFrom"]>();
  if (qemu) {
    for (const note of dumpNotes) {
      const cpu = note.pid !== null && note.pid >= 1 ? note.pid - 1 : undefined;
      if (cpu === undefined || noteOfCpu.has(cpu)) continue;
      noteOfCpu.set(cpu, note);
      matched.add(note);
      cpuFrom.set(cpu, "qemu-pid");
    }
    notices.push("QEMU dump-guest-memory: the notes are QEMU's vCPU states (pr_pid = CPU + 1), not the kernel's crash_notes");
  }
  for (const m of memoryNotes.values()) {
    if (qemu) break;
    if (m.state !== "initialized" || !m.desc) continue;
    const hit = dumpNotes.find((n) => !matched.has(n) && equalBytes(n.desc, m.desc!));
    if (hit) {
      noteOfCpu.set(m.cpu, hit);
      matched.add(hit);
    }
  }
  const unmatched = dumpNotes.filter((n) => !matched.has(n));
  // Notes were tied to CPUs by their bytes: a note left over is one no crash_notes buffer holds.
  const tiedByContent = !qemu && [...memoryNotes.values()].some((m) => m.state !== "unreadable");
  if (!tiedByContent && unmatched.length > 0) {
    // No crash_notes to compare with: fall back to the order of the notes (one per CPU, ascending).
    // Only CPUs that ran crash_save_cpu leave a note (the capture kernel drops empty ones,
    // reference §2.2), so the notes belong to the online CPUs, as crash maps them (§5.2).
    if (memoryNotes.size === 0) notices.push("CPU numbers of the notes are assumed from their order: give --system-map to tie notes to CPUs");
    const candidates = online ?? possible ?? unmatched.map((_, i) => i);
    const free = candidates.filter((cpu) => !noteOfCpu.has(cpu));
    for (const note of [...unmatched]) {
      const cpu = free.shift();
      if (cpu === undefined) break;
      noteOfCpu.set(cpu, note);
      cpuFrom.set(cpu, "note-order");
      unmatched.splice(unmatched.indexOf(note), 1);
    }
  }

  const all = new Set<number>([...(possible ?? []), ...(present ?? []), ...(online ?? []), ...memoryNotes.keys(), ...noteOfCpu.keys()]);
  const has = (mask: number[] | null, cpu: number) => (mask ? mask.includes(cpu) : null);
  const rows: CpuRow[] = [...all]
    .sort((a, b) => a - b)
    .map((cpu) => {
      const note = noteOfCpu.get(cpu);
      const m = memoryNotes.get(cpu);
      return makeRow({
        cpu,
        cpuFrom: cpuFrom.get(cpu) ?? (m ? "memory" : "masks"),
        note,
        memory: m,
        possible: has(possible, cpu),
        present: has(present, cpu),
        online: has(online, cpu),
        registers: options.registers === true,
        crashNotesRead: tiedByContent,
        qemu,
      });
    });
  for (const note of unmatched) {
    rows.push(
      makeRow({ cpu: null, cpuFrom: tiedByContent ? "memory" : "note-order", note, memory: undefined, possible: null, present: null, online: null, registers: options.registers === true, crashNotesRead: tiedByContent, qemu }),
    );
  }

  let crashingCpu: number | null = null;
  let crashingCpuSource: CpusReport["crashingCpuSource"] = null;
  if (panicCpu !== null && panicCpu >= 0) {
    crashingCpu = panicCpu;
    crashingCpuSource = "panic_cpu";
  } else if (panicCpu === null) {
    const busy = rows.filter((r) => r.pid !== null && r.pid !== 0);
    if (busy.length === 1 && busy[0]!.cpu !== null && busy[0]!.cpuFrom === "memory") {
      crashingCpu = busy[0]!.cpu;
      crashingCpuSource = "only-non-zero-pid";
    }
  }
  for (const row of rows) row.crashing = row.cpu !== null && row.cpu === crashingCpu;

  const findings = { error: 0, warning: 0, info: 0 };
  for (const row of rows) if (row.severity !== "ok") findings[row.severity]++;
  return {
    schemaVersion: SCHEMA_VERSION,
    command: "cpus",
    file: input.path,
    cpus: rows,
    crashingCpu,
    crashingCpuSource,
    masks: {
      possible: possible ? formatCpuList(possible) : null,
      present: present ? formatCpuList(present) : null,
      online: online ? formatCpuList(online) : null,
    },
    nrCpuIds,
    prPidMeaning: qemu ? "qemu-cpu-index-plus-1" : "task-pid",
    nrCpus: dumpNrCpus(dump),
    symbols: CPU_SYMBOLS.flatMap((name) => {
      const s = symbols.get(name);
      return s ? [{ name, address: hex(s.address), source: s.source }] : [];
    }),
    kaslrOffset: hex(symbols.kaslrOffset),
    kaslrSource: symbols.kaslrSource,
    notices,
    findings,
  };
}

function collectDumpNotes(dump: Dump, arch: PrstatusArch | undefined): DumpNote[] {
  const out: DumpNote[] = [];
  for (const note of dump.notes) {
    if (note.name !== "CORE" || note.n_type !== 1) continue;
    const entry: DumpNote = { index: out.length, desc: note.desc, pid: null, pc: null, sp: null, registers: {} };
    if (arch && note.desc.length === prstatusSize(arch)) {
      try {
        const p = parsePrstatus(note.desc, arch);
        entry.pid = p.pr_pid;
        entry.pc = p.pc;
        entry.sp = p.sp;
        entry.registers = p.registers;
      } catch {
        // A malformed note stays in the list; `notes` reports why.
      }
    }
    out.push(entry);
  }
  return out;
}

function readMemoryNotes(
  mem: KernelMemory,
  symbols: SymbolTable,
  arch: PrstatusArch | undefined,
  possible: number[] | null,
  nrCpuIds: number | null,
  noteCount: number,
  tryRead: <T>(what: string, fn: () => T) => T | null,
  notices: string[],
): Map<number, MemoryNote> {
  const out = new Map<number, MemoryNote>();
  const crashNotes = symbols.get("crash_notes");
  const perCpuOffset = symbols.get("__per_cpu_offset");
  if (!crashNotes || !perCpuOffset || !arch) {
    if (symbols.hasSystemMap) notices.push("crash_notes or __per_cpu_offset unknown: per-CPU notes were not read from memory");
    return out;
  }
  // crash_notes is a __percpu pointer: its value plus __per_cpu_offset[cpu] is that CPU's note_buf_t.
  const base = tryRead("crash_notes", () => mem.word(crashNotes.address));
  if (base === null) return out;
  const noteBufBytes = 12 + 8 + prstatusSize(arch) + 12; // CRASH_CORE_NOTE_BYTES (reference §1.2)
  const candidates = possible ?? [...Array(nrCpuIds ?? noteCount).keys()];
  for (const cpu of candidates) {
    const offset = tryRead(`__per_cpu_offset[${cpu}]`, () => mem.word(perCpuOffset.address + BigInt(cpu * mem.wordSize)));
    if (offset === null) continue;
    const address = (base + offset) & 0xffff_ffff_ffff_ffffn;
    let physicalAddress: bigint | null = null;
    try {
      physicalAddress = mem.physicalOf(address);
    } catch {
      physicalAddress = null;
    }
    let bytes: Uint8Array;
    try {
      bytes = mem.read(address, noteBufBytes);
    } catch {
      out.set(cpu, { cpu, address, physicalAddress, state: "unreadable", desc: null });
      continue;
    }
    out.set(cpu, { cpu, address, physicalAddress, ...classifyNoteBuffer(bytes, mem.littleEndian, arch) });
  }
  return out;
}

/** Classifies one CPU's note_buf_t: a saved NT_PRSTATUS, all zero (never written), or something else. */
export function classifyNoteBuffer(bytes: Uint8Array, littleEndian: boolean, arch: PrstatusArch): { state: CrashNotesState; desc: Uint8Array | null } {
  if (isAllZero(bytes)) return { state: "uninitialized", desc: null };
  const segment = parseNotes(bytes, littleEndian);
  const first = segment.notes[0];
  if (!first) return { state: segment.end.kind === "zero-header" || segment.end.kind === "zero-namesz" ? "uninitialized" : "malformed", desc: null };
  if (first.name !== "CORE" || first.n_type !== 1 || first.desc.length !== prstatusSize(arch)) return { state: "malformed", desc: null };
  return { state: isAllZero(first.desc) ? "uninitialized" : "initialized", desc: first.desc };
}

function makeRow(a: {
  cpu: number | null;
  cpuFrom: CpuRow["cpuFrom"];
  note: DumpNote | undefined;
  memory: MemoryNote | undefined;
  possible: boolean | null;
  present: boolean | null;
  online: boolean | null;
  registers: boolean;
  /** Some CPU's crash_notes buffer was read from memory (notes can be tied to CPUs by content). */
  crashNotesRead: boolean;
  /** The notes are QEMU's: pr_pid is the vCPU index + 1, not a task. */
  qemu: boolean;
}): CpuRow {
  const inDump = a.note !== undefined;
  const memState = a.memory?.state;
  const row: CpuRow = {
    cpu: a.cpu,
    cpuFrom: a.cpuFrom,
    inDump,
    note: inDump || memState === "initialized" ? "initialized" : memState === "uninitialized" ? "uninitialized" : "missing",
    possible: a.possible,
    present: a.present,
    online: a.online,
    crashNotes: a.memory
      ? { address: hex(a.memory.address), physicalAddress: a.memory.physicalAddress === null ? null : hex(a.memory.physicalAddress), state: a.memory.state }
      : null,
    noteIndex: a.note?.index ?? null,
    pid: a.qemu ? null : (a.note?.pid ?? null),
    prPid: a.note?.pid ?? null,
    pc: a.note?.pc != null ? hex(a.note.pc) : null,
    sp: a.note?.sp != null ? hex(a.note.sp) : null,
    crashing: false,
    verdictCode: "unknown",
    verdict: "",
    severity: "info",
  };
  if (a.registers && a.note) row.registers = Object.fromEntries(Object.entries(a.note.registers).map(([k, v]) => [k, hex(v)]));
  const [code, severity, text] = verdictOf(row, memState, a.crashNotesRead);
  row.verdictCode = code;
  row.severity = severity;
  row.verdict = text;
  return row;
}

/**
 * The verdict says only what was checked: "uninitialized" only when the crash_notes buffer was read
 * from memory and found zero; a buffer that was not read (no symbols) or could not be read (not in
 * the dump) is named as such. Offline CPUs and CPUs that never answered the stop NMI leave their
 * buffer zero, and the capture kernel drops the empty note (reference §1.3, §2.2).
 */
function verdictOf(row: CpuRow, memState: CrashNotesState | undefined, crashNotesRead: boolean): [CpuVerdictCode, CpuRow["severity"], string] {
  if (row.cpu === null) {
    return crashNotesRead
      ? ["note-unmatched", "error", "note in the dump that no CPU's crash_notes holds (a CPU not present?)"]
      : ["note-unmatched", "error", "note in the dump not tied to any CPU: more notes than CPUs in the masks (crash_notes not read)"];
  }
  if (row.inDump) {
    if (row.possible === false || row.present === false) return ["note-for-absent-cpu", "error", "note in the dump for a CPU not present"];
    if (row.online === false) return ["offline-note-saved", "warning", "note in the dump although the CPU was offline at crash"];
    if (row.online === true) return ["saved", "ok", "online, note saved"];
    return ["saved-no-masks", "ok", "note saved (cpu masks unknown)"];
  }
  if (memState === "initialized") {
    return ["stale-elfcorehdr", "error", "note saved in memory but missing from the dump: the elfcorehdr was stale (CPU added after it was prepared)"];
  }
  if (memState === "malformed") return ["unknown", "warning", "no note in the dump, and its crash_notes buffer holds something that is not a note"];
  // What the crash_notes buffer showed, for the verdicts below.
  const buffer = memState === "uninitialized" ? "crash_notes uninitialized in memory" : memState === "unreadable" ? "crash_notes not in the dump" : "crash_notes not read";
  if (row.online === true) {
    if (memState === "uninitialized") return ["online-no-note", "warning", "online at crash but its crash_notes are uninitialized in memory (it did not save its registers: no answer to the stop NMI/IPI)"];
    return ["online-missing", "warning", `online at crash but no note in the dump (${buffer}): stale elfcorehdr or unresponsive CPU`];
  }
  if (row.online === false && row.present !== false) {
    if (memState === "uninitialized") return ["offline-expected", "info", "offline at crash, note uninitialized (expected; crash_notes read from memory)"];
    return ["offline-expected", "info", `offline at crash, no note in the dump (expected; ${buffer})`];
  }
  if (row.present === false) {
    const what = row.possible === true ? "possible but not present" : "not present";
    return ["not-present-expected", "info", `${what}, no note in the dump (expected; ${buffer})`];
  }
  return ["unknown", "info", `no note in the dump; online state unknown (${buffer})`];
}

function elfcorehdrCpus(input: AnalyzerInput & { kind: "elfcorehdr" }): CpusReport {
  const description = describeElfcorehdr(input.bytes, input.header, input.programHeaders);
  const rows: CpuRow[] = description.noteSlots
    .filter((s) => s.kind === "cpu")
    .map((s) => ({
      cpu: s.cpuOrdinal,
      cpuFrom: "elfcorehdr-slot",
      inDump: false,
      note: "missing",
      possible: null,
      present: null,
      online: null,
      crashNotes: { address: s.address, physicalAddress: s.address, state: "unreadable" },
      noteIndex: null,
      pid: null,
      prPid: null,
      pc: null,
      sp: null,
      crashing: false,
      verdictCode: "elfcorehdr-slot",
      verdict: `elfcorehdr PT_NOTE slot for crash_notes at physical ${s.address} (contents are in old memory)`,
      severity: "info",
    }));
  return {
    schemaVersion: SCHEMA_VERSION,
    command: "cpus",
    file: input.path,
    cpus: rows,
    crashingCpu: null,
    crashingCpuSource: null,
    masks: { possible: null, present: null, online: null },
    nrCpuIds: null,
    prPidMeaning: "task-pid",
    nrCpus: 0,
    symbols: [],
    kaslrOffset: hex(0),
    kaslrSource: "none",
    notices: ["bare elfcorehdr: one row per CPU note slot; CPU numbers assume the slots describe CPUs 0..n-1"],
    findings: { error: 0, warning: 0, info: rows.length },
  };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
