// Access to the shared corpus of real samples (../shared/corpus beside the repository).
// Large samples are xz-compressed; they are decompressed once into a cache in the OS temp folder,
// never into the repository.
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(fileURLToPath(new URL("..", import.meta.url)));
export const corpusRoot = resolve(repoRoot, "../shared/corpus");
export const cacheRoot = join(tmpdir(), "kdumpkit-corpus-cache");

/** Absolute path of a corpus file, e.g. `corpusPath("vmcore/dumpA.truth.json")`. */
export function corpusPath(relative: string): string {
  const path = join(corpusRoot, relative);
  if (!existsSync(path)) throw new Error(`corpus file missing: ${path} (is ../shared/corpus beside the repo?)`);
  return path;
}

export function readCorpusText(relative: string): string {
  return readFileSync(corpusPath(relative), "utf8");
}

export function readCorpusJson<T = any>(relative: string): T {
  return JSON.parse(readCorpusText(relative)) as T;
}

export function readCorpusBytes(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(corpusPath(relative)));
}

const pending = new Map<string, Promise<string>>();

/**
 * Path of the decompressed form of `relative` (a `.xz` corpus file), decompressing it into the
 * cache on first use. The cache entry is keyed by the compressed file's size and mtime, written
 * under a temporary name and renamed, so an interrupted run never leaves a truncated file.
 */
export function decompressedCorpusPath(relative: string): Promise<string> {
  const source = corpusPath(relative);
  const st = statSync(source);
  const target = join(cacheRoot, `${st.size}-${Math.floor(st.mtimeMs)}-${basename(source).replace(/\.xz$/, "")}`);
  if (existsSync(target)) return Promise.resolve(target);
  let job = pending.get(target);
  if (!job) {
    job = decompressXz(source, target);
    pending.set(target, job);
  }
  return job;
}

function decompressXz(source: string, target: string): Promise<string> {
  if (spawnSync("xz", ["--version"]).status !== 0) {
    return Promise.reject(new Error("the `xz` command is needed to decompress corpus samples (Debian package xz-utils)"));
  }
  mkdirSync(cacheRoot, { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  return new Promise((resolvePath, reject) => {
    const child = spawn("xz", ["-dc", source], { stdio: ["ignore", "pipe", "pipe"] });
    const out = createWriteStream(partial);
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.pipe(out);
    child.on("error", reject);
    out.on("finish", () => {
      child.on("close", (code) => {
        if (code !== 0) return reject(new Error(`xz -dc ${source} failed (${code}): ${stderr}`));
        renameSync(partial, target);
        resolvePath(target);
      });
      if (child.exitCode !== null) child.emit("close", child.exitCode);
    });
  });
}
