import { ElfError } from "./errors.js";
import { ELF32_PHDR_SIZE, ELF64_PHDR_SIZE } from "./header.js";
import type { ElfIdent } from "./ident.js";
import { need, viewOf } from "./internal/bounds.js";

/** A program header (gABI "Program Header"), field names as in `Elf64_Phdr`. */
export interface ProgramHeader {
  p_type: number;
  p_flags: number;
  p_offset: bigint;
  p_vaddr: bigint;
  p_paddr: bigint;
  p_filesz: bigint;
  p_memsz: bigint;
  p_align: bigint;
}

/** Size of one program header for a class. */
export function phdrSize(elfClass: 32 | 64): number {
  return elfClass === 64 ? ELF64_PHDR_SIZE : ELF32_PHDR_SIZE;
}

// Program header tables can hold 65535+ entries (PN_XNUM) and the elfcorehdr code rewrites them
// on every hotplug event, so they are decoded and encoded with a DataView directly rather than
// through a binary-parser object per entry.

/**
 * Parses `count` program headers laid out back to back from byte 0 of `bytes`.
 * @param entrySize distance between entries (`e_phentsize`); defaults to the class size and must
 *   be at least that.
 * @param baseOffset file offset of `bytes[0]`, used in error offsets.
 * @throws ElfError `E_TRUNCATED` when the table runs past the buffer, `E_BAD_HEADER` for a bad entry size.
 */
export function parseProgramHeaders(bytes: Uint8Array, ident: ElfIdent, count: number, baseOffset = 0, entrySize?: number): ProgramHeader[] {
  const size = phdrSize(ident.elfClass);
  const stride = entrySize ?? size;
  if (stride < size) {
    throw new ElfError("E_BAD_HEADER", `e_phentsize ${stride} is smaller than Elf${ident.elfClass}_Phdr (${size})`, { offset: baseOffset });
  }
  if (!Number.isSafeInteger(count) || count < 0) throw new ElfError("E_INVALID_ARGUMENT", `bad program header count ${count}`);
  if (count === 0) return [];
  need(bytes, 0, (count - 1) * stride + size, `${count} program headers`, baseOffset);
  const v = viewOf(bytes);
  const le = ident.littleEndian;
  const out: ProgramHeader[] = new Array(count);
  for (let i = 0, o = 0; i < count; i++, o += stride) {
    out[i] = ident.elfClass === 64 ? readPhdr64(v, o, le) : readPhdr32(v, o, le);
  }
  return out;
}

function readPhdr64(v: DataView, o: number, le: boolean): ProgramHeader {
  return {
    p_type: v.getUint32(o, le),
    p_flags: v.getUint32(o + 4, le),
    p_offset: v.getBigUint64(o + 8, le),
    p_vaddr: v.getBigUint64(o + 16, le),
    p_paddr: v.getBigUint64(o + 24, le),
    p_filesz: v.getBigUint64(o + 32, le),
    p_memsz: v.getBigUint64(o + 40, le),
    p_align: v.getBigUint64(o + 48, le),
  };
}

function readPhdr32(v: DataView, o: number, le: boolean): ProgramHeader {
  return {
    p_type: v.getUint32(o, le),
    p_offset: BigInt(v.getUint32(o + 4, le)),
    p_vaddr: BigInt(v.getUint32(o + 8, le)),
    p_paddr: BigInt(v.getUint32(o + 12, le)),
    p_filesz: BigInt(v.getUint32(o + 16, le)),
    p_memsz: BigInt(v.getUint32(o + 20, le)),
    p_flags: v.getUint32(o + 24, le),
    p_align: BigInt(v.getUint32(o + 28, le)),
  };
}

/**
 * Writes one program header at `offset` of `out` (ELF32 stores the low 32 bits; callers that care
 * check ranges first).
 * @throws ElfError `E_TRUNCATED` when it does not fit.
 */
export function writeProgramHeader(out: Uint8Array, offset: number, ph: ProgramHeader, ident: ElfIdent): void {
  const size = phdrSize(ident.elfClass);
  need(out, offset, size, "Phdr (write)");
  writePhdrUnchecked(viewOf(out), offset, ph, ident.elfClass, ident.littleEndian);
}

/** @internal hot path of the elfcorehdr: the caller guarantees bounds. */
export function writePhdrUnchecked(v: DataView, o: number, ph: ProgramHeader, elfClass: 32 | 64, le: boolean): void {
  if (elfClass === 64) {
    v.setUint32(o, ph.p_type, le);
    v.setUint32(o + 4, ph.p_flags, le);
    v.setBigUint64(o + 8, ph.p_offset, le);
    v.setBigUint64(o + 16, ph.p_vaddr, le);
    v.setBigUint64(o + 24, ph.p_paddr, le);
    v.setBigUint64(o + 32, ph.p_filesz, le);
    v.setBigUint64(o + 40, ph.p_memsz, le);
    v.setBigUint64(o + 48, ph.p_align, le);
  } else {
    const u32 = (x: bigint) => Number(BigInt.asUintN(32, x));
    v.setUint32(o, ph.p_type, le);
    v.setUint32(o + 4, u32(ph.p_offset), le);
    v.setUint32(o + 8, u32(ph.p_vaddr), le);
    v.setUint32(o + 12, u32(ph.p_paddr), le);
    v.setUint32(o + 16, u32(ph.p_filesz), le);
    v.setUint32(o + 20, u32(ph.p_memsz), le);
    v.setUint32(o + 24, ph.p_flags, le);
    v.setUint32(o + 28, u32(ph.p_align), le);
  }
}
