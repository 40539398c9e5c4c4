import type { CpusReport } from "../../cpus.js";
import { table } from "../../render/table.js";
import { severityColour, styleFor } from "../../render/style.js";

const yn = (v: boolean | null) => (v === null ? "?" : v ? "yes" : "no");

/** The human form of `cpus`. */
export function renderCpus(r: CpusReport, registers: boolean): string {
  const s = styleFor(process.stdout);
  const out: string[] = [];
  out.push(
    `masks: possible ${r.masks.possible ?? "?"}  present ${r.masks.present ?? "?"}  online ${r.masks.online ?? "?"}` +
      `  |  notes in dump (nr_cpus): ${r.nrCpus}  |  crashing CPU: ${r.crashingCpu ?? "unknown"}${r.crashingCpuSource ? ` (${r.crashingCpuSource})` : ""}`,
  );
  const rows = r.cpus.map((c) => [
    c.cpu === null ? "?" : `${c.cpu}${c.cpuFrom === "note-order" ? "?" : ""}${c.crashing ? "*" : ""}`,
    yn(c.possible),
    yn(c.present),
    yn(c.online),
    c.inDump ? "yes" : "no",
    c.crashNotes ? c.crashNotes.state : "-",
    c.prPid === null ? "-" : `${c.prPid}`,
    c.pc ?? "-",
    severityColour(s, c.severity)(c.verdict),
  ]);
  // pr_pid is the task's pid in a kernel crash note, but QEMU stores the vCPU index + 1 there.
  const pidHeader = r.prPidMeaning === "qemu-cpu-index-plus-1" ? "pr_pid (cpu+1)" : "pid";
  out.push(table(["cpu", "possible", "present", "online", "in dump", "crash_notes", pidHeader, "pc", "verdict"], rows, [6]));
  if (r.crashingCpu !== null) out.push(s.dim("* the crashing CPU"));
  if (r.cpus.some((c) => c.cpuFrom === "note-order")) out.push(s.dim("? CPU number assumed from the order of the notes"));
  if (registers) {
    for (const c of r.cpus) {
      if (!c.registers) continue;
      out.push("", s.bold(`CPU ${c.cpu ?? "?"} registers`));
      const entries = Object.entries(c.registers);
      for (let i = 0; i < entries.length; i += 4) out.push(entries.slice(i, i + 4).map(([k, v]) => `${k.padStart(8)} ${v.padStart(18)}`).join("  "));
    }
  }
  for (const n of r.notices) out.push(s.dim(`note: ${n}`));
  return out.join("\n");
}
