import { type ElfIdent, parseElfIdent, writeElfIdent } from "./ident.js";
import { need, viewOf } from "./internal/bounds.js";
import { parseEhdr32, parseEhdr64 } from "./internal/records.js";

/** `sizeof(Elf64_Ehdr)`. */
export const ELF64_EHDR_SIZE = 64;
/** `sizeof(Elf32_Ehdr)`. */
export const ELF32_EHDR_SIZE = 52;
/** `sizeof(Elf64_Phdr)`. */
export const ELF64_PHDR_SIZE = 56;
/** `sizeof(Elf32_Phdr)`. */
export const ELF32_PHDR_SIZE = 32;
/** `sizeof(Elf64_Shdr)`. */
export const ELF64_SHDR_SIZE = 64;
/** `sizeof(Elf32_Shdr)`. */
export const ELF32_SHDR_SIZE = 40;
/** `sizeof(Elf{32,64}_Nhdr)`: the same 12 bytes in both classes. */
export const NHDR_SIZE = 12;

/** The ELF file header (gABI "ELF Header"), field names as in `Elf64_Ehdr`. */
export interface ElfHeader {
  ident: ElfIdent;
  e_type: number;
  e_machine: number;
  e_version: number;
  e_entry: bigint;
  e_phoff: bigint;
  e_shoff: bigint;
  e_flags: number;
  e_ehsize: number;
  e_phentsize: number;
  e_phnum: number;
  e_shentsize: number;
  e_shnum: number;
  e_shstrndx: number;
}

/** Size of the file header for a class. */
export function ehdrSize(elfClass: 32 | 64): number {
  return elfClass === 64 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE;
}

/**
 * Parses identification + file header from the first 52 (ELF32) or 64 (ELF64) bytes of `bytes`.
 * Fields are returned as stored; `e_ehsize` is not checked (QEMU writes 8 there, see dumpA).
 * @throws ElfError `E_TRUNCATED`, `E_BAD_MAGIC`, `E_BAD_CLASS`, `E_BAD_DATA`, `E_BAD_VERSION`.
 */
export function parseElfHeader(bytes: Uint8Array): ElfHeader {
  const ident = parseElfIdent(bytes);
  const size = ehdrSize(ident.elfClass);
  need(bytes, 0, size, `Elf${ident.elfClass}_Ehdr`);
  const raw = (ident.elfClass === 64 ? parseEhdr64 : parseEhdr32)("Ehdr", bytes.subarray(0, size), ident.littleEndian, 0);
  return {
    ident,
    e_type: raw.e_type,
    e_machine: raw.e_machine,
    e_version: raw.e_version,
    e_entry: BigInt(raw.e_entry),
    e_phoff: BigInt(raw.e_phoff),
    e_shoff: BigInt(raw.e_shoff),
    e_flags: raw.e_flags,
    e_ehsize: raw.e_ehsize,
    e_phentsize: raw.e_phentsize,
    e_phnum: raw.e_phnum,
    e_shentsize: raw.e_shentsize,
    e_shnum: raw.e_shnum,
    e_shstrndx: raw.e_shstrndx,
  };
}

/**
 * Writes `header` at byte 0 of `out` (52 or 64 bytes, by class). 32-bit classes store the low
 * 32 bits of the bigint fields.
 * @throws ElfError `E_TRUNCATED` when `out` is too short.
 */
export function writeElfHeader(out: Uint8Array, header: ElfHeader): void {
  const { ident } = header;
  const size = ehdrSize(ident.elfClass);
  need(out, 0, size, "Ehdr (write)");
  writeElfIdent(out, ident);
  const v = viewOf(out);
  const le = ident.littleEndian;
  v.setUint16(16, header.e_type, le);
  v.setUint16(18, header.e_machine, le);
  v.setUint32(20, header.e_version, le);
  let o = 24;
  if (ident.elfClass === 64) {
    v.setBigUint64(24, header.e_entry, le);
    v.setBigUint64(32, header.e_phoff, le);
    v.setBigUint64(40, header.e_shoff, le);
    o = 48;
  } else {
    v.setUint32(24, Number(BigInt.asUintN(32, header.e_entry)), le);
    v.setUint32(28, Number(BigInt.asUintN(32, header.e_phoff)), le);
    v.setUint32(32, Number(BigInt.asUintN(32, header.e_shoff)), le);
    o = 36;
  }
  v.setUint32(o, header.e_flags, le);
  v.setUint16(o + 4, header.e_ehsize, le);
  v.setUint16(o + 6, header.e_phentsize, le);
  v.setUint16(o + 8, header.e_phnum, le);
  v.setUint16(o + 10, header.e_shentsize, le);
  v.setUint16(o + 12, header.e_shnum, le);
  v.setUint16(o + 14, header.e_shstrndx, le);
}
