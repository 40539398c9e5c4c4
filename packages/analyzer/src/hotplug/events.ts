// Hotplug events as the kernel's crash hotplug handler sees them (KEXEC_CRASH_HP_ADD_CPU,
// REMOVE_CPU, ADD_MEMORY, REMOVE_MEMORY; kdump-formats §1.5), written `cpu-add:N[@ADDR]`,
// `cpu-remove:N`, `mem-add:START-END`, `mem-remove:START-END`, and applied in place to an
// elfcorehdr with headroom.
import { ElfError, type MemoryRange } from "@kdumpkit/elf";
import { AnalyzerError } from "../errors.js";
import { hex, type Hex } from "../json.js";
import { parseHexDefault, parseRange } from "./args.js";
import type { OpenedElfcorehdr } from "./recover.js";

/** One hotplug event. */
export type HotplugEvent =
  | { kind: "cpu-add"; cpu: number; crashNotesAddress?: bigint }
  | { kind: "cpu-remove"; cpu: number }
  | { kind: "mem-add"; range: MemoryRange }
  | { kind: "mem-remove"; range: MemoryRange };

/**
 * Parses `cpu-add:N[@ADDR]`, `cpu-remove:N`, `mem-add:START-END`, `mem-remove:START-END`
 * (ranges inclusive, like /proc/iomem; `START+SIZE` also works).
 * @throws AnalyzerError `E_BAD_EVENT`.
 */
export function parseHotplugEvent(text: string): HotplugEvent {
  const m = /^\s*(cpu-add|cpu-remove|mem-add|mem-remove):(\S+)\s*$/.exec(text);
  if (!m) throw new AnalyzerError("E_BAD_EVENT", `${JSON.stringify(text)} is not an event: cpu-add:N[@ADDR], cpu-remove:N, mem-add:START-END, mem-remove:START-END`);
  const kind = m[1] as HotplugEvent["kind"];
  const arg = m[2]!;
  try {
    if (kind === "cpu-add" || kind === "cpu-remove") {
      const [id, at] = arg.split("@");
      if (!/^\d+$/.test(id!) || Number(id) > 0xfffffffe) throw new AnalyzerError("E_BAD_EVENT", `CPU id ${JSON.stringify(id)} is not a number`);
      if (kind === "cpu-remove") {
        if (at !== undefined) throw new AnalyzerError("E_BAD_EVENT", "cpu-remove takes no @ADDR");
        return { kind, cpu: Number(id) };
      }
      return at === undefined ? { kind, cpu: Number(id) } : { kind, cpu: Number(id), crashNotesAddress: parseHexDefault(at, "crash_notes address") };
    }
    return { kind, range: parseRange(arg, kind) };
  } catch (error) {
    if (error instanceof AnalyzerError && error.code === "E_BAD_ARGUMENT") throw new AnalyzerError("E_BAD_EVENT", `${text}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Formats an event back to its text form. */
export function formatHotplugEvent(e: HotplugEvent): string {
  if (e.kind === "cpu-add") return `cpu-add:${e.cpu}${e.crashNotesAddress !== undefined ? `@${hex(e.crashNotesAddress)}` : ""}`;
  if (e.kind === "cpu-remove") return `cpu-remove:${e.cpu}`;
  return `${e.kind}:${hex(e.range.start)}-${hex(e.range.end)}`;
}

/** What one event did to the header. */
export interface HotplugStep {
  event: string;
  /** What changed, in words: "PT_NOTE for CPU 4 at 0x…", "PT_LOAD split in two"… */
  effect: string;
  /** e_phnum after the event. */
  used: number;
  freeSlots: number;
}

/** The crash_notes address of a CPU being added: given, or extrapolated from the percpu stride. */
function crashNotesFor(opened: OpenedElfcorehdr, e: { cpu: number; crashNotesAddress?: bigint }): bigint {
  if (e.crashNotesAddress !== undefined) return e.crashNotesAddress;
  const s = opened.noteStride;
  if (!s) throw new AnalyzerError("E_BAD_EVENT", `cpu-add:${e.cpu}: the CPU notes do not follow one percpu stride, give cpu-add:${e.cpu}@ADDR (from /sys/devices/system/cpu/cpu${e.cpu}/crash_notes)`);
  return s.base + BigInt(e.cpu) * s.stride;
}

/**
 * Applies one event in place (the kernel's crash_handle_hotplug_event → Elfcorehdr update).
 * @throws ElfError `E_CAPACITY` when the event needs more slots than the segment holds (the header
 *   is left as it was); AnalyzerError `E_BAD_EVENT` for an impossible event (CPU already described,
 *   unknown CPU, overlap).
 */
export function applyHotplugEvent(opened: OpenedElfcorehdr, e: HotplugEvent): HotplugStep {
  const hdr = opened.header;
  const before = hdr.used;
  let effect: string;
  try {
    switch (e.kind) {
      case "cpu-add": {
        if (hdr.cpus.some((c) => c.cpu === e.cpu)) throw new AnalyzerError("E_BAD_EVENT", `cpu-add:${e.cpu}: CPU ${e.cpu} already has a PT_NOTE`);
        const address = crashNotesFor(opened, e);
        hdr.addCpu({ cpu: e.cpu, crashNotesAddress: address });
        effect = `PT_NOTE for CPU ${e.cpu}, crash_notes at ${hex(address)}`;
        break;
      }
      case "cpu-remove":
        hdr.removeCpu(e.cpu);
        effect = `PT_NOTE of CPU ${e.cpu} removed`;
        break;
      case "mem-add":
      case "mem-remove": {
        if (e.kind === "mem-add") hdr.addMemory(e.range);
        else hdr.removeMemory(e.range);
        const d = hdr.used - before;
        effect = e.kind === "mem-add"
          ? d === 0 ? "nothing to add (all of it is excluded)" : `${d} PT_LOAD${d > 1 ? "s" : ""} added`
          : d > 0 ? `PT_LOAD split (${d} more)` : d < 0 ? `${-d} PT_LOAD${d < -1 ? "s" : ""} removed` : "PT_LOAD(s) trimmed or not described: no slot change";
        break;
      }
    }
  } catch (error) {
    if (error instanceof ElfError && error.code === "E_INVALID_ARGUMENT") throw new AnalyzerError("E_BAD_EVENT", `${formatHotplugEvent(e)}: ${error.message}`, { cause: error });
    throw error;
  }
  return { event: formatHotplugEvent(e), effect, used: hdr.used, freeSlots: hdr.freeSlots() };
}

/** A memory range as JSON. */
export function rangeJson(r: MemoryRange): { start: Hex; end: Hex } {
  return { start: hex(r.start), end: hex(r.end) };
}
