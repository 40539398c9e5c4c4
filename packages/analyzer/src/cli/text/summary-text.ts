import type { SummaryReport } from "../../summary.js";
import { humanSize, keyValues, table } from "../../render/table.js";
import { severityColour, styleFor } from "../../render/style.js";
import { problemLine } from "../../report-common.js";

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
        [
          "program headers",
          `${d.e_phnum} used, ${d.neededSlots} counted by the kernel (the kernel-text slot always counts); the buffer has room for ${d.phdrCapacity} (${d.freeSlots} free for hotplug updates)${d.freeSlotsZeroed ? "" : ", but the free slots are not zeroed!"}`,
        ],
        ["layout", d.recovery.status === "recovered" ? "the kernel's (crash_prepare_elf64_headers)" : `not the kernel's exactly (${d.recovery.code}: ${d.recovery.message}); parts told apart loosely`],
        ["CPU note slots", `${d.noteSlots.filter((n) => n.kind === "cpu").length}`],
        ["memory", `${r.loads.length} PT_LOADs describing ${humanSize(r.bytesCovered)} of physical memory (none of it in this file)`],
      ]),
    );
    out.push("", table(["phdr", "kind", "physical address", "size"], d.noteSlots.map((n) => [`${n.phdrIndex}`, n.kind === "cpu" ? `crash_notes (CPU ${n.cpuOrdinal})` : "VMCOREINFO", n.address, `${n.size}`]), [0, 3]));
    out.push("", table(["phdr", "kind", "paddr", "vaddr", "size", "note"], d.loads.map((l) => [`${l.phdrIndex}`, l.kind, l.paddr, l.vaddr, l.size, l.duplicateOf !== null ? s.dim(`duplicates RAM of phdr ${l.duplicateOf}`) : ""]), [0]));
    return out.join("\n");
  }
  out.push(s.bold(r.file));
  out.push(
    keyValues([
      ["format", r.format],
      ["architecture", `${r.arch} (${r.machine}, ELF${r.elfClass}, ${r.byteOrder} endian)`],
      ["page size", `${r.pageSize ?? "?"}`],
      ["release", r.osRelease ?? "(no VMCOREINFO)"],
      ["crash time", r.crashTime ? crashTimeText(r.crashTime) : "(none: not a kdump crash, or no CRASHTIME)"],
      ["kernel offset", r.kernelOffset ?? "(none)"],
      ["memory", memoryText(r)],
      ["notes", Object.entries(r.noteCounts).map(([k, v]) => `${v} × ${k}`).join(", ") || "(none)"],
      ["nr_cpus", `${r.nrCpus} (makedumpfile's count of saved NT_PRSTATUS notes)`],
    ]),
  );
  // Program-header indices, as readelf numbers them and as every message names segments ("phdr 9").
  const rows = r.loads.map((l) => [`${l.phdrIndex}`, l.paddr, l.vaddr, l.size, l.fileSize, l.duplicateOf !== null ? s.dim(`duplicate of phdr ${l.duplicateOf}`) : ""]);
  out.push("", table(["phdr", "p_paddr", "p_vaddr", "p_memsz", "p_filesz", "note"], rows, [0]));
  for (const p of r.problems) out.push(severityColour(s, p.severity)(`${p.severity}: ${problemLine(p)}`));
  return out.join("\n");
}

/** CRASHTIME is seconds since the epoch; said in UTC with the zone named, not left to a trailing "Z". */
export function crashTimeText(iso: string): string {
  return `${iso.replace("T", " ").replace(/(\.000)?Z$/, "")} UTC`;
}

function memoryText(r: SummaryReport): string {
  const duplicates = r.loads.filter((l) => l.duplicateOf !== null).length;
  const dup = duplicates ? ` (${duplicates} duplicating RAM another PT_LOAD covers)` : "";
  return `${r.loads.length} PT_LOADs${dup} describing ${humanSize(r.bytesCovered)} of physical memory; ${humanSize(r.bytesInFile)} of it stored in the file`;
}
