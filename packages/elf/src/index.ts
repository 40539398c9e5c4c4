// The public API of @kdumpkit/elf. Everything else under src/internal/ is private.
export { KdumpkitError } from "./internal/kdumpkit-error.js";
export { ElfError, type ElfErrorCode, toSafeNumber } from "./errors.js";
export {
  EI, ELFCLASS, ELFDATA, EM, ET, EV_CURRENT, NT, NT_GNU, PF, PN_XNUM, PT, SHN_XINDEX, SHT,
  emName, etName, ntName, ptName,
} from "./constants.js";
export { ELFMAG, type ElfIdent, parseElfIdent } from "./ident.js";
export {
  ELF32_EHDR_SIZE, ELF32_PHDR_SIZE, ELF32_SHDR_SIZE, ELF64_EHDR_SIZE, ELF64_PHDR_SIZE, ELF64_SHDR_SIZE, NHDR_SIZE,
  type ElfHeader, ehdrSize, parseElfHeader, writeElfHeader,
} from "./header.js";
export { type SectionHeader, emptySectionHeader, parseSectionHeader, shdrSize, writeSectionHeader } from "./section-header.js";
export { type ProgramHeader, parseProgramHeaders, phdrSize, writeProgramHeader } from "./program-header.js";
export {
  type ElfNote, type NoteInput, type NoteScanEnd, type NoteSegment, encodeNote, encodeNotes, noteSize, parseNotes,
} from "./note.js";
export {
  type PrTimeval, type Prstatus, type PrstatusArch,
  encodePrstatus, isAllZero, parsePrstatus, prstatusArchForMachine, prstatusLayout, prstatusSize,
} from "./prstatus.js";
export type { PrstatusLayout, RegisterSpec } from "./prstatus/layout.js";
export { type Vmcoreinfo, type VmcoreinfoLine, formatVmcoreinfo, parseVmcoreinfo } from "./vmcoreinfo.js";
export { type ElfFile, type ParseElfFileOptions, parseElfFile } from "./elf-file.js";
export { type CoreSegmentInput, type WriteElfCoreOptions, writeElfCore } from "./core-writer.js";
export {
  type CrashCpu, type ElfcorehdrSpec, type MemoryRange,
  ELF_CORE_HEADER_ALIGN, buildElfcorehdr, elfcorehdrSegmentSize, elfcorehdrSlots, elfcorehdrSlotsNeeded, excludeRanges,
} from "./elfcorehdr-build.js";
export { type ElfcorehdrRecoveryOptions, type RecoveredElfcorehdr, recoverElfcorehdr } from "./elfcorehdr-recover.js";
export { type ElfcorehdrCapacity, Elfcorehdr } from "./elfcorehdr.js";
