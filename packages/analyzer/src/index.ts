// @kdumpkit/analyzer — every command of the `kdumpkit` CLI as a function returning a plain,
// typed, JSON-serializable report.
export { KdumpkitError } from "@kdumpkit/elf";
export { AnalyzerError, type AnalyzerErrorCode } from "./errors.js";
export { SCHEMA_VERSION, hex, parseHex, type Hex } from "./json.js";
export { openInput, closeInput, describeIfBare, probeBareElfcorehdr, requireDump, type AnalyzerInput } from "./input.js";
export { summary, type SummaryReport, type SummaryLoad } from "./summary.js";
export { notes, type NotesReport, type NoteRow, type NoteVerdict } from "./notes.js";
export { cpus, classifyNoteBuffer, type CpusReport, type CpuRow, type CpusOptions, type CpuVerdictCode, type CrashNotesState } from "./cpus.js";
export { vmcoreinfo, type VmcoreinfoReport } from "./vmcoreinfo.js";
export { memory, type MemoryReport, type MemoryLoad, type MemoryOptions, type RangeRow, type IomemDifference } from "./memory-map.js";
export { check, type CheckReport, type CheckOptions, type Finding, type Severity } from "./checks.js";
export { readMemory, readMemoryBytes, hexdump, MAX_READ_LENGTH, type ReadReport, type ReadOptions } from "./read-memory.js";
export { describeElfcorehdr, type ElfcorehdrDescription, type NoteSlot, type LoadSlot } from "./elfcorehdr-view.js";
export { lookupSystemMap, parseSystemMap, type SystemMapSymbol } from "./system-map.js";
export { resolveSymbols, CPU_SYMBOLS, type SymbolTable, type ResolvedSymbol } from "./symbols.js";
export { parseIomem, systemRamRanges, mergeRanges, subtractRanges, type IomemEntry } from "./iomem.js";
export { decodeCpumask, formatCpuList, parseCpuList } from "./cpumask.js";
export { makedumpfileNrCpus } from "./nr-cpus.js";
export { KernelMemory } from "./kernel-memory.js";
export { dmesg, readDmesg, dmesgFromMemory, type DmesgReport, type DmesgOptions, type DmesgRecord, type DmesgSkipped, type DmesgLimits, type DmesgProblem, type PrintkMemory } from "./dmesg.js";
export { formatDmesg, formatDmesgBytes, timestampPrefix, type DmesgFormatOptions } from "./dmesg/format.js";
export { DEFAULT_DMESG_LIMITS } from "./dmesg/record.js";
export { drawCpusPng, renderCpusPng, CPU_VERDICT_COLOURS } from "./render/png-cpus.js";
export { drawMemoryPng, renderMemoryPng } from "./render/png-memory.js";
export {
  createHotplugElfcorehdr, applyHotplugEvents, elfcorehdrState, parseCreateOptions, parseSpecJson,
  parseHotplugEvent, formatHotplugEvent, applyHotplugEvent, openHotplugElfcorehdr, MACHINES, machineFacts, parseReplayScript, replayHotplug,
  type HotplugCreateReport, type HotplugApplyReport, type HotplugReplayReport, type ElfcorehdrState, type HotplugEvent, type HotplugStep,
  type OpenedElfcorehdr, type RecoveryHints, type CreateRequest, type HotplugCreateOptions, type ReplayScript, type ReplayStep, type ReplayVerdict,
} from "./hotplug.js";
export { openOldMemory, parseOldMemoryArg, type FileOldMemory, type OldMemoryImage } from "./old-memory.js";
