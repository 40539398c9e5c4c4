import type { MemoryReport } from "../../memory-map.js";
import { humanSize, table } from "../../render/table.js";
import { styleFor } from "../../render/style.js";

/** The human form of `memory`. */
export function renderMemory(r: MemoryReport): string {
  const s = styleFor(process.stdout);
  const out: string[] = [];
  out.push(`${r.loads.length} PT_LOADs, ${humanSize(r.bytesCovered)} of physical memory${r.bareElfcorehdr ? " (bare elfcorehdr: no memory in the file)" : ""}`);
  out.push(table(["phdr", "paddr", "end", "vaddr", "size", "in file", "readable"], r.loads.map((l) => [`${l.phdrIndex}`, l.paddr, l.end, l.vaddr, humanSize(BigInt(l.size)), humanSize(BigInt(l.fileSize)), l.readable ? "yes" : "no"])));
  if (r.holes.length) {
    out.push("", "holes between the ranges:");
    out.push(table(["start", "end", "size"], r.holes.map((h) => [h.start, h.end, humanSize(BigInt(h.size))])));
  }
  if (r.iomem) {
    out.push("", `compared with /proc/iomem (${r.iomem.systemRam.length} System RAM ranges):`);
    const rows = [
      ...r.iomem.ramNotInDump.map((d) => [d.start, d.end, humanSize(BigInt(d.size)), d.expected ? s.dim(`expected: ${d.reason}`) : s.red(d.reason)]),
      ...r.iomem.dumpNotInRam.map((d) => [d.start, d.end, humanSize(BigInt(d.size)), s.red(d.reason)]),
    ];
    out.push(rows.length ? table(["start", "end", "size", "difference"], rows) : s.green("the dump covers exactly the System RAM"));
  }
  return out.join("\n");
}
