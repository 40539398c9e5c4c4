// `hotplug replay`: a scripted sequence of hotplug events played on an elfcorehdr (and on powerpc
// the kdump FDT), both with the headroom they were allocated with, as the kernel's crash hotplug
// handler plays them — and, for a crash after any step, which CPUs and memory the dump would get
// wrong. Events marked `missed` change the machine but not the kdump image (hotplug support off,
// kexec_trylock() failed: "kdump image may be inaccurate"), which is how a header goes stale.
import { ElfError, type Elfcorehdr } from "@kdumpkit/elf";
import type { EditableFdt } from "@kdumpkit/fdt";
import { AnalyzerError } from "../errors.js";
import { mergeRanges, subtractRanges } from "../iomem.js";
import { type Hex, SCHEMA_VERSION } from "../json.js";
import { parseCpuListArg, parseRange } from "./args.js";
import { type HotplugEvent, applyHotplugEvent, formatHotplugEvent, parseHotplugEvent, rangeJson } from "./events.js";
import { type OpenedElfcorehdr, type RecoveryHints, openHotplugElfcorehdr } from "./recover.js";

type Range = { start: bigint; end: bigint };

// iomem.ts works on half-open ranges; hotplug ranges are inclusive like the kernel's struct range.
const half = (rs: readonly Range[]): Range[] => rs.map((r) => ({ start: r.start, end: r.end + 1n }));
const inclusive = (rs: readonly Range[]): Range[] => rs.map((r) => ({ start: r.start, end: r.end - 1n }));

/** A parsed replay script. */
export interface ReplayScript {
  /** `header FILE` (relative to the script). */
  header?: string;
  /** `fdt FILE`. */
  fdt?: string;
  /** `online LIST`: CPUs online before the first event (default: the CPUs the header describes). */
  online?: number[];
  /** `exclude START-END`: the crashkernel reservation, cut out of hot-added memory. */
  exclude: Range[];
  /**
   * `policy possible` (default: the header describes every possible CPU and CPU events leave its
   * PT_NOTEs alone, as kexec_file on x86 and powerpc do) or `policy present` (PT_NOTEs follow CPU
   * add/remove, as older kernels that walked present CPUs).
   */
  policy: "possible" | "present";
  steps: { line: number; event: HotplugEvent; missed: boolean }[];
}

/**
 * Parses a replay script: one directive or event per line, `#` comments.
 * @throws AnalyzerError `E_BAD_EVENT` naming the line.
 */
export function parseReplayScript(text: string): ReplayScript {
  const script: ReplayScript = { exclude: [], policy: "possible", steps: [] };
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const t = raw.replace(/#.*/, "").trim();
    if (t === "") return;
    const [word, ...rest] = t.split(/\s+/);
    const arg = rest.join(" ");
    try {
      if (word === "header" || word === "fdt") {
        if (!arg) throw new AnalyzerError("E_BAD_EVENT", `${word} needs a file name`);
        script[word] = arg;
      } else if (word === "online") script.online = parseCpuListArg(arg, "online");
      else if (word === "exclude") script.exclude.push(parseRange(arg, "exclude"));
      else if (word === "policy") {
        if (arg !== "possible" && arg !== "present") throw new AnalyzerError("E_BAD_EVENT", `policy ${JSON.stringify(arg)} is not possible or present`);
        script.policy = arg;
      } else if (word === "missed") script.steps.push({ line, event: parseHotplugEvent(arg), missed: true });
      else script.steps.push({ line, event: parseHotplugEvent(t), missed: false });
    } catch (error) {
      if (error instanceof AnalyzerError) throw new AnalyzerError("E_BAD_EVENT", `script line ${line}: ${error.message}`, { cause: error });
      throw error;
    }
  });
  return script;
}

/** One step of a replay. */
export interface ReplayStep {
  step: number;
  line: number;
  event: string;
  missed: boolean;
  /** What the elfcorehdr update did, or why it failed (the header then stays as it was). */
  elfcorehdr: { effect: string; failed: boolean; used: number; freeSlots: number };
  /** What the FDT update did (powerpc, with --fdt), and the free bytes left. */
  fdt: { effect: string; failed: boolean; headroom: number } | null;
}

/** One CPU in the crash verdict. */
export interface ReplayCpuVerdict {
  cpu: number;
  online: boolean;
  inElfcorehdr: boolean;
  inFdt: boolean | null;
  /** The `cpus` command's verdict codes where they apply, plus `fdt-missing-cpu`. */
  verdictCode: "saved" | "stale-elfcorehdr" | "offline-expected" | "fdt-missing-cpu";
  verdict: string;
  severity: "ok" | "info" | "warning" | "error";
}

