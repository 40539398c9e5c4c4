import { ET, EV_CURRENT, PN_XNUM, SHT } from "./constants.js";
import { ElfError } from "./errors.js";
import { ehdrSize, writeElfHeader } from "./header.js";
import { type ProgramHeader, phdrSize, writeProgramHeader } from "./program-header.js";
import { emptySectionHeader, shdrSize, writeSectionHeader } from "./section-header.js";

/** One segment of a core file: with `data` it is stored in the file, without it is header-only. */
export interface CoreSegmentInput {
  p_type: number;
  p_flags?: number;
  p_vaddr?: bigint;
  p_paddr?: bigint;
  p_align?: bigint;
  /** Defaults to `p_filesz` (so to `data.length` for a stored segment). */
  p_memsz?: bigint;
  /** Bytes written into the file; `p_offset`/`p_filesz` then point at them. */
  data?: Uint8Array;
  /** Header-only segment: given verbatim (an elfcorehdr PT_LOAD has p_offset = p_paddr, the default). */
  p_offset?: bigint;
  /** Header-only segment: defaults to `p_memsz`. */
  p_filesz?: bigint;
}

/** Options of writeElfCore. */
export interface WriteElfCoreOptions {
  /** 64 (default) or 32. */
  elfClass?: 32 | 64;
  /** Default true. */
  littleEndian?: boolean;
  e_machine: number;
  e_flags?: number;
  osabi?: number;
  segments: CoreSegmentInput[];
  /** Alignment of each stored segment's data in the file (default 8 for ELF64, 4 for ELF32). */
  align?: number;
}

const MAX32 = 0xffffffffn;

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * Writes an ET_CORE file: header, program headers right after it, stored segment data in order.
 * With 65535 or more segments it uses gABI extended numbering the way Linux's coredump does
 * (fs/binfmt_elf.c fill_extnum_info): `e_phnum = PN_XNUM`, one SHT_NULL section header at the end
 * of the file with `sh_info` = the real count, `sh_size` = e_shnum = 1, `sh_link` = e_shstrndx = 0.
 * @throws ElfError `E_INVALID_ARGUMENT` (bad align), `E_TOO_LARGE` (ELF32 value above 32 bits, or
 *   a file above 2^53 bytes).
 */
export function writeElfCore(options: WriteElfCoreOptions): Uint8Array {
  const elfClass = options.elfClass ?? 64;
  const littleEndian = options.littleEndian ?? true;
  const align = options.align ?? (elfClass === 64 ? 8 : 4);
  if (!Number.isSafeInteger(align) || align < 1) throw new ElfError("E_INVALID_ARGUMENT", `bad align ${align}`);
  const ident = { elfClass, littleEndian, version: EV_CURRENT, osabi: options.osabi ?? 0, abiversion: 0 } as const;
  const ehsize = ehdrSize(elfClass);
  const phsize = phdrSize(elfClass);
  const count = options.segments.length;
  const xnum = count >= PN_XNUM;
  let offset = ehsize + count * phsize;
  const phdrs: ProgramHeader[] = [];
  const placed: { offset: number; data: Uint8Array }[] = [];
  for (const s of options.segments) {
    let p_offset: bigint;
    let p_filesz: bigint;
    if (s.data) {
      offset = alignUp(offset, align);
      p_offset = BigInt(offset);
      p_filesz = BigInt(s.data.length);
      placed.push({ offset, data: s.data });
      offset += s.data.length;
    } else {
      p_filesz = s.p_filesz ?? s.p_memsz ?? 0n;
      p_offset = s.p_offset ?? s.p_paddr ?? 0n;
    }
    const ph: ProgramHeader = {
      p_type: s.p_type,
      p_flags: s.p_flags ?? 0,
      p_offset,
      p_vaddr: s.p_vaddr ?? 0n,
      p_paddr: s.p_paddr ?? 0n,
      p_filesz,
      p_memsz: s.p_memsz ?? p_filesz,
      p_align: s.p_align ?? 0n,
    };
    if (elfClass === 32) {
      for (const [k, v] of Object.entries(ph)) {
        if (typeof v === "bigint" && (v < 0n || v > MAX32)) throw new ElfError("E_TOO_LARGE", `${k} 0x${v.toString(16)} does not fit ELF32`);
      }
    }
    phdrs.push(ph);
  }
  let shoff = 0;
  if (xnum) {
    shoff = alignUp(offset, elfClass === 64 ? 8 : 4);
    offset = shoff + shdrSize(elfClass);
  }
  if (!Number.isSafeInteger(offset)) throw new ElfError("E_TOO_LARGE", `core file of ${offset} bytes`);
  const out = new Uint8Array(offset);
  writeElfHeader(out, {
    ident,
    e_type: ET.CORE,
    e_machine: options.e_machine,
    e_version: EV_CURRENT,
    e_entry: 0n,
    e_phoff: count > 0 ? BigInt(ehsize) : 0n,
    e_shoff: BigInt(shoff),
    e_flags: options.e_flags ?? 0,
    e_ehsize: ehsize,
    e_phentsize: phsize,
    e_phnum: xnum ? PN_XNUM : count,
    e_shentsize: xnum ? shdrSize(elfClass) : 0,
    e_shnum: xnum ? 1 : 0,
    e_shstrndx: 0,
  });
  phdrs.forEach((ph, i) => writeProgramHeader(out, ehsize + i * phsize, ph, ident));
  for (const p of placed) out.set(p.data, p.offset);
  if (xnum) writeSectionHeader(out, shoff, { ...emptySectionHeader(), sh_type: SHT.NULL, sh_size: 1n, sh_link: 0, sh_info: count }, ident);
  return out;
}
