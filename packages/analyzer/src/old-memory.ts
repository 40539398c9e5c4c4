// The crashed kernel's RAM for capture emulation: raw image files, each mapped at a physical base
// (`FILE[:BASE]`), read with positional reads (never loaded whole).
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { OldMemory } from "@kdumpkit/vmcore";
import { AnalyzerError } from "./errors.js";
import { hex } from "./json.js";
import { parseHexDefault } from "./hotplug/args.js";

/** One image: `bytes` of `path` hold physical `[base, base + size)`. */
export interface OldMemoryImage {
  path: string;
  base: bigint;
  size: bigint;
}

/** Old memory over files, with the images it maps and `close()`. */
export interface FileOldMemory extends OldMemory {
  readonly images: OldMemoryImage[];
  close(): void;
}

/**
 * Parses `FILE[:BASE]` (BASE hex, default 0). A path that itself contains `:` needs an explicit base.
 * @throws AnalyzerError `E_BAD_ARGUMENT`.
 */
export function parseOldMemoryArg(text: string): { path: string; base: bigint } {
  const at = text.lastIndexOf(":");
  if (at > 0 && /^(0x)?[0-9a-f]+[kmgt]?$/i.test(text.slice(at + 1))) return { path: text.slice(0, at), base: parseHexDefault(text.slice(at + 1), "--old-memory base") };
  return { path: text, base: 0n };
}

/**
 * Opens the images. A read must fall entirely inside one image, as copy_oldmem_page reads a page
 * that exists; anything else is the -EFAULT the capture kernel would get.
 * @throws AnalyzerError `E_OLD_MEMORY` for overlapping images (on open) and for reads outside every image.
 */
export function openOldMemory(args: { path: string; base: bigint }[]): FileOldMemory {
  const fds: number[] = [];
  const images: (OldMemoryImage & { fd: number })[] = [];
  try {
    for (const a of args) {
      const fd = openSync(a.path, "r");
      fds.push(fd);
      images.push({ path: a.path, base: a.base, size: BigInt(fstatSync(fd).size), fd });
    }
  } catch (error) {
    for (const fd of fds) closeSync(fd);
    throw error;
  }
  images.sort((x, y) => (x.base < y.base ? -1 : x.base > y.base ? 1 : 0));
  for (let i = 1; i < images.length; i++) {
    const p = images[i - 1]!;
    if (images[i]!.base < p.base + p.size) {
      for (const fd of fds) closeSync(fd);
      throw new AnalyzerError("E_OLD_MEMORY", `old memory images ${p.path} and ${images[i]!.path} overlap at ${hex(images[i]!.base)}`, { address: images[i]!.base });
    }
  }
  return {
    images: images.map(({ path, base, size }) => ({ path, base, size })),
    read(address: bigint, length: number): Uint8Array {
      const end = address + BigInt(length);
      const img = images.find((m) => address >= m.base && end <= m.base + m.size);
      if (!img) throw new AnalyzerError("E_OLD_MEMORY", `no old memory image holds ${hex(address)}..${hex(end)} (${length} bytes): the capture kernel would fail to read it`, { address });
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(img.fd, out, done, length - done, Number(address - img.base) + done);
        if (n === 0) throw new AnalyzerError("E_OLD_MEMORY", `${img.path} ended early at ${hex(address + BigInt(done))}`, { address: address + BigInt(done) });
        done += n;
      }
      return out;
    },
    close() {
      for (const fd of fds) closeSync(fd);
    },
  };
}