/** What the dump would say about a crash right after step `afterStep`. */
export interface ReplayVerdict {
  afterStep: number;
  cpus: ReplayCpuVerdict[];
  /** Machine RAM the header does not describe: missing from the dump. */
  memoryNotInDump: { start: Hex; end: Hex }[];
  /** Ranges the header describes that were hot-removed: the capture kernel would read unplugged memory. */
  removedMemoryDescribed: { start: Hex; end: Hex }[];
  findings: { error: number; warning: number; info: number };
}

/** `kdumpkit hotplug replay --json`. */
export interface HotplugReplayReport {
  schemaVersion: number;
  command: "hotplug replay";
  script: string;
  policy: "possible" | "present";
  recovery: string[];
  start: { used: number; freeSlots: number; fdtHeadroom: number | null };
  steps: ReplayStep[];
  verdict: ReplayVerdict | null;
}

/** FDT side of the replay: thread ids covered by CPU nodes, and the in-place update. */
class FdtSide {
  readonly #blob: EditableFdt;
  readonly #fdt: typeof import("@kdumpkit/fdt");
  constructor(fdt: typeof import("@kdumpkit/fdt"), bytes: Uint8Array) {
    this.#fdt = fdt;
    this.#blob = fdt.EditableFdt.wrap(bytes.slice());
  }
  get headroom(): number {
    return this.#blob.headroom;
  }
  get bytes(): Uint8Array {
    return this.#blob.bytes;
  }
  /** CPU (thread) numbers covered: reg .. reg + threads − 1 of every CPU node. */
  threads(): Set<number> {
    const out = new Set<number>();
    for (const p of this.#fdt.cpuNodePaths(this.#blob)) {
      const reg = this.#blob.getProp(p, "reg");
      if (!reg || reg.length < 4) continue;
      const first = new DataView(reg.buffer, reg.byteOffset).getUint32(0);
      const servers = this.#blob.getProp(p, "ibm,ppc-interrupt-server#s");
      const n = servers && servers.length >= 4 ? servers.length >> 2 : 1;
      for (let k = 0; k < n; k++) out.add(first + k);
    }
    return out;
  }
  /** update_cpus_node for a hot-added CPU: its core's node appears if it is not there. */
  addCpu(cpu: number): { effect: string; failed: boolean } {
    if (this.threads().has(cpu)) return { effect: `CPU ${cpu} already has a node`, failed: false };
    const template = this.#fdt.cpuTemplate(this.#blob);
    const core = cpu - (cpu % template.threads);
    try {
      const { path } = this.#fdt.addCpuNode(this.#blob, template, core);
      return { effect: `node ${path} added`, failed: false };
    } catch (error) {
      if ((error as { code?: string }).code === "FDT_ERR_NOSPACE") return { effect: `FDT_ERR_NOSPACE: no headroom for CPU ${cpu}'s node (update_crash_fdt fails, the FDT stays as it was)`, failed: true };
      throw error;
    }
  }
}

/**
 * Replays `script` on the elfcorehdr `headerBytes` (and FDT `fdtBytes` when given).
 * @throws AnalyzerError `E_BAD_ELFCOREHDR`, `E_BAD_EVENT`; FdtError for an unusable FDT.
 */
export async function replayHotplug(
  headerBytes: Uint8Array,
  script: ReplayScript,
  options: { fdtBytes?: Uint8Array; crashAfter?: number; hints?: RecoveryHints; scriptName?: string } = {},
): Promise<{ report: HotplugReplayReport; header: Uint8Array; fdt: Uint8Array | undefined }> {
  const hints: RecoveryHints = { ...options.hints, exclude: [...(options.hints?.exclude ?? []), ...script.exclude] };
  const opened = openHotplugElfcorehdr(headerBytes, hints);
  const header = opened.header;
  const start = { used: header.used, freeSlots: header.freeSlots() };
  const fdt = options.fdtBytes ? new FdtSide(await import("@kdumpkit/fdt"), options.fdtBytes) : undefined;
  const crashAfter = options.crashAfter;
  if (crashAfter !== undefined && (!Number.isSafeInteger(crashAfter) || crashAfter < 0 || crashAfter > script.steps.length)) {
    throw new AnalyzerError("E_BAD_ARGUMENT", `--crash-after ${crashAfter}: the script has ${script.steps.length} steps (0 = before the first)`);
  }
  const online = new Set(script.online ?? header.cpus.map((c) => c.cpu));
  /** Machine RAM, half-open. */
  let ram: Range[] = mergeRanges(half(header.memory));
  let verdict: ReplayVerdict | null = null;
  const judge = (afterStep: number): ReplayVerdict => crashVerdict(afterStep, online, ram, hints.exclude ?? [], header, fdt);
  if (crashAfter === 0) verdict = judge(0);
  const steps: ReplayStep[] = [];
  script.steps.forEach((s, i) => {
    const e = s.event;
    // The machine changes whatever the kdump image does.
    if (e.kind === "cpu-add") online.add(e.cpu);
    else if (e.kind === "cpu-remove") online.delete(e.cpu);
    else if (e.kind === "mem-add") ram = mergeRanges([...ram, ...half([e.range])]);
    else ram = subtractRanges(ram, half([e.range]));
    let hdrEffect: { effect: string; failed: boolean };
    let fdtEffect: ReplayStep["fdt"] = null;
    if (s.missed) {
      hdrEffect = { effect: "missed: the kdump image was not updated", failed: false };
      if (fdt) fdtEffect = { effect: "missed", failed: false, headroom: fdt.headroom };
    } else {
      hdrEffect = updateHeader(opened, e, script.policy);
      if (fdt) fdtEffect = { ...(e.kind === "cpu-add" ? fdt.addCpu(e.cpu) : { effect: e.kind === "cpu-remove" ? "nothing (an offline CPU may stay in the FDT)" : "nothing (memory is described by the elfcorehdr)", failed: false }), headroom: fdt.headroom };
    }
    steps.push({ step: i + 1, line: s.line, event: formatHotplugEvent(e), missed: s.missed, elfcorehdr: { ...hdrEffect, used: header.used, freeSlots: header.freeSlots() }, fdt: fdtEffect });
    if (crashAfter === i + 1) verdict = judge(i + 1);
  });
  return {
    report: {
      schemaVersion: SCHEMA_VERSION,
      command: "hotplug replay",
      script: options.scriptName ?? "",
      policy: script.policy,
      recovery: [...header.recovery, ...(opened.fallback ? [opened.fallback] : [])],
      start: { ...start, fdtHeadroom: options.fdtBytes ? new FdtSide(await import("@kdumpkit/fdt"), options.fdtBytes).headroom : null },
      steps,
      verdict,
    },
    header: header.buffer,
    fdt: fdt?.bytes,
  };
}

