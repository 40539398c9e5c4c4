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
  const { renameSync, writeFileSync } = await import("node:fs");
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, png);
  renameSync(tmp, path);
}
