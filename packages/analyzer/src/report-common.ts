import { emName, prstatusArchForMachine } from "@kdumpkit/elf";
import type { Dump, DumpProblem, LoadSegment } from "@kdumpkit/vmcore";
import { type Hex, hex } from "./json.js";

/** A problem @kdumpkit/vmcore found while opening the dump, in report form. */
export interface ReportProblem {
  /** @kdumpkit/vmcore's code (`E_OVERLAP`, `E_BAD_SEGMENT`…); with severity `info` it is not a fault. */
  code: string;
  severity: "error" | "warning" | "info";
  /** What was found; segments are named by program-header index (`phdr 1`), as readelf counts them. */
  message: string;
  offset: number | null;
  address: Hex | null;
  /** Index of the program header concerned (0 is the first entry of the table, often the PT_NOTE). */
  phdrIndex: number | null;
}

/**
 * True when `load` describes memory that another PT_LOAD describes too and reads go through that
 * one: on kdump dumps the kernel-text PT_LOAD (the kernel image's own mapping) duplicates part of a
 * System RAM PT_LOAD (reference §1.1). Normal, not a fault.
 */
export function isDuplicateLoad(load: Pick<LoadSegment, "refusal">): boolean {
  return load.refusal?.code === "E_OVERLAP" && load.refusal.servedBy !== undefined;
}

/**
 * The dump's opening problems as plain JSON. Segments are named `phdr N` (their index in the
 * program-header table, the numbering every table of the reports uses), and the kernel-text
 * duplicate kdump always writes is worded as what it is rather than as an overlap.
 */
export function problemsOf(dump: Dump): ReportProblem[] {
  return dump.problems.map((p) => ({
    code: String(p.code),
    severity: p.severity,
    message: problemMessage(dump, p),
    offset: p.offset ?? null,
    address: p.address !== undefined ? hex(p.address) : null,
    phdrIndex: p.phdrIndex ?? null,
  }));
}

/** The message of one problem, with segments named by program-header index; see {@link problemsOf}. */
export function problemMessage(dump: Pick<Dump, "loads">, p: DumpProblem): string {
  const load = p.phdrIndex !== undefined ? dump.loads.find((l) => l.index === p.phdrIndex) : undefined;
  if (p.severity === "info" && load && isDuplicateLoad(load)) {
    const container = dump.loads.find((l) => l.index === load.refusal!.servedBy);
    // paddr + p_memsz, as readelf shows a segment (a "start-end" pair would read as inclusive).
    const range = `paddr ${hex(load.paddr)} + ${hex(load.memsz)}`;
    // A different virtual-to-physical offset than the RAM PT_LOAD's: the kernel image mapping.
    const kernelText = container !== undefined && load.vaddr - load.paddr !== container.vaddr - container.paddr;
    const served = load.refusal!.servedBy;
    return `phdr ${load.index} (${kernelText ? "kernel text, " : ""}${range}) duplicates RAM that phdr ${served} covers; reads use phdr ${served} (normal for kdump)`;
  }
  // @kdumpkit/vmcore numbers segments by program-header index too ("PT_LOAD 3" is phdr 3).
  return p.message.replace(/\bPT_LOAD (\d+)\b/g, "phdr $1").replace(/\bPT_NOTE (\d+)\b/g, "PT_NOTE phdr $1");
}

/** The problem as one line of text: the code is shown only for warnings and errors. */
export function problemLine(p: Pick<ReportProblem, "code" | "message" | "severity">): string {
  return p.severity === "info" ? p.message : `${p.code}: ${p.message}`;
}

/** Architecture name for an ELF machine (`x86_64`, `aarch64`, `ppc64le`…), like @kdumpkit/vmcore's `Dump.arch`. */
export function archOf(e_machine: number, littleEndian: boolean): string {
  const arch = prstatusArchForMachine(e_machine, littleEndian);
  if (arch) return arch;
  return emName(e_machine).replace(/^EM_/, "").toLowerCase();
}
