import type { NotesReport } from "../../notes.js";
import { table } from "../../render/table.js";
import { styleFor } from "../../render/style.js";

/** The human form of `notes`. */
export function renderNotes(r: NotesReport): string {
  const s = styleFor(process.stdout);
  const colour = (v: string) => (v === "valid" ? s.green(v) : v === "uninitialized" || v === "not-in-file" ? s.yellow(v) : s.red(v));
  // QEMU's dump-guest-memory stores the vCPU index + 1 in pr_pid (beside its "QEMU" notes): not a task.
  const pidLabel = r.notes.some((n) => n.owner === "QEMU") ? "pr_pid (cpu+1)" : "pid";
  const rows = r.notes.map((n) => [
    // The PT_NOTE's program-header index, as in every other table (readelf's numbering).
    n.phdrIndex !== null ? `${n.phdrIndex}` : `#${n.segment}`,
    n.offset !== null ? `0x${n.offset.toString(16)}` : (n.address ?? ""),
    n.owner,
    n.typeName,
    `${n.size}`,
    colour(n.verdict),
    n.pid !== null ? `${pidLabel} ${n.pid} pc ${n.pc} sp ${n.sp}` : (n.detail ?? ""),
  ]);
  const head = r.bareElfcorehdr ? "bare elfcorehdr: PT_NOTE slots (the notes themselves are in old memory)\n" : "";
  return head + table(["phdr", r.bareElfcorehdr ? "address" : "offset", "owner", "type", r.bareElfcorehdr ? "size" : "n_descsz", "verdict", "details"], rows, [0, 4]);
}
