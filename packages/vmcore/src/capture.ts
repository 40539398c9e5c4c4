// Capture-kernel emulation: the /proc/vmcore file that fs/proc/vmcore.c builds from the crashed
// kernel's elfcorehdr and its old memory (kdump-formats §2). Each step follows the kernel:
// validation (§2.1), note trimming (§2.2), merging into one PT_NOTE (§2.3), the PT_LOAD layout
// (§2.4) and the read path (§2.6).
import { ELF32_EHDR_SIZE, ELF32_PHDR_SIZE, ELF64_EHDR_SIZE, ELF64_PHDR_SIZE, ET, PT, parseElfHeader, ptName, parseProgramHeaders, writeProgramHeader, type ElfHeader, type ProgramHeader } from "@kdumpkit/elf";
import { VmcoreError, hex } from "./errors.js";
import { writeFileAtomically } from "./internal/atomic-write.js";
import { phdrName } from "./internal/phdr-name.js";

/** The crashed kernel's RAM as the capture kernel sees it (`read_from_oldmem`). */
export interface OldMemory {
  /** Returns `length` bytes at physical `address`; may throw (an unplugged DIMM: the kernel returns -EFAULT). */
  read(address: bigint, length: number): Uint8Array;
}

/** A PT_NOTE whose notes the capture kernel dropped (wholly or in part). */
export interface DroppedNote {
  phdrIndex: number;
  /** Where the PT_NOTE points in old memory (its `p_offset`). */
  address: bigint;
  /** The kernel's warning, e.g. "Zero PT_NOTE entries found". */
  reason: string;
}

/** One PT_LOAD's old-memory range as laid out in /proc/vmcore (`struct vmcore_range`). */
export interface VmcoreRange {
  /** Page-aligned physical start. */
  paddr: bigint;
  size: number;
  /** File offset of `paddr` in /proc/vmcore. */
  offset: number;
  /** Index of the PT_LOAD in the emulated file's program header table. */
  phdrIndex: number;
}

