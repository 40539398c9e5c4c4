// One way to write an output file: under a temporary name in the same folder, then renamed, so
// the file is whole or untouched (DESIGN: "files are written to a temporary name and renamed").
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Writes `bytes` to `path` atomically: a temporary file beside it, then rename; the temporary is removed on failure. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}
