// A core collector (what kdump runs in the capture kernel to save /proc/vmcore): copies a dump
// into a new ELF core, optionally leaving out zero pages like `makedumpfile -E -d 1`. Excluded
// pages stay described: a run of zero pages at the end of a PT_LOAD becomes p_filesz < p_memsz
// (read as zeros by every ELF reader), a run elsewhere splits the PT_LOAD.
import { ELF32_EHDR_SIZE, ELF32_PHDR_SIZE, ELF64_EHDR_SIZE, ELF64_PHDR_SIZE, PT, writeElfHeader, writeProgramHeader, type ProgramHeader } from "@kdumpkit/elf";
import type { Dump } from "./dump.js";
import { VmcoreError, hex } from "./errors.js";
import { writeFileAtomically } from "./internal/atomic-write.js";

/** Options of {@link collectCore}. */
export interface CollectOptions {
  /** Leave out pages that are all zero (makedumpfile dump level 1). Default false. */
  excludeZeroPages?: boolean;
  /** Called after each chunk with memory bytes processed so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Read/write chunk (default 128 KiB: page-cache speed on the reference machine; 1 MiB+ was slower). */
  chunkSize?: number;
}

/** What {@link collectCore} wrote. */
export interface CollectResult {
  pagesWritten: number;
  pagesExcluded: number;
  /** Size of the written file. */
  bytes: number;
  /** PT_LOADs left out because their data cannot be read (outside the file, conflicting overlap). */
  skipped: { phdrIndex: number; reason: string }[];
  /** Program headers in the output (PT_NOTEs + PT_LOADs). */
  phnum: number;
}

interface OutLoad {
  paddr: bigint;
  vaddr: bigint;
  flags: number;
  filesz: number;
  memsz: number;
  /** Source physical address of the file data. */
  from: bigint;
}

/**
 * Copies `dump` into a new ELF core at `destination` (written under a temporary name in the same
 * folder and renamed at the end: on any error the destination is untouched and no partial file stays).
 * @throws VmcoreError `E_IO`, `E_TOO_LARGE` (ELF32 output past 4 GiB), and any read error of the dump.
 */