/** Options of {@link captureVmcore}. */
export interface CaptureOptions {
  /** The capture kernel's PAGE_SIZE (default 4096). */
  pageSize?: number;
  /** `p_align` of the merged PT_NOTE: 4 in current kernels (6.12's /proc/vmcore in the corpus has 4), 0 in some older ones. */
  noteAlign?: bigint;
  /** Chunk size for `writeTo` (default 128 KiB, the fastest on the reference machine). */
  chunkSize?: number;
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Builds the /proc/vmcore view of `elfcorehdr` over `oldMemory`, as the capture kernel does.
 * @throws VmcoreError `E_NOT_A_DUMP` ("Core image elf header is not sane": magic, class, ET_CORE, versions,
 * e_ehsize, e_phentsize, e_phnum 0), `E_TRUNCATED` (phdr table beyond the buffer), `E_TOO_LARGE`, `E_IO` (old
 * memory returned fewer note bytes than asked); what `oldMemory.read` throws (the kernel's -EFAULT).
 */
export function captureVmcore(elfcorehdr: Uint8Array, oldMemory: OldMemory, options: CaptureOptions = {}): CapturedVmcore {
  const pageSize = options.pageSize ?? 4096;
  let ehdr: ElfHeader;
  try {
    ehdr = parseElfHeader(elfcorehdr);
  } catch (cause) {
    throw new VmcoreError("E_NOT_A_DUMP", `Core image elf header not found or not sane: ${(cause as Error).message}`, { offset: 0, cause });
  }
  const { ident } = ehdr;
  const ehsize = ident.elfClass === 64 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE;
  const phsize = ident.elfClass === 64 ? ELF64_PHDR_SIZE : ELF32_PHDR_SIZE;
  // §2.1: the checks of elf_check_arch-less vmcore_init; e_phoff is NOT checked (phdrs follow the Ehdr).
  const insane =
    ehdr.e_type !== ET.CORE ? "e_type is not ET_CORE"
    : ident.version !== 1 ? "EI_VERSION is not EV_CURRENT"
    : ehdr.e_version !== 1 ? "e_version is not EV_CURRENT"
    : ehdr.e_ehsize !== ehsize ? `e_ehsize ${ehdr.e_ehsize} is not ${ehsize}`
    : ehdr.e_phentsize !== phsize ? `e_phentsize ${ehdr.e_phentsize} is not ${phsize}`
    : ehdr.e_phnum === 0 ? "e_phnum is 0"
    : undefined;
  if (insane) throw new VmcoreError("E_NOT_A_DUMP", `Core image elf header is not sane: ${insane}`, { offset: 0 });
  const phnum = ehdr.e_phnum;
  const tableEnd = ehsize + phnum * phsize;
  if (tableEnd > elfcorehdr.length) {
    throw new VmcoreError("E_TRUNCATED", `elfcorehdr of ${elfcorehdr.length} bytes is too short for ${phnum} program headers`, { offset: elfcorehdr.length });
  }
  const phdrs: ProgramHeader[] = parseProgramHeaders(elfcorehdr.subarray(ehsize, tableEnd), ident, phnum, ehsize);
  const le = ident.littleEndian;

  // §2.2: trim each PT_NOTE to its initialized notes.
  const droppedNotes: DroppedNote[] = [];
  const warnings: string[] = [];
  const noteParts: Uint8Array[] = [];
  let nrPtnote = 0;
  phdrs.forEach((ph, index) => {
    if (ph.p_type !== PT.NOTE) return;
    nrPtnote++;
    if (ph.p_memsz > MAX_SAFE) throw new VmcoreError("E_TOO_LARGE", `${phdrName(index, "PT_NOTE")}: p_memsz ${hex(ph.p_memsz)} does not fit in 2^53`, { offset: ehsize + index * phsize });
    const maxSz = Number(ph.p_memsz);
    const bytes = oldMemory.read(ph.p_offset, maxSz);
    if (bytes.length !== maxSz) {
      throw new VmcoreError("E_IO", `old memory returned ${bytes.length} of ${maxSz} bytes for ${phdrName(index, "PT_NOTE")} at ${hex(ph.p_offset)}`, { address: ph.p_offset });
    }
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    let realSz = 0;
    let exceeded = false;
    while (realSz + 12 <= maxSz) {
      const n_namesz = v.getUint32(realSz, le);
      if (n_namesz === 0) break;
      const n_descsz = v.getUint32(realSz + 4, le);
      const sz = 12 + roundUp(n_namesz, 4) + roundUp(n_descsz, 4);
      if (realSz + sz > maxSz) {
        const reason = `Warning: Exceeded p_memsz, dropping PT_NOTE entry n_namesz=0x${n_namesz.toString(16)}, n_descsz=0x${n_descsz.toString(16)}`;
        droppedNotes.push({ phdrIndex: index, address: ph.p_offset + BigInt(realSz), reason });
        exceeded = true;
        break;
      }
      realSz += sz;
    }
    // Fewer than 12 bytes left but a non-zero n_namesz: the kernel still computes sz >= 12, which
    // passes p_memsz, so it warns and drops that entry (an n_descsz beyond p_memsz is whatever follows
    // the kernel's buffer; we print 0 for it). With under 4 bytes left the kernel reads n_namesz
    // itself past its buffer: undefined, so we stop quietly.
    const left = maxSz - realSz;
    if (!exceeded && left >= 4 && left < 12) {
      const n_namesz = v.getUint32(realSz, le);
      if (n_namesz !== 0) {
        const n_descsz = left >= 8 ? v.getUint32(realSz + 4, le) : 0;
        const reason = `Warning: Exceeded p_memsz, dropping PT_NOTE entry n_namesz=0x${n_namesz.toString(16)}, n_descsz=0x${n_descsz.toString(16)}`;
        droppedNotes.push({ phdrIndex: index, address: ph.p_offset + BigInt(realSz), reason });
      }
    }
    if (realSz === 0) droppedNotes.push({ phdrIndex: index, address: ph.p_offset, reason: "Warning: Zero PT_NOTE entries found" });
    noteParts.push(bytes.subarray(0, realSz));
  });

  // §2.3: one merged PT_NOTE in slot 0; slots 1 .. nr_ptnote-1 are deleted whatever they hold.
  const phdrSz = noteParts.reduce((n, p) => n + p.length, 0);
  const notesSz = roundUp(phdrSz, pageSize);
  const notes = new Uint8Array(notesSz);
  let at = 0;
  for (const part of noteParts) {
    notes.set(part, at);
    at += part.length;
  }
  const newPhnum = phnum - nrPtnote + 1;
  if (nrPtnote === 0) warnings.push("no PT_NOTE: the kernel's merge arithmetic would corrupt the header; one empty PT_NOTE is emulated");
  const kept: { raw: Uint8Array; ph: ProgramHeader; index: number }[] = [];
  for (let i = Math.max(nrPtnote, 1); i < phnum; i++) kept.push({ raw: elfcorehdr.subarray(ehsize + i * phsize, ehsize + (i + 1) * phsize), ph: phdrs[i]!, index: i });
  for (let i = 1; i < nrPtnote; i++) {
    if (phdrs[i]!.p_type !== PT.NOTE) warnings.push(`${phdrName(i, ptName(phdrs[i]!.p_type))} sits among the PT_NOTEs and is deleted by the merge`);
  }
  for (const k of kept) if (k.ph.p_type === PT.NOTE) warnings.push(`${phdrName(k.index, "PT_NOTE")} follows a non-note phdr and survives the merge as a stray PT_NOTE`);
  const elfcorebufSz = roundUp(ehsize + newPhnum * phsize, pageSize);
  const header = new Uint8Array(elfcorebufSz);
  header.set(elfcorehdr.subarray(0, ehsize), 0); // the Ehdr as received, only e_phnum rewritten
  const hv = new DataView(header.buffer);
  hv.setUint16(ident.elfClass === 64 ? 56 : 44, newPhnum, le);
  writeProgramHeader(header, ehsize, {
    p_type: PT.NOTE, p_flags: 0, p_offset: BigInt(elfcorebufSz), p_vaddr: 0n, p_paddr: 0n,
    p_filesz: BigInt(phdrSz), p_memsz: BigInt(phdrSz), p_align: options.noteAlign ?? 4n,
  }, ident);

  // §2.4: each PT_LOAD becomes a page-rounded range of old memory at p_offset (not p_paddr), in phdr order.
  const ranges: VmcoreRange[] = [];
  let vmcoreOff = elfcorebufSz + notesSz;
  kept.forEach((k, j) => {
    const slot = ehsize + (j + 1) * phsize;
    header.set(k.raw, slot);
    if (k.ph.p_type !== PT.LOAD) return;
    const paddr = k.ph.p_offset;
    const page = BigInt(pageSize);
    const start = (paddr / page) * page;
    const end = ((paddr + k.ph.p_memsz + page - 1n) / page) * page;
    if (end - start > MAX_SAFE || BigInt(vmcoreOff) + (end - start) > MAX_SAFE) {
      // Named by its index in the elfcorehdr the caller gave (it becomes phdr j + 1 of /proc/vmcore).
      throw new VmcoreError("E_TOO_LARGE", `elfcorehdr ${phdrName(k.index, "PT_LOAD")}: page-rounded range ${hex(start)} + ${hex(end - start)} does not fit in 2^53`, {
        offset: ehsize + k.index * phsize,
      });
    }
    const size = Number(end - start);
    const newOffset = BigInt(vmcoreOff) + (paddr - start);
    if (ident.elfClass === 64) hv.setBigUint64(slot + 8, newOffset, le);
    else hv.setUint32(slot + 4, Number(BigInt.asUintN(32, newOffset)), le);
    ranges.push({ paddr: start, size, offset: vmcoreOff, phdrIndex: j + 1 });
    vmcoreOff += size;
  });
  return new CapturedVmcore(header, notes, ranges, droppedNotes, warnings, oldMemory, options.chunkSize ?? 128 * 1024);
}

/** The emulated /proc/vmcore, as {@link captureVmcore} builds it. */
export class CapturedVmcore {
  /** `vmcore_size`: header + notes + every range. */
  readonly size: number;
  /** The header region (`elfcorebuf`, zero-padded to a page). */
  readonly header: Uint8Array;
  /** The merged notes region (`elfnotes_buf`, zero-padded to a page). */
  readonly notes: Uint8Array;
  readonly ranges: VmcoreRange[];
  readonly droppedNotes: DroppedNote[];
  /** Other kernel warnings reproduced (e.g. a PT_LOAD removed because PT_NOTEs were not first). */
  readonly warnings: string[];
  private readonly oldMemory: OldMemory;
  private readonly chunkSize: number;

  /** Made by {@link captureVmcore}; not meant to be called directly. */
  constructor(header: Uint8Array, notes: Uint8Array, ranges: VmcoreRange[], droppedNotes: DroppedNote[], warnings: string[], oldMemory: OldMemory, chunkSize: number) {
    this.header = header;
    this.notes = notes;
    this.ranges = ranges;
    this.droppedNotes = droppedNotes;
    this.warnings = warnings;
    this.oldMemory = oldMemory;
    this.chunkSize = chunkSize;
    const last = ranges[ranges.length - 1];
    this.size = last ? last.offset + last.size : header.length + notes.length;
  }

  /**
   * `__read_vmcore`: bytes at `offset` (short at the end of the file, like read(2)).
   * @throws VmcoreError `E_INVALID_ARGUMENT`, `E_IO` (old memory returned short); what old memory throws.
   */
  read(offset: number, length: number): Uint8Array {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new VmcoreError("E_INVALID_ARGUMENT", `bad read of ${length} bytes at ${offset}`);
    }
    // §2.6: EOF at vmcore_size; the request is truncated there.
    const end = Math.min(this.size, offset + length);
    const out = new Uint8Array(Math.max(0, end - offset));
    let pos = offset;
    const put = (region: Uint8Array, regionStart: number): void => {
      const from = Math.max(pos, regionStart);
      const to = Math.min(end, regionStart + region.length);
      if (from < to) {
        out.set(region.subarray(from - regionStart, to - regionStart), from - offset);
        pos = to;
      }
    };
    put(this.header, 0);
    put(this.notes, this.header.length);
    if (pos < end) {
      // Ranges are contiguous and sorted by offset: binary search the first one.
      let lo = 0;
      let hi = this.ranges.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.ranges[mid]!.offset + this.ranges[mid]!.size <= pos) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; pos < end && i < this.ranges.length; i++) {
        const r = this.ranges[i]!;
        const take = Math.min(end, r.offset + r.size) - pos;
        const bytes = this.oldMemory.read(r.paddr + BigInt(pos - r.offset), take);
        if (bytes.length !== take) throw new VmcoreError("E_IO", `old memory returned ${bytes.length} of ${take} bytes at ${hex(r.paddr + BigInt(pos - r.offset))}`);
        out.set(bytes, pos - offset);
        pos += take;
      }
    }
    return out;
  }

  /**
   * Streams the whole file to `path`: written under a temporary name in the same folder, fsync'ed,
   * then renamed; on any error (old memory failing mid-stream included) `path` is left as it was
   * and no temporary file stays.
   * @throws VmcoreError `E_IO` (the failure as `cause`), or the VmcoreError a read threw.
   */
  async writeTo(path: string, onProgress?: (done: number, total: number) => void): Promise<void> {
    await writeFileAtomically(path, async (write) => {
      for (let done = 0; done < this.size; ) {
        const chunk = this.read(done, Math.min(this.chunkSize, this.size - done));
        await write(chunk, done);
        done += chunk.length;
        onProgress?.(done, this.size);
      }
    });
  }
}
