// Building and updating kdump elfcorehdrs the way a kernel with CONFIG_CRASH_HOTPLUG does
// (kdump-formats §1.1, §1.5): create one with headroom, apply hotplug events to it in place, and
// replay a scripted sequence of events with the stale-header verdict for a crash at any step.
// Library functions return plain reports and bytes; the CLI (cli/commands/hotplug.ts) does the files.
import { Elfcorehdr, elfcorehdrSlotsNeeded, emName } from "@kdumpkit/elf";
import { type Hex, hex, SCHEMA_VERSION } from "./json.js";
import { type CreateRequest } from "./hotplug/create.js";
import { type HotplugEvent, type HotplugStep, applyHotplugEvent, rangeJson } from "./hotplug/events.js";
import { type RecoveryHints, openHotplugElfcorehdr } from "./hotplug/recover.js";

export { type HotplugCreateOptions, type CreateRequest, parseCreateOptions, parseSpecJson } from "./hotplug/create.js";
export { type HotplugEvent, type HotplugStep, applyHotplugEvent, formatHotplugEvent, parseHotplugEvent } from "./hotplug/events.js";
export { type OpenedElfcorehdr, type RecoveryHints, openHotplugElfcorehdr } from "./hotplug/recover.js";
export { type MachineFacts, MACHINES, machineFacts } from "./hotplug/machine.js";
export { parseRange, parseCpuListArg, parseAddrSize, parseHexDefault } from "./hotplug/args.js";

/** The state an elfcorehdr describes, as JSON. */
export interface ElfcorehdrState {
  e_machine: string;
  fileSize: number;
  /** Program-header slots the segment holds: floor((fileSize − 64) / 56), the kernel's size check. */
  capacity: number;
  /** e_phnum. */
  used: number;
  /** Program headers that can still be added: capacity minus the kernel's count for this state (which reserves a kernel-text slot even without one). */
  freeSlots: number;
  cpus: { cpu: number; crashNotes: Hex }[];
  memory: { start: Hex; end: Hex }[];
}

/** `kdumpkit hotplug create --json`. */
export interface HotplugCreateReport {
  schemaVersion: number;
  command: "hotplug create";
  file: string;
  machine: string;
  /** 2 + maxCpus + maxRanges, the kernel's formula. */
  requestedSlots: number;
  maxCpus: number;
  maxRanges: number;
  /** The segment is page-aligned (ELF_CORE_HEADER_ALIGN 4096), so it holds at least the requested slots. */
  header: ElfcorehdrState;
}

/** `kdumpkit hotplug apply --json`. */
export interface HotplugApplyReport {
  schemaVersion: number;
  command: "hotplug apply";
  file: string;
  out: string;
  /** How the header was read back (which phdr is what). */
  recovery: string[];
  before: ElfcorehdrState;
  steps: HotplugStep[];
  after: ElfcorehdrState;
}

/** The state an elfcorehdr editor describes, as JSON. */
export function elfcorehdrState(hdr: Elfcorehdr): ElfcorehdrState {
  return {
    e_machine: emName(hdr.spec().e_machine),
    fileSize: hdr.buffer.length,
    capacity: hdr.capacity,
    used: hdr.used,
    freeSlots: hdr.freeSlots(),
    cpus: hdr.cpus.map((c) => ({ cpu: c.cpu, crashNotes: hex(c.crashNotesAddress) })),
    memory: hdr.memory.map(rangeJson),
  };
}

/**
 * Prepares an elfcorehdr with hotplug headroom (Elfcorehdr.create: a segment for 2 + maxCpus +
 * maxRanges slots, page-aligned, holding what the page alignment allows) and describes it.
 * @throws ElfError `E_CAPACITY` when the initial state already needs more, `E_INVALID_ARGUMENT`.
 */
export function createHotplugElfcorehdr(request: CreateRequest, file = ""): { bytes: Uint8Array; report: HotplugCreateReport } {
  const hdr = Elfcorehdr.create(request.spec, { maxCpus: request.maxCpus, maxMemoryRanges: request.maxRanges });
  return {
    bytes: hdr.buffer,
    report: {
      schemaVersion: SCHEMA_VERSION,
      command: "hotplug create",
      file,
      machine: request.machine.name,
      requestedSlots: elfcorehdrSlotsNeeded(request.maxCpus, request.maxRanges),
      maxCpus: request.maxCpus,
      maxRanges: request.maxRanges,
      header: elfcorehdrState(hdr),
    },
  };
}

/**
 * Applies `events` in order to a copy of the elfcorehdr `bytes` (same size; nothing is returned
 * when any event fails, so a caller writing files leaves the original untouched).
 * @throws ElfError `E_CAPACITY`; AnalyzerError `E_BAD_ELFCOREHDR`, `E_BAD_EVENT`.
 */
export function applyHotplugEvents(bytes: Uint8Array, events: HotplugEvent[], hints: RecoveryHints = {}, names: { file?: string; out?: string } = {}): { bytes: Uint8Array; report: HotplugApplyReport } {
  const opened = openHotplugElfcorehdr(bytes, hints);
  const before = elfcorehdrState(opened.header);
  const steps = events.map((e) => applyHotplugEvent(opened, e));
  return {
    bytes: opened.header.buffer,
    report: {
      schemaVersion: SCHEMA_VERSION,
      command: "hotplug apply",
      file: names.file ?? "",
      out: names.out ?? names.file ?? "",
      recovery: [...opened.header.recovery, ...(opened.fallback ? [opened.fallback] : [])],
      before,
      steps,
      after: elfcorehdrState(opened.header),
    },
  };
}

export { type ReplayScript, type ReplayStep, type ReplayVerdict, type ReplayCpuVerdict, type HotplugReplayReport, parseReplayScript, replayHotplug } from "./hotplug/replay.js";
