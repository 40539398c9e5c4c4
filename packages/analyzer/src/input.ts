import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { type ElfHeader, type ProgramHeader, parseElfHeader, parseProgramHeaders, PT, ET } from "@kdumpkit/elf";
import type { Dump } from "@kdumpkit/vmcore";
import { AnalyzerError } from "./errors.js";

/** What the analyzer was given: a dump with memory, or a bare elfcorehdr (headers only). */
export type AnalyzerInput =
  | { kind: "dump"; path: string; dump: Dump }
  | { kind: "elfcorehdr"; path: string; bytes: Uint8Array; header: ElfHeader; programHeaders: ProgramHeader[] };

/** Largest bare elfcorehdr read (x86_64's default segment is 462 512 bytes; 8192 ranges × 56 B with headroom). */
const MAX_ELFCOREHDR = 16 << 20;

/**
 * Opens `path` for analysis. A bare elfcorehdr — the header the kernel prepares, read from old
 * memory or written by a tool — is recognised (reference §1.1: its PT_NOTE/PT_LOAD `p_offset`s are
 * physical addresses, so every non-empty segment lies beyond the end of the small file) and
 * returned as such; anything else is opened with @kdumpkit/vmcore's `openDump`.
 *
 * @throws VmcoreError/ElfError from `openDump` for unreadable dumps (E_NOT_A_DUMP, E_TRUNCATED…).
 */
export async function openInput(path: string): Promise<AnalyzerInput> {
  const bare = probeBareElfcorehdr(path);
  if (bare) return bare;
  const { openDump } = await import("@kdumpkit/vmcore");
  return { kind: "dump", path, dump: openDump(path) };
}

/** Closes what {@link openInput} opened. */
export function closeInput(input: AnalyzerInput): void {
  if (input.kind === "dump") input.dump.close();
}

/** Returns the input as a bare elfcorehdr when it is one, else undefined (never throws on non-ELF data). */
export function probeBareElfcorehdr(path: string): AnalyzerInput | undefined {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size < 64 || size > MAX_ELFCOREHDR) return undefined;
    // The headers of even the largest elfcorehdr fit in 1 MiB; the rest is read only when it is one.
    const probe = new Uint8Array(Math.min(size, 1 << 20));
    readSync(fd, probe, 0, probe.length, 0);
    if (!describeIfBare(probe, path, size)) return undefined;
    const bytes = new Uint8Array(size);
    readSync(fd, bytes, 0, size, 0);
    return describeIfBare(bytes, path);
  } finally {
    closeSync(fd);
  }
}

/** Decides from the headers alone whether `bytes` is a bare elfcorehdr; see {@link openInput}. */
export function describeIfBare(bytes: Uint8Array, path = "<buffer>", fileSize = bytes.length): AnalyzerInput | undefined {
  let header: ElfHeader;
  let programHeaders: ProgramHeader[];
  try {
    header = parseElfHeader(bytes);
    if (header.e_type !== ET.CORE || header.e_phnum === 0 || header.e_phnum === 0xffff) return undefined;
    const phoff = Number(header.e_phoff);
    const table = bytes.subarray(phoff, phoff + header.e_phnum * header.e_phentsize);
    if (table.length < header.e_phnum * header.e_phentsize) return undefined;
    programHeaders = parseProgramHeaders(table, header.ident, header.e_phnum, phoff);
  } catch {
    return undefined;
  }
  const segments = programHeaders.filter((p) => (p.p_type === PT.LOAD || p.p_type === PT.NOTE) && p.p_filesz > 0n);
  if (segments.length === 0) return undefined;
  const size = BigInt(fileSize);
  const outside = segments.every((p) => p.p_offset + p.p_filesz > size);
  if (!outside) return undefined;
  return { kind: "elfcorehdr", path, bytes, header, programHeaders };
}

/** Throws E_NO_MEMORY for commands that need memory when given a bare elfcorehdr. */
export function requireDump(input: AnalyzerInput, what: string): Dump {
  if (input.kind === "dump") return input.dump;
  throw new AnalyzerError("E_NO_MEMORY", `${input.path} is a bare elfcorehdr (headers only, no memory): ${what} needs a dump`);
}
