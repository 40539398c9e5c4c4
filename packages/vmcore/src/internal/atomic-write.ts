// Writing a file so that it either appears whole or not at all: a temporary file in the same
// folder (so the rename cannot cross file systems), written, fsync'ed, then renamed over the
// destination. Used by the core collector and by the /proc/vmcore emulation.
import { basename, dirname, join } from "node:path";
import { KdumpkitError } from "@kdumpkit/elf";
import { VmcoreError } from "../errors.js";

/** Writes `bytes` at `position` of the file being written. */
export type PositionalWrite = (bytes: Uint8Array, position: number) => Promise<void>;

/**
 * Creates `destination` atomically: `fill` writes the content through `write`; then the data is
 * fsync'ed and the temporary file renamed to `destination`. On any error (in `fill`, the writes,
 * the fsync or the rename) the temporary file is removed and `destination` is left as it was
 * (absent, or its previous content). Returns what `fill` returns.
 * @throws VmcoreError `E_IO` (the system error as `cause`); a typed kdumpkit error thrown by `fill`
 *   (for example the caller's own "old memory missing" error) as is.
 */
export async function writeFileAtomically<T>(destination: string, fill: (write: PositionalWrite) => Promise<T>): Promise<T> {
  // node:fs/promises (with the streams and readline it loads) only when writing: readers never pay for it.
  const { open, rename, unlink } = await import("node:fs/promises");
  const temp = join(dirname(destination), `.${basename(destination)}.${process.pid}.partial`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(temp, "wx");
  } catch (cause) {
    throw new VmcoreError("E_IO", `cannot create ${temp}: ${(cause as Error).message}`, { cause });
  }
  try {
    const file = handle;
    const result = await fill(async (bytes, position) => {
      // FileHandle.write may write less than asked (like write(2)): loop until all is written.
      for (let done = 0; done < bytes.length; ) {
        const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position + done);
        if (bytesWritten === 0) throw new VmcoreError("E_IO", `writing ${temp}: no progress at ${position + done}`);
        done += bytesWritten;
      }
    });
    // The data must be on disk before the name points at it, or a crash could leave a short file.
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, destination);
    await syncFolder(dirname(destination));
    return result;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    if (error instanceof KdumpkitError) throw error;
    throw new VmcoreError("E_IO", `writing ${destination} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** fsync of the folder, so the rename itself survives a crash (best effort: not every system allows it). */
async function syncFolder(folder: string): Promise<void> {
  const { open } = await import("node:fs/promises");
  const dir = await open(folder, "r").catch(() => undefined);
  if (dir === undefined) return;
  await dir.sync().catch(() => undefined);
  await dir.close().catch(() => undefined);
}
