import { ELF32_SHDR_SIZE, ELF64_SHDR_SIZE } from "./header.js";
import type { ElfIdent } from "./ident.js";
import { need, viewOf } from "./internal/bounds.js";
import { parseShdr32, parseShdr64 } from "./internal/records.js";

/**
 * A section header (gABI "Sections"). kdumpkit only needs section 0, which carries the real
 * program header count in `sh_info` under extended numbering (PN_XNUM).
 */
export interface SectionHeader {
  sh_name: number;
  sh_type: number;
  sh_flags: bigint;
  sh_addr: bigint;
  sh_offset: bigint;
  sh_size: bigint;
  sh_link: number;
  sh_info: number;
  sh_addralign: bigint;
  sh_entsize: bigint;
}

/** Size of one section header for a class. */
export function shdrSize(elfClass: 32 | 64): number {
  return elfClass === 64 ? ELF64_SHDR_SIZE : ELF32_SHDR_SIZE;
}

/**
 * Parses one section header at byte 0 of `bytes`.
 * @param baseOffset file offset of `bytes[0]`, used in error offsets.
 * @throws ElfError `E_TRUNCATED`.
 */
export function parseSectionHeader(bytes: Uint8Array, ident: ElfIdent, baseOffset = 0): SectionHeader {
  const size = shdrSize(ident.elfClass);
  need(bytes, 0, size, `Elf${ident.elfClass}_Shdr`, baseOffset);
  const raw = (ident.elfClass === 64 ? parseShdr64 : parseShdr32)("Shdr", bytes.subarray(0, size), ident.littleEndian, baseOffset);
  return {
    sh_name: raw.sh_name,
    sh_type: raw.sh_type,
    sh_flags: BigInt(raw.sh_flags),
    sh_addr: BigInt(raw.sh_addr),
    sh_offset: BigInt(raw.sh_offset),
    sh_size: BigInt(raw.sh_size),
    sh_link: raw.sh_link,
    sh_info: raw.sh_info,
    sh_addralign: BigInt(raw.sh_addralign),
    sh_entsize: BigInt(raw.sh_entsize),
  };
}

/** A section header with every field zero (SHT_NULL), e.g. to fill in section 0. */
export function emptySectionHeader(): SectionHeader {
  return { sh_name: 0, sh_type: 0, sh_flags: 0n, sh_addr: 0n, sh_offset: 0n, sh_size: 0n, sh_link: 0, sh_info: 0, sh_addralign: 0n, sh_entsize: 0n };
}

/**
 * Writes one section header at `offset` of `out`.
 * @throws ElfError `E_TRUNCATED` when it does not fit.
 */
export function writeSectionHeader(out: Uint8Array, offset: number, sh: SectionHeader, ident: ElfIdent): void {
  const size = shdrSize(ident.elfClass);
  need(out, offset, size, "Shdr (write)");
  const v = viewOf(out);
  const le = ident.littleEndian;
  v.setUint32(offset, sh.sh_name, le);
  v.setUint32(offset + 4, sh.sh_type, le);
  if (ident.elfClass === 64) {
    v.setBigUint64(offset + 8, sh.sh_flags, le);
    v.setBigUint64(offset + 16, sh.sh_addr, le);
    v.setBigUint64(offset + 24, sh.sh_offset, le);
    v.setBigUint64(offset + 32, sh.sh_size, le);
    v.setUint32(offset + 40, sh.sh_link, le);
    v.setUint32(offset + 44, sh.sh_info, le);
    v.setBigUint64(offset + 48, sh.sh_addralign, le);
    v.setBigUint64(offset + 56, sh.sh_entsize, le);
  } else {
    const u32 = (x: bigint) => Number(BigInt.asUintN(32, x));
    v.setUint32(offset + 8, u32(sh.sh_flags), le);
    v.setUint32(offset + 12, u32(sh.sh_addr), le);
    v.setUint32(offset + 16, u32(sh.sh_offset), le);
    v.setUint32(offset + 20, u32(sh.sh_size), le);
    v.setUint32(offset + 24, sh.sh_link, le);
    v.setUint32(offset + 28, sh.sh_info, le);
    v.setUint32(offset + 32, u32(sh.sh_addralign), le);
    v.setUint32(offset + 36, u32(sh.sh_entsize), le);
  }
}
