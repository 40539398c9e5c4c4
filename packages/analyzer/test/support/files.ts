// Writes test inputs into a fresh folder under the OS temp dir (never into the repository).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = mkdtempSync(join(tmpdir(), "kdumpkit-analyzer-test-"));

/** Writes `data` to a temp file named `name` and returns its path. */
export function tempFile(name: string, data: Uint8Array | string): string {
  const path = join(root, name);
  writeFileSync(path, data);
  return path;
}

/** A path named `name` in the temp folder, for a command to write (nothing is created). */
export function tempPath(name: string): string {
  return join(root, name);
}
