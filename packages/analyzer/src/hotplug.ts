// Building and updating kdump elfcorehdrs the way a kernel with CONFIG_CRASH_HOTPLUG does
// (kdump-formats §1.1, §1.5): create one with headroom, apply hotplug events to it in place, and
// replay a scripted sequence of events with the stale-header verdict for a crash at any step.
// Library functions return plain reports and bytes; the CLI (cli/commands/hotplug.ts) does the files.
import { ELF64_EHDR_SIZE, ELF64_PHDR_SIZE, Elfcorehdr, emName } from "@kdumpkit/elf";
import { type Hex, hex, SCHEMA_VERSION } from "./json.js";
import { type CreateRequest } from "./hotplug/create.js";
import { type HotplugEvent, type HotplugStep, HotplugHeader, rangeJson } from "./hotplug/events.js";
import { type RecoveryHints, recoverElfcorehdr } from "./hotplug/recover.js";

export { type HotplugCreateOptions, type CreateRequest, parseCreateOptions, parseSpecJson } from "./hotplug/create.js";
export { type HotplugEvent, type HotplugStep, HotplugHeader, formatHotplugEvent, parseHotplugEvent } from "./hotplug/events.js";
export { type RecoveredElfcorehdr, type RecoveryHints, recoverElfcorehdr } from "./hotplug/recover.js";
export { type MachineFacts, MACHINES, machineFacts } from "./hotplug/machine.js";
export { parseRange, parseCpuListArg, parseAddrSize, parseHexDefault } from "./hotplug/args.js";

/** The state an elfcorehdr describes, as JSON. */
export interface ElfcorehdrState {
  e_machine: string;
  fileSize: number;
  /** Program-header slots the segment holds. */
  capacity: number;
  /** e_phnum. */
  used: number;
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

function state(e_machine: number, fileSize: number, capacity: number, used: number, cpus: readonly { cpu: number; crashNotesAddress: bigint }[], memory: readonly { start: bigint; end: bigint }[]): ElfcorehdrState {
  return {
    e_machine: emName(e_machine),
    fileSize,
    capacity,
    used,
    freeSlots: capacity - used,
    cpus: cpus.map((c) => ({ cpu: c.cpu, crashNotes: hex(c.crashNotesAddress) })),
    memory: memory.map(rangeJson),
  };
}

/** Slots a segment of `size` bytes holds: floor((size − 64) / 56) (what the kernel's size check allows). */
export function slotsInSegment(size: number): number {
  return Math.floor((size - ELF64_EHDR_SIZE) / ELF64_PHDR_SIZE);
}

/**
 * Prepares an elfcorehdr with hotplug headroom (Elfcorehdr.create: 2 + maxCpus + maxRanges slots,
 * page-aligned) and describes it.
 * @throws ElfError `E_CAPACITY` when the initial state already needs more, `E_INVALID_ARGUMENT`.
 */
export function createHotplugElfcorehdr(request: CreateRequest, file = ""): { bytes: Uint8Array; report: HotplugCreateReport } {
  const hdr = Elfcorehdr.create(request.spec, { maxCpus: request.maxCpus, maxMemoryRanges: request.maxRanges });
  const bytes = hdr.buffer;
  const capacity = slotsInSegment(bytes.length);
  return {
    bytes,
    report: {
      schemaVersion: SCHEMA_VERSION,
      command: "hotplug create",
      file,
      machine: request.machine.name,
      requestedSlots: hdr.capacity,
      maxCpus: request.maxCpus,
      maxRanges: request.maxRanges,
      header: state(request.spec.e_machine, bytes.length, capacity, hdr.used, hdr.cpus, hdr.memory),
    },
  };
}

/**
 * Applies `events` in order to a copy of the elfcorehdr `bytes` (same size; nothing is returned
 * when any event fails, so a caller writing files leaves the original untouched).
 * @throws ElfError `E_CAPACITY`; AnalyzerError `E_BAD_ELFCOREHDR`, `E_BAD_EVENT`.
 */
export function applyHotplugEvents(bytes: Uint8Array, events: HotplugEvent[], hints: RecoveryHints = {}, names: { file?: string; out?: string } = {}): { bytes: Uint8Array; report: HotplugApplyReport } {
  const recovered = recoverElfcorehdr(bytes, hints);
  const header = new HotplugHeader(recovered, bytes.length);
  const e_machine = recovered.spec.e_machine;
  const before = state(e_machine, bytes.length, header.capacity, header.used, header.cpus, header.memory);
  const steps = events.map((e) => header.apply(e));
  return {
    bytes: header.bytes(),
    report: {
      schemaVersion: SCHEMA_VERSION,
      command: "hotplug apply",
      file: names.file ?? "",
      out: names.out ?? names.file ?? "",
      recovery: recovered.rules,
      before,
      steps,
      after: state(e_machine, bytes.length, header.capacity, header.used, header.cpus, header.memory),
    },
  };
}

/** The state of an elfcorehdr file (for replay and the text output). */
export function elfcorehdrState(header: HotplugHeader, e_machine: number): ElfcorehdrState {
  return state(e_machine, header.fileSize, header.capacity, header.used, header.cpus, header.memory);
}
export { type ReplayScript, type ReplayStep, type ReplayVerdict, type ReplayCpuVerdict, type HotplugReplayReport, parseReplayScript, replayHotplug } from "./hotplug/replay.js";
