// Random access to a dump's bytes. Dumps are many gigabytes: nothing here ever loads or maps a
// whole file; every read is a positional read of exactly the bytes asked for.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { VmcoreError } from "./errors.js";

/**
 * Random-access bytes: a file descriptor or a buffer. Reads are synchronous so that small random
 * reads stay cheap (one `pread` each).
 */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** A name for messages (the path, or what the caller called the buffer). */
  readonly name: string;
  /**
   * Fills `target` with the bytes at `fileOffset .. fileOffset + target.length`.
   * @throws VmcoreError `E_TRUNCATED` when the range passes the end, `E_IO` when the OS fails, `E_INVALID_ARGUMENT` after close.
   */
  readInto(target: Uint8Array, fileOffset: number): void;
  /** Returns a new array with `length` bytes at `fileOffset` (same errors as `readInto`). */
  read(fileOffset: number, length: number): Uint8Array;
  /** Releases the descriptor; later reads throw `E_INVALID_ARGUMENT`. Idempotent. */
  close(): void;
}

function checkRange(source: { size: number; name: string }, fileOffset: number, length: number): void {
  if (!Number.isSafeInteger(fileOffset) || fileOffset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new VmcoreError("E_INVALID_ARGUMENT", `bad read of ${length} bytes at offset ${fileOffset} in ${source.name}`, {
      offset: Number.isSafeInteger(fileOffset) ? fileOffset : undefined,
    });
  }
  if (fileOffset + length > source.size) {
    throw new VmcoreError(
      "E_TRUNCATED",
      `${source.name}: ${length} bytes at offset ${fileOffset} pass the end of the data (size ${source.size})`,
      { offset: Math.max(fileOffset, source.size) },
    );
  }
}

class FileSource implements ByteSource {
  readonly size: number;
  readonly name: string;
  private fd: number | undefined;

  constructor(path: string) {
    this.name = path;
    try {
      this.fd = openSync(path, "r");
      this.size = fstatSync(this.fd).size;
    } catch (cause) {
      if (this.fd !== undefined) closeSync(this.fd);
      throw new VmcoreError("E_IO", `cannot open ${path}: ${(cause as Error).message}`, { cause });
    }
  }

  readInto(target: Uint8Array, fileOffset: number): void {
    const fd = this.fd;
    // Hot path of random reads: one pread when the range is plainly inside the file.
    if (fd !== undefined && fileOffset >= 0 && fileOffset + target.length <= this.size && Number.isSafeInteger(fileOffset)) {
      try {
        if (readSync(fd, target, 0, target.length, fileOffset) === target.length) return;
      } catch {
        // fall through to the checked loop, which reports E_IO with the offset
      }
    }
    checkRange(this, fileOffset, target.length);
    if (fd === undefined) throw new VmcoreError("E_INVALID_ARGUMENT", `${this.name} is closed`);
    let done = 0;
    while (done < target.length) {
      let n: number;
      try {
        n = readSync(fd, target, done, target.length - done, fileOffset + done);
      } catch (cause) {
        throw new VmcoreError("E_IO", `read of ${this.name} at offset ${fileOffset + done} failed: ${(cause as Error).message}`, {
          offset: fileOffset + done,
          cause,
        });
      }
      // A short read of 0 bytes means the file shrank under us since open.
      if (n === 0) {
        throw new VmcoreError("E_TRUNCATED", `${this.name} ends at offset ${fileOffset + done} (file shrank since open?)`, {
          offset: fileOffset + done,
        });
      }
      done += n;
    }
  }

  read(fileOffset: number, length: number): Uint8Array {
    checkRange(this, fileOffset, length);
    const out = new Uint8Array(length);
    this.readInto(out, fileOffset);
    return out;
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

class BufferSource implements ByteSource {
  readonly size: number;
  readonly name: string;
  private bytes: Uint8Array | undefined;

  constructor(bytes: Uint8Array, name: string) {
    this.bytes = bytes;
    this.size = bytes.length;
    this.name = name;
  }

  readInto(target: Uint8Array, fileOffset: number): void {
    checkRange(this, fileOffset, target.length);
    if (this.bytes === undefined) throw new VmcoreError("E_INVALID_ARGUMENT", `${this.name} is closed`);
    target.set(this.bytes.subarray(fileOffset, fileOffset + target.length));
  }

  read(fileOffset: number, length: number): Uint8Array {
    checkRange(this, fileOffset, length);
    if (this.bytes === undefined) throw new VmcoreError("E_INVALID_ARGUMENT", `${this.name} is closed`);
    return this.bytes.slice(fileOffset, fileOffset + length);
  }

  close(): void {
    this.bytes = undefined;
  }
}

/**
 * Opens `path` for positional reads (one descriptor, no whole-file load, no mmap).
 * @throws VmcoreError `E_IO` when the file cannot be opened.
 */
export function openFileSource(path: string): ByteSource {
  return new FileSource(path);
}

/** Wraps bytes already in memory (tests, browsers, small dumps). Reads copy, so callers may keep the result. */
export function bufferSource(bytes: Uint8Array, name = "buffer"): ByteSource {
  return new BufferSource(bytes, name);
}
