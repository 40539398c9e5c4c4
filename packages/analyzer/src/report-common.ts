import { emName, prstatusArchForMachine } from "@kdumpkit/elf";
import type { Dump } from "@kdumpkit/vmcore";
import { type Hex, hex } from "./json.js";

/** A problem @kdumpkit/vmcore found while opening the dump, in report form. */
export interface ReportProblem {
  code: string;
  severity: "error" | "warning" | "info";
  message: string;
  offset: number | null;
  address: Hex | null;
  phdrIndex: number | null;
}

/** The dump's opening problems as plain JSON. */
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

/** Architecture name for an ELF machine (`x86_64`, `aarch64`, `ppc64le`…), like @kdumpkit/vmcore's `Dump.arch`. */
export function archOf(e_machine: number, littleEndian: boolean): string {
  const arch = prstatusArchForMachine(e_machine, littleEndian);
  if (arch) return arch;
  return emName(e_machine).replace(/^EM_/, "").toLowerCase();
}
