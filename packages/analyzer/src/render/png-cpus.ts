import type { CpuRow, CpusReport, CpuVerdictCode } from "../cpus.js";
import { drawLegend, FONT, loadCanvas, writePng } from "./png-common.js";

/** Colour and legend text of each verdict. */
export const CPU_VERDICT_COLOURS: Record<CpuVerdictCode, { colour: string; label: string }> = {
  saved: { colour: "#2e9d4a", label: "online, note saved" },
  "saved-no-masks": { colour: "#8fd19e", label: "note saved (masks unknown)" },
  "offline-expected": { colour: "#a0a0a0", label: "offline, no note (expected)" },
  "not-present-expected": { colour: "#d0d0d0", label: "not present (expected)" },
  "stale-elfcorehdr": { colour: "#d64541", label: "note missing from dump: stale elfcorehdr" },
  "note-for-absent-cpu": { colour: "#8e1e1b", label: "note for a CPU not present" },
  "note-unmatched": { colour: "#b03060", label: "note not tied to any CPU" },
  "online-no-note": { colour: "#f0a030", label: "online, note uninitialized" },
  "online-missing": { colour: "#e8c547", label: "online, no note in dump" },
  "offline-note-saved": { colour: "#c77dff", label: "offline but note saved" },
  "elfcorehdr-slot": { colour: "#7f9cb5", label: "elfcorehdr note slot" },
  unknown: { colour: "#607080", label: "unknown" },
};

const CELL_W = 120;
const CELL_H = 78;
const GAP = 10;
const MARGIN = 20;

/** Draws the CPU grid, coloured by verdict, with a legend; returns the PNG bytes. */
export async function drawCpusPng(report: CpusReport): Promise<{ png: Uint8Array; width: number; height: number }> {
  const { createCanvas } = await loadCanvas();
  const cells = report.cpus;
  const columns = Math.max(1, Math.min(8, cells.length));
  const gridRows = Math.max(1, Math.ceil(cells.length / columns));
  const used = [...new Set(cells.map((c) => c.verdictCode))];
  const legendH = 24 * (used.length + 1);
  const width = Math.max(MARGIN * 2 + columns * (CELL_W + GAP), 520);
  const height = MARGIN * 2 + 40 + gridRows * (CELL_H + GAP) + legendH;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "#202020";
  ctx.font = `bold 16px ${FONT}`;
  ctx.fillText(`CPUs — crashing CPU: ${report.crashingCpu ?? "unknown"}   notes in dump: ${report.nrCpus}`, MARGIN, MARGIN + 16);
  cells.forEach((c: CpuRow, i) => {
    const x = MARGIN + (i % columns) * (CELL_W + GAP);
    const y = MARGIN + 40 + Math.floor(i / columns) * (CELL_H + GAP);
    ctx.fillStyle = CPU_VERDICT_COLOURS[c.verdictCode].colour;
    ctx.fillRect(x, y, CELL_W, CELL_H);
    if (c.crashing) {
      ctx.strokeStyle = "#000000";
      ctx.lineWidth = 5;
      ctx.strokeRect(x + 2.5, y + 2.5, CELL_W - 5, CELL_H - 5);
    }
    ctx.fillStyle = "#ffffff";
    ctx.font = `bold 22px ${FONT}`;
    ctx.fillText(c.cpu === null ? "CPU ?" : `CPU ${c.cpu}`, x + 10, y + 30);
    ctx.font = `12px ${FONT}`;
    ctx.fillText(c.crashing ? "crashed here" : c.inDump ? `note #${c.noteIndex}` : "no note", x + 10, y + 52);
    if (c.pid !== null) ctx.fillText(`pid ${c.pid}`, x + 10, y + 68);
    else if (c.prPid !== null) ctx.fillText(`pr_pid ${c.prPid} (cpu+1)`, x + 10, y + 68);
  });
  const ly = drawLegend(ctx, used.map((code) => CPU_VERDICT_COLOURS[code]), MARGIN, MARGIN + 40 + gridRows * (CELL_H + GAP) + 10);
  ctx.strokeStyle = "#000000";
  ctx.lineWidth = 4;
  ctx.strokeRect(MARGIN + 2, ly + 2, 12, 12);
  ctx.fillStyle = "#202020";
  ctx.fillText("thick border: the crashing CPU", MARGIN + 24, ly + 13);
  return { png: await canvas.encode("png"), width, height };
}

/** Draws the CPU grid into a PNG file. */
export async function renderCpusPng(report: CpusReport, path: string): Promise<void> {
  await writePng(path, (await drawCpusPng(report)).png);
}
