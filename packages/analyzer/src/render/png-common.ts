// Shared pieces of the PNG renderers. @napi-rs/canvas is imported only here, and only when a
// picture is asked for (--png), because loading its native binding costs tens of milliseconds.

/** The canvas module, loaded on first use. */
export async function loadCanvas(): Promise<typeof import("@napi-rs/canvas")> {
  return import("@napi-rs/canvas");
}

/** Font stack: DejaVu is on the machines; the generic family is the fallback. */
export const FONT = "DejaVu Sans, sans-serif";

/** Writes an encoded PNG under a temporary name, then renames it (the file is whole or absent). */
export async function writePng(path: string, png: Uint8Array): Promise<void> {
  const { writeFileAtomic } = await import("../internal/write-file-atomic.js");
  writeFileAtomic(path, png);
}

/** The 2D context both renderers draw with. */
type Context = ReturnType<import("@napi-rs/canvas").Canvas["getContext"]>;

/**
 * Draws a legend: one swatch and its label per entry, 24 px apart, from (x, y); returns the y
 * below the last entry.
 */
export function drawLegend(ctx: Context, entries: { colour: string; label: string }[], x: number, y: number): number {
  ctx.font = `13px ${FONT}`;
  for (const { colour, label } of entries) {
    ctx.fillStyle = colour;
    ctx.fillRect(x, y, 16, 16);
    ctx.fillStyle = "#202020";
    ctx.fillText(label, x + 24, y + 13);
    y += 24;
  }
  return y;
}