/** The kernel's elfcorehdr update for one event; a capacity failure leaves the header as it was. */
function updateHeader(opened: OpenedElfcorehdr, e: HotplugEvent, policy: "possible" | "present"): { effect: string; failed: boolean } {
  const described = (cpu: number): boolean => opened.header.cpus.some((c) => c.cpu === cpu);
  if (e.kind === "cpu-add" && described(e.cpu)) return { effect: `CPU ${e.cpu} already has a PT_NOTE (possible CPUs are all described)`, failed: false };
  if (e.kind === "cpu-remove" && (policy === "possible" || !described(e.cpu))) {
    return { effect: described(e.cpu) ? `PT_NOTE of CPU ${e.cpu} kept (possible-CPU header; its note will be uninitialized)` : `CPU ${e.cpu} has no PT_NOTE`, failed: false };
  }
  try {
    return { effect: applyHotplugEvent(opened, e).effect, failed: false };
  } catch (error) {
    if (error instanceof ElfError && error.code === "E_CAPACITY") return { effect: `E_CAPACITY: ${error.message} (the kernel logs the failure and the header stays stale)`, failed: true };
    throw error;
  }
}

function crashVerdict(afterStep: number, online: Set<number>, ram: Range[], exclude: Range[], header: Elfcorehdr, fdt: FdtSide | undefined): ReplayVerdict {
  const inHdr = new Set(header.cpus.map((c) => c.cpu));
  const inFdt = fdt?.threads();
  const ids = [...new Set([...online, ...inHdr])].sort((a, b) => a - b);
  const cpus = ids.map((cpu): ReplayCpuVerdict => {
    const on = online.has(cpu);
    const h = inHdr.has(cpu);
    const f = inFdt ? inFdt.has(cpu) : null;
    const base = { cpu, online: on, inElfcorehdr: h, inFdt: f };
    if (on && f === false) return { ...base, verdictCode: "fdt-missing-cpu", severity: "error", verdict: "online but not in the kdump FDT: if it is the crashing CPU the capture kernel fails to boot" };
    if (on && !h) return { ...base, verdictCode: "stale-elfcorehdr", severity: "error", verdict: "online but no PT_NOTE: its registers are lost, the elfcorehdr was stale (CPU added after it was prepared)" };
    if (on) return { ...base, verdictCode: "saved", severity: "ok", verdict: "online, note saved" };
    return { ...base, verdictCode: "offline-expected", severity: "info", verdict: "not online at crash: its crash_notes stay uninitialized and the capture kernel drops the note (expected)" };
  });
  const described = mergeRanges(half(header.memory));
  const expected = subtractRanges(ram, half(exclude));
  const notInDump = inclusive(subtractRanges(expected, described));
  const removed = inclusive(subtractRanges(described, ram));
  const findings = { error: removed.length, warning: notInDump.length, info: 0 };
  for (const c of cpus) if (c.severity !== "ok") findings[c.severity]++;
  return { afterStep, cpus, memoryNotInDump: notInDump.map(rangeJson), removedMemoryDescribed: removed.map(rangeJson), findings };
}

