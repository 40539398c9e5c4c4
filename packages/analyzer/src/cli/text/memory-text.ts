import type { MemoryLoad, MemoryReport } from "../../memory-map.js";
import { humanSize, table } from "../../render/table.js";
import { styleFor } from "../../render/style.js";

/** The human form of `memory`. */
export function renderMemory(r: MemoryReport): string {
  const s = styleFor(process.stdout);
  const out: string[] = [];
  const duplicates = r.loads.filter((l) => l.duplicateOf !== null).length;
  const stored = r.bareElfcorehdr ? "bare elfcorehdr: none of it is in the file" : `${humanSize(r.bytesInFile)} of it stored in the file`;
  out.push(
    `${r.loads.length} PT_LOADs${duplicates ? ` (${duplicates} duplicating RAM another PT_LOAD covers)` : ""} describing ${humanSize(r.bytesCovered)} of physical memory; ${stored}`,
  );
  // phdr: the program-header index, as readelf counts and as every message names a segment.
  out.push(
    table(
      ["phdr", "paddr", "end (excl.)", "vaddr", "size", "in file", "reads"],
      r.loads.map((l) => [`${l.phdrIndex}`, l.paddr, l.end, l.vaddr, humanSize(BigInt(l.size)), humanSize(BigInt(l.fileSize)), readsCell(r, l, s)]),
      [0, 4, 5],
    ),
  );
  if (duplicates) out.push(s.dim("kdump writes the kernel text as its own PT_LOAD and again inside System RAM: the duplicate is normal, its bytes are read through the RAM PT_LOAD"));
  if (r.holes.length) {
    out.push("", "holes between the ranges:");
    out.push(table(["start", "end (excl.)", "size"], r.holes.map((h) => [h.start, h.end, humanSize(BigInt(h.size))]), [2]));
  }
  if (r.iomem?.captureKernel) {
    out.push("", s.yellow(`warning: ${r.iomem.captureKernel}`));
  } else if (r.iomem) {
    out.push("", `compared with /proc/iomem (${r.iomem.systemRam.length} System RAM ranges):`);
    const rows = [
      ...r.iomem.ramNotInDump.map((d) => [d.start, d.end, humanSize(BigInt(d.size)), d.expected ? s.dim(`expected: ${d.reason}`) : s.red(d.reason)]),
      ...r.iomem.dumpNotInRam.map((d) => [d.start, d.end, humanSize(BigInt(d.size)), s.red(d.reason)]),
    ];
    out.push(rows.length ? table(["start", "end (excl.)", "size", "difference"], rows, [2]) : s.green("the dump covers exactly the System RAM"));
  }
  return out.join("\n");
}

/** How reads of a segment's range are served: by it, through the PT_LOAD it duplicates, or refused. */
function readsCell(r: MemoryReport, l: MemoryLoad, s: ReturnType<typeof styleFor>): string {
  if (r.bareElfcorehdr) return l.duplicateOf !== null ? s.dim(`duplicates phdr ${l.duplicateOf}`) : "-";
  if (l.readable) return "here";
  if (l.duplicateOf !== null) return s.dim(`via phdr ${l.duplicateOf}`);
  return s.red(`refused (${l.refused ?? "unreadable"})`);
}
