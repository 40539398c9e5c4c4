import { emName, prstatusArchForMachine } from "@kdumpkit/elf";
import type { Dump, LoadSegment } from "@kdumpkit/vmcore";
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
 * The dump's opening problems as plain JSON, in @kdumpkit/vmcore's words: it names segments
 * `phdr N` (their index in the program-header table, the numbering every table of the reports
 * uses) and words the kernel-text duplicate kdump always writes as what it is.
 */
export function problemsOf(dump: Dump): ReportProblem[] {
  return dump.problems.map((p) => ({
    code: String(p.code),
    severity: p.severity,
    message: p.message,
    offset: p.offset ?? null,
    address: p.address !== undefined ? hex(p.address) : null,
    phdrIndex: p.phdrIndex ?? null,
  }));
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
