// `hotplug create`: the elfcorehdr a kernel with CONFIG_CRASH_HOTPLUG prepares at kdump load time,
// from the facts an engineer reads in sysfs (crash_notes per CPU, /sys/kernel/vmcoreinfo,
// /proc/iomem), allocated once for 2 + max CPUs + max memory ranges program headers.
import { type ElfcorehdrSpec, type MemoryRange } from "@kdumpkit/elf";
import { AnalyzerError } from "../errors.js";
import { listOption, parseAddrSize, parseCpuListArg, parseHexDefault, parseNumber, parseRange } from "./args.js";
import { type MachineFacts, machineFacts } from "./machine.js";

/**
 * The inputs of `hotplug create`, as command-line option values or the same keys in a
 * `--from-spec` JSON file (strings, or arrays of strings for the repeatable ones).
 */
export interface HotplugCreateOptions {
  machine?: string;
  /** CPU list (`0-3`), the possible CPUs that get a PT_NOTE. */
  cpus?: string;
  /** crash_notes of the first CPU in `cpus` minus first-id × stride: CPU n's note is at base + n × stride. */
  notesBase?: string;
  /** Distance between consecutive CPUs' crash_notes (the percpu unit size). */
  noteStride?: string;
  /** Explicit crash_notes addresses, one per CPU in `cpus` (instead of base/stride). */
  crashNotes?: string | string[];
  /** VMCOREINFO note `ADDR:SIZE`. */
  vmcoreinfo?: string;
  /** RAM ranges, START-END inclusive (repeatable / comma-separated). */
  memory?: string | string[];
  exclude?: string | string[];
  /** Kernel-text mapping `PADDR:VADDR:SIZE`. */
  kernelText?: string;
  maxCpus?: string | number;
  maxRanges?: string | number;
  pageOffset?: string;
  noteBytes?: string | number;
}

/** A parsed create request: the spec and the capacity. */
export interface CreateRequest {
  machine: MachineFacts;
  spec: ElfcorehdrSpec;
  maxCpus: number;
  maxRanges: number;
}

function need<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === "") throw new AnalyzerError("E_BAD_ARGUMENT", `--${name} is required`);
  return value;
}

function count(value: string | number | undefined, name: string): number {
  const n = Number(parseNumber(String(need(value, name)), `--${name}`));
  if (n > 0xfffe) throw new AnalyzerError("E_BAD_ARGUMENT", `--${name} ${n} is more than an elfcorehdr can describe`);
  return n;
}

/**
 * Turns option values into an ElfcorehdrSpec and a capacity.
 * @throws AnalyzerError `E_BAD_ARGUMENT` naming the option.
 */
export function parseCreateOptions(o: HotplugCreateOptions): CreateRequest {
  const machine = machineFacts(need(o.machine, "machine"));
  const ids = parseCpuListArg(need(o.cpus, "cpus"), "--cpus");
  const explicit = listOption(o.crashNotes).map((a) => parseHexDefault(a, "--crash-notes"));
  let addresses: bigint[];
  if (explicit.length > 0) {
    if (explicit.length !== ids.length) throw new AnalyzerError("E_BAD_ARGUMENT", `--crash-notes lists ${explicit.length} addresses for ${ids.length} CPUs`);
    addresses = explicit;
  } else {
    const base = parseHexDefault(need(o.notesBase, "notes-base"), "--notes-base");
    if (ids.length > 1 && o.noteStride === undefined) throw new AnalyzerError("E_BAD_ARGUMENT", "--note-stride is required with more than one CPU (or list every address with --crash-notes)");
    const stride = o.noteStride === undefined ? 0n : parseHexDefault(o.noteStride, "--note-stride");
    addresses = ids.map((id) => base + BigInt(id) * stride);
  }
  const vmci = parseAddrSize(need(o.vmcoreinfo, "vmcoreinfo"), "--vmcoreinfo");
  const memory: MemoryRange[] = listOption(o.memory).map((r) => parseRange(r, "--memory"));
  const exclude: MemoryRange[] = listOption(o.exclude).map((r) => parseRange(r, "--exclude"));
  let kernelText: ElfcorehdrSpec["kernelText"];
  if (o.kernelText !== undefined) {
    const parts = String(o.kernelText).split(":");
    if (parts.length !== 3) throw new AnalyzerError("E_BAD_ARGUMENT", `--kernel-text ${JSON.stringify(o.kernelText)} is not PADDR:VADDR:SIZE`);
    kernelText = { paddr: parseHexDefault(parts[0]!, "--kernel-text"), vaddr: parseHexDefault(parts[1]!, "--kernel-text"), size: parseHexDefault(parts[2]!, "--kernel-text") };
  }
  const spec: ElfcorehdrSpec = {
    e_machine: machine.e_machine,
    cpus: ids.map((cpu, k) => ({ cpu, crashNotesAddress: addresses[k]! })),
    cpuSelection: "possible",
    noteBytes: o.noteBytes !== undefined ? Number(parseNumber(String(o.noteBytes), "--note-bytes")) : machine.noteBytes,
    vmcoreinfo: { address: vmci.address, size: Number(vmci.size) },
    ...(kernelText ? { kernelText } : {}),
    memory: [...memory].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0)),
    exclude,
    pageOffset: o.pageOffset !== undefined ? parseHexDefault(o.pageOffset, "--page-offset") : machine.pageOffset,
    littleEndian: machine.littleEndian,
  };
  return { machine, spec, maxCpus: count(o.maxCpus, "max-cpus"), maxRanges: count(o.maxRanges, "max-ranges") };
}

/**
 * Reads a `--from-spec` JSON file's text: an object with the option names as keys (camelCase or
 * dashed: `notesBase` or `notes-base`), values as on the command line.
 * @throws AnalyzerError `E_BAD_ARGUMENT` for invalid JSON or an unknown key.
 */
export function parseSpecJson(text: string): HotplugCreateOptions {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new AnalyzerError("E_BAD_ARGUMENT", `--from-spec is not JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new AnalyzerError("E_BAD_ARGUMENT", "--from-spec must hold a JSON object");
  const known = new Set(["machine", "cpus", "notesBase", "noteStride", "crashNotes", "vmcoreinfo", "memory", "exclude", "kernelText", "maxCpus", "maxRanges", "pageOffset", "noteBytes"]);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const camel = key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!known.has(camel)) throw new AnalyzerError("E_BAD_ARGUMENT", `--from-spec: unknown key ${JSON.stringify(key)} (known: ${[...known].join(", ")})`);
    const ok = typeof value === "string" || typeof value === "number" || (Array.isArray(value) && value.every((v) => typeof v === "string"));
    if (!ok) throw new AnalyzerError("E_BAD_ARGUMENT", `--from-spec: ${key} must be a string, a number or a list of strings`);
    out[camel] = value;
  }
  return out as HotplugCreateOptions;
}
