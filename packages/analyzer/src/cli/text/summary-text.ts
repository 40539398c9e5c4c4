import type { SummaryReport } from "../../summary.js";
import { humanSize, keyValues, table } from "../../render/table.js";
import { severityColour, styleFor } from "../../render/style.js";

/** The human form of `summary`. */
export function renderSummary(r: SummaryReport): string {
  const s = styleFor(process.stdout);
  const out: string[] = [];
  if (r.elfcorehdr) {
    const d = r.elfcorehdr;
    out.push(s.bold(`${r.file}: bare elfcorehdr (headers only: p_offset values are physical addresses)`));
    out.push(
      keyValues([
        ["architecture", `${r.arch} (${r.machine}, ELF${r.elfClass}, ${r.byteOrder} endian)`],
        ["program headers", `${d.e_phnum} used; the buffer has room for ${d.phdrCapacity} (${d.freeSlots} free for hotplug updates)${d.freeSlotsZeroed ? "" : ", but the free slots are not zeroed!"}`],
        ["CPU note slots", `${d.noteSlots.filter((n) => n.kind === "cpu").length}`],
        ["memory", `${r.loads.length} PT_LOADs, ${humanSize(r.bytesCovered)}`],
      ]),
    );
    out.push("", table(["phdr", "kind", "physical address", "size"], d.noteSlots.map((n) => [`${n.phdrIndex}`, n.kind === "cpu" ? `crash_notes (CPU ${n.cpuOrdinal})` : "VMCOREINFO", n.address, `${n.size}`]), [3]));
    out.push("", table(["phdr", "kind", "paddr", "vaddr", "size"], d.loads.map((l) => [`${l.phdrIndex}`, l.kind, l.paddr, l.vaddr, l.size])));
    return out.join("\n");
  }
  out.push(s.bold(r.file));
  out.push(
    keyValues([
      ["format", r.format],
      ["architecture", `${r.arch} (${r.machine}, ELF${r.elfClass}, ${r.byteOrder} endian)`],
      ["page size", `${r.pageSize ?? "?"}`],
      ["release", r.osRelease ?? "(no VMCOREINFO)"],
      ["crash time", r.crashTime ?? "(none: not a kdump crash, or no CRASHTIME)"],
      ["kernel offset", r.kernelOffset ?? "(none)"],
      ["memory", `${r.loads.length} PT_LOADs covering ${humanSize(r.bytesCovered)}`],
      ["notes", Object.entries(r.noteCounts).map(([k, v]) => `${v} × ${k}`).join(", ") || "(none)"],
      ["nr_cpus", `${r.nrCpus} (makedumpfile's count of saved NT_PRSTATUS notes)`],
    ]),
  );
  out.push("", table(["#", "paddr", "vaddr", "size", "in file"], r.loads.map((l, i) => [`${i}`, l.paddr, l.vaddr, l.size, l.fileSize]), [0]));
  for (const p of r.problems) out.push(severityColour(s, p.severity)(`${p.severity}: ${p.code}: ${p.message}`));
  return out.join("\n");
}