export async function collectCore(dump: Dump, destination: string, options: CollectOptions = {}): Promise<CollectResult> {
  const pageSize = dump.pageSize;
  const chunkSize = Math.max(pageSize, Math.floor((options.chunkSize ?? 128 * 1024) / pageSize) * pageSize);
  const ident = dump.header.ident;
  const ehsize = ident.elfClass === 64 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE;
  const phsize = ident.elfClass === 64 ? ELF64_PHDR_SIZE : ELF32_PHDR_SIZE;
  const skipped: CollectResult["skipped"] = [];
  const buffer = new Uint8Array(chunkSize);
  const zeroPage = Buffer.alloc(pageSize);

  const sources = dump.loads.filter((l) => {
    if (l.readable || l.refusal?.servedBy !== undefined) return true;
    if (l.memsz > 0n) skipped.push({ phdrIndex: l.index, reason: l.refusal?.reason ?? "unreadable" });
    return false;
  });
  const total = sources.reduce((n, l) => n + Number(l.filesz), 0);
  let processed = 0;

  // Pass 1 (only with zero-page exclusion): find the runs, so the header can precede the data.
  let pagesExcluded = 0;
  const outLoads: OutLoad[] = [];
  for (const seg of sources) {
    const filesz = Number(seg.filesz);
    const memsz = Number(seg.memsz);
    if (!options.excludeZeroPages) {
      outLoads.push({ paddr: seg.paddr, vaddr: seg.vaddr, flags: seg.flags, filesz, memsz, from: seg.paddr });
      continue;
    }
    let current: OutLoad | undefined;
    const startRun = (at: number): OutLoad => {
      const d = BigInt(at);
      const load = { paddr: seg.paddr + d, vaddr: seg.vaddr + d, flags: seg.flags, filesz: 0, memsz: 0, from: seg.paddr + d };
      outLoads.push(load);
      return load;
    };
    for (let at = 0; at < filesz; ) {
      const take = Math.min(chunkSize, filesz - at);
      const chunk = buffer.subarray(0, take);
      dump.readPhysicalInto(chunk, seg.paddr + BigInt(at));
      for (let p = 0; p < take; p += pageSize) {
        const n = Math.min(pageSize, take - p);
        const zero = Buffer.from(chunk.buffer, chunk.byteOffset + p, n).equals(n === pageSize ? zeroPage : zeroPage.subarray(0, n));
        if (zero) {
          pagesExcluded++;
          current ??= startRun(at + p);
          current.memsz += n;
        } else {
          // Data after excluded pages cannot share a PT_LOAD with them (file data is a prefix).
          if (!current || current.memsz > current.filesz) current = startRun(at + p);
          current.filesz += n;
          current.memsz += n;
        }
      }
      at += take;
      processed += take;
      options.onProgress?.(processed / 2, total);
    }
    // The p_filesz..p_memsz tail of the source stays a zero tail.
    if (memsz > filesz) {
      current ??= startRun(filesz);
      current.memsz += memsz - filesz;
    }
  }

  const notes = dump.noteSegments.filter((s) => (s.size ?? 0) > 0);
  const phnum = notes.length + outLoads.length;
  if (phnum >= 0xffff) throw new VmcoreError("E_LIMIT", `the output needs ${phnum} program headers; PN_XNUM output is not implemented`);
  const headerSize = ehsize + phnum * phsize;
  const phdrs: ProgramHeader[] = [];
  let offset = headerSize;
  for (const s of notes) {
    phdrs.push({ p_type: PT.NOTE, p_flags: 0, p_offset: BigInt(offset), p_vaddr: 0n, p_paddr: 0n, p_filesz: BigInt(s.size!), p_memsz: BigInt(s.size!), p_align: 4n });
    offset += s.size!;
  }
  const dataStart = Math.ceil(offset / pageSize) * pageSize;
  offset = dataStart;
  for (const l of outLoads) {
    phdrs.push({ p_type: PT.LOAD, p_flags: l.flags, p_offset: l.filesz > 0 ? BigInt(offset) : 0n, p_vaddr: l.vaddr, p_paddr: l.paddr, p_filesz: BigInt(l.filesz), p_memsz: BigInt(l.memsz), p_align: 0n });
    offset += l.filesz;
  }
  const fileSize = offset;
  if (ident.elfClass === 32 && fileSize > 0xffffffff) throw new VmcoreError("E_TOO_LARGE", `ELF32 output of ${fileSize} bytes passes 4 GiB`);

  const header = new Uint8Array(headerSize);
  writeElfHeader(header, {
    ...dump.header,
    e_phoff: BigInt(ehsize),
    e_shoff: 0n,
    e_ehsize: ehsize,
    e_phentsize: phsize,
    e_phnum: phnum,
    e_shentsize: 0,
    e_shnum: 0,
    e_shstrndx: 0,
  });
  phdrs.forEach((ph, i) => writeProgramHeader(header, ehsize + i * phsize, ph, ident));

  const pagesWritten = await writeFileAtomically(destination, async (write) => {
    let written = 0;
    await write(header, 0);
    let at = headerSize;
    for (const s of notes) {
      const bytes = dump.source.read(s.fileOffset!, s.size!);
      await write(bytes, at);
      at += bytes.length;
    }
    at = dataStart;
    const base = options.excludeZeroPages ? total / 2 : 0;
    let copied = 0;
    const scale = options.excludeZeroPages ? 0.5 : 1;
    for (const l of outLoads) {
      for (let done = 0; done < l.filesz; ) {
        const take = Math.min(chunkSize, l.filesz - done);
        const chunk = buffer.subarray(0, take);
        dump.readPhysicalInto(chunk, l.from + BigInt(done));
        await write(chunk, at);
        at += take;
        done += take;
        copied += take;
        options.onProgress?.(base + copied * scale, total);
      }
      written += Math.ceil(l.filesz / pageSize);
    }
    if (at !== fileSize) throw new VmcoreError("E_IO", `internal: wrote ${hex(at)} of ${hex(fileSize)} bytes`);
    return written;
  });
  options.onProgress?.(total, total);
  return { pagesWritten, pagesExcluded, bytes: fileSize, skipped, phnum };
}
