import type { MemoryReport } from "../memory-map.js";
import { humanSize } from "./table.js";
import { drawLegend, FONT, loadCanvas, writePng } from "./png-common.js";

type Kind = "dump" | "hole" | "hot-added" | "hot-removed" | "expected-missing";

const COLOURS: Record<Kind, { colour: string; label: string }> = {
  dump: { colour: "#3a7bd5", label: "described by a PT_LOAD (a duplicate such as kdump's kernel text is drawn once)" },
  hole: { colour: "#e4e4e4", label: "hole: no PT_LOAD describes it" },
  "expected-missing": { colour: "#f3dfa2", label: "System RAM left out on purpose (first MiB, crashkernel)" },
  "hot-added": { colour: "#d64541", label: "System RAM missing from the dump (hot-added)" },
  "hot-removed": { colour: "#f08a24", label: "PT_LOAD that is not System RAM (hot-removed)" },
};

const WIDTH = 1200;
const MARGIN = 30;

/**
 * Draws the physical memory map: one bar over the address space where each interval between two
 * range boundaries gets a width growing with the logarithm of its size (so 1 MiB and 16 GiB ranges
 * are both visible), coloured by what it is; labels for boundaries, then a legend.
 */
export async function drawMemoryPng(report: MemoryReport): Promise<{ png: Uint8Array; width: number; height: number }> {
  const { createCanvas } = await loadCanvas();
  const pieces: { start: bigint; end: bigint; kind: Kind }[] = [];
  for (const r of report.covered) pieces.push({ start: BigInt(r.start), end: BigInt(r.end), kind: "dump" });
  for (const h of report.holes) pieces.push({ start: BigInt(h.start), end: BigInt(h.end), kind: "hole" });
  if (report.iomem) {
    for (const d of report.iomem.ramNotInDump) pieces.push({ start: BigInt(d.start), end: BigInt(d.end), kind: d.expected ? "expected-missing" : "hot-added" });
    for (const d of report.iomem.dumpNotInRam) pieces.push({ start: BigInt(d.start), end: BigInt(d.end), kind: "hot-removed" });
  }
  // Split everything at every boundary; the most specific kind wins where pieces overlap.
  const rank: Record<Kind, number> = { hole: 0, dump: 1, "expected-missing": 2, "hot-added": 3, "hot-removed": 4 };
  const bounds = [...new Set(pieces.flatMap((p) => [p.start, p.end]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const intervals: { start: bigint; end: bigint; kind: Kind }[] = [];
  for (let i = 1; i < bounds.length; i++) {
    const start = bounds[i - 1]!;
    const end = bounds[i]!;
    const cover = pieces.filter((p) => p.start <= start && p.end >= end);
    if (cover.length === 0) continue;
    const kind = cover.reduce((best, p) => (rank[p.kind] > rank[best] ? p.kind : best), cover[0]!.kind);
    const last = intervals[intervals.length - 1];
    if (last && last.kind === kind && last.end === start) last.end = end;
    else intervals.push({ start, end, kind });
  }
  const weight = (iv: { start: bigint; end: bigint }) => 1 + Math.log2(Number(iv.end - iv.start) / 4096 + 1);
  const total = intervals.reduce((s, iv) => s + weight(iv), 0) || 1;
  const barW = WIDTH - 2 * MARGIN;
  const kinds = [...new Set(intervals.map((iv) => iv.kind))];
  const labelRows = 3;
  const height = MARGIN + 30 + 70 + labelRows * 16 + 20 + 24 * kinds.length + MARGIN;
  const canvas = createCanvas(WIDTH, height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, WIDTH, height);
  ctx.fillStyle = "#202020";
  ctx.font = `bold 16px ${FONT}`;
  const stored = report.bareElfcorehdr ? "bare elfcorehdr: none in the file" : `${humanSize(report.bytesInFile)} stored in the file`;
  ctx.fillText(`Physical memory: ${report.loads.length} PT_LOADs describing ${humanSize(report.bytesCovered)} (${stored}); widths grow with log(size)`, MARGIN, MARGIN + 16);
  const barY = MARGIN + 30;
  let x = MARGIN;
  ctx.font = `11px ${FONT}`;
  intervals.forEach((iv, i) => {
    const w = (weight(iv) / total) * barW;
    ctx.fillStyle = COLOURS[iv.kind].colour;
    ctx.fillRect(x, barY, Math.max(1, w), 70);
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 1;
    ctx.strokeRect(x, barY, Math.max(1, w), 70);
    ctx.fillStyle = "#404040";
    ctx.fillText(`0x${iv.start.toString(16)}`, x, barY + 70 + 14 + (i % labelRows) * 16);
    x += w;
  });
  const last = intervals[intervals.length - 1];
  if (last) {
    // The end of the map (exclusive), right-aligned under the bar's end.
    const text = `0x${last.end.toString(16)}`;
    ctx.fillText(text, MARGIN + barW - ctx.measureText(text).width, barY + 70 + 14 + (intervals.length % labelRows) * 16);
  }
  drawLegend(ctx, kinds.map((kind) => COLOURS[kind]), MARGIN, barY + 70 + labelRows * 16 + 24);
  return { png: await canvas.encode("png"), width: WIDTH, height };
}

/** Draws the memory map into a PNG file. */
export async function renderMemoryPng(report: MemoryReport, path: string): Promise<void> {
  await writePng(path, (await drawMemoryPng(report)).png);
}
