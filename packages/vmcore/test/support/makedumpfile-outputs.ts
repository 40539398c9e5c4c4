// Real makedumpfile outputs of the corpus's dumpP.d31 ELF, made once and cached in the OS temp
// folder (keyed by the input's cache name), like the corpus cache: written under a temporary name
// and renamed, so an interrupted run never leaves a half-written file.
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, renameSync } from "node:fs";
import { basename, join } from "node:path";
import { cacheRoot, decompressedCorpusPath } from "../../../../test-support/corpus.js";

/** The variants the tests use, with makedumpfile's arguments. `flat` ones are written with -F to stdout. */
export const VARIANTS = {
  zlib: { args: ["-c", "-d", "31"], flat: false },
  lzo: { args: ["-l", "-d", "31"], flat: false },
  d1: { args: ["-d", "1"], flat: false },
  "flat-zlib": { args: ["-F", "-c", "-d", "31"], flat: true },
  "flat-lzo-d1": { args: ["-F", "-l", "-d", "1"], flat: true },
  "flat-elf": { args: ["-F", "-E", "-d", "31"], flat: true },
} as const;

export type Variant = keyof typeof VARIANTS;

/** Path of the ELF input (the decompressed corpus dump). */
export function dumpPInput(): Promise<string> {
  return decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
}

/** Path of `variant` made by makedumpfile from dumpP.d31, cached. */
export async function makedumpfileOutput(variant: Variant): Promise<string> {
  const input = await dumpPInput();
  const dir = join(cacheRoot, "makedumpfile");
  mkdirSync(dir, { recursive: true });
  const target = join(dir, `${basename(input)}.${variant}`);
  if (existsSync(target)) return target;
  const partial = `${target}.${process.pid}.partial`;
  const { args, flat } = VARIANTS[variant];
  if (flat) {
    const fd = openSync(partial, "w");
    try {
      const r = spawnSync("makedumpfile", [...args, input], { stdio: ["ignore", fd, "pipe"] });
      if (r.status !== 0) throw new Error(`makedumpfile ${args.join(" ")} failed: ${r.stderr?.toString()}`);
    } finally {
      closeSync(fd);
    }
  } else {
    // makedumpfile refuses to overwrite; the partial name is new for this process.
    execFileSync("makedumpfile", [...args, input, partial], { stdio: "ignore" });
  }
  renameSync(partial, target);
  return target;
}

/** `makedumpfile -R` of a flattened file, cached next to it. */
export function rearranged(flatPath: string): string {
  const target = `${flatPath}.R`;
  if (existsSync(target)) return target;
  const partial = `${target}.${process.pid}.partial`;
  const input = openSync(flatPath, "r");
  try {
    const r = spawnSync("makedumpfile", ["-R", partial], { stdio: [input, "ignore", "pipe"] });
    if (r.status !== 0) throw new Error(`makedumpfile -R failed: ${r.stderr?.toString()}`);
  } finally {
    closeSync(input);
  }
  renameSync(partial, target);
  return target;
}
