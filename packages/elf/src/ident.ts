import { ELFCLASS, ELFDATA, EI, EV_CURRENT } from "./constants.js";
import { ElfError } from "./errors.js";
import { need } from "./internal/bounds.js";

/** `e_ident` decoded: class, byte order, version, OS ABI (gABI "ELF Identification"). */
export interface ElfIdent {
  elfClass: 32 | 64;
  littleEndian: boolean;
  version: number;
  osabi: number;
  abiversion: number;
}

/** `\x7fELF`. */
export const ELFMAG = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46);

/**
 * Decodes the 16 identification bytes at the start of `bytes`.
 * @throws ElfError `E_TRUNCATED`, `E_BAD_MAGIC`, `E_BAD_CLASS`, `E_BAD_DATA`, `E_BAD_VERSION`.
 */
export function parseElfIdent(bytes: Uint8Array): ElfIdent {
  need(bytes, 0, EI.NIDENT, "e_ident");
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== ELFMAG[i]) throw new ElfError("E_BAD_MAGIC", "not an ELF file (no \\x7fELF magic)", { offset: i });
  }
  const cls = bytes[EI.CLASS]!;
  if (cls !== ELFCLASS.ELF32 && cls !== ELFCLASS.ELF64) {
    throw new ElfError("E_BAD_CLASS", `EI_CLASS ${cls} is neither ELFCLASS32 nor ELFCLASS64`, { offset: EI.CLASS });
  }
  const data = bytes[EI.DATA]!;
  if (data !== ELFDATA.LSB && data !== ELFDATA.MSB) {
    throw new ElfError("E_BAD_DATA", `EI_DATA ${data} is neither ELFDATA2LSB nor ELFDATA2MSB`, { offset: EI.DATA });
  }
  const version = bytes[EI.VERSION]!;
  if (version !== EV_CURRENT) {
    throw new ElfError("E_BAD_VERSION", `EI_VERSION ${version} is not EV_CURRENT`, { offset: EI.VERSION });
  }
  return {
    elfClass: cls === ELFCLASS.ELF64 ? 64 : 32,
    littleEndian: data === ELFDATA.LSB,
    version,
    osabi: bytes[EI.OSABI]!,
    abiversion: bytes[EI.ABIVERSION]!,
  };
}

/** Writes `ident` into the first 16 bytes of `out` (padding zeroed). */
export function writeElfIdent(out: Uint8Array, ident: ElfIdent): void {
  out.set(ELFMAG, 0);
  out[EI.CLASS] = ident.elfClass === 64 ? ELFCLASS.ELF64 : ELFCLASS.ELF32;
  out[EI.DATA] = ident.littleEndian ? ELFDATA.LSB : ELFDATA.MSB;
  out[EI.VERSION] = ident.version;
  out[EI.OSABI] = ident.osabi;
  out[EI.ABIVERSION] = ident.abiversion;
  out.fill(0, EI.ABIVERSION + 1, EI.NIDENT);
}
