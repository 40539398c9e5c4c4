// @kdumpkit/vmcore — the public API (issue 4). Everything else is internal.
export { KdumpkitError, ElfError } from "@kdumpkit/elf";
export { VmcoreError, type VmcoreErrorCode } from "./errors.js";
export { type ByteSource, openFileSource, bufferSource } from "./byte-source.js";
export { type LoadSegment, type DumpProblem } from "./load-segment.js";
export { DEFAULT_LIMITS, type DumpLimits } from "./limits.js";
export { archForMachine, defaultPageSize, type DumpArch } from "./arch.js";
export { PhysicalIndex, buildPhysicalIndex, type PhysicalRange, type PageChunk } from "./physical.js";
export { type Dump, type PhysicalMemory, type AddressSpace, readU64, readU32, readCString } from "./dump.js";
export { openDump, openElfDump, looksLikeElf, type OpenDumpOptions } from "./elf-dump.js";
export { type AddressTranslator, type PhysicalU64Reader } from "./translate/translator.js";
export {
  X86_64Translator,
  START_KERNEL_MAP,
  PAGE_OFFSET_BASE_L4,
  PAGE_OFFSET_BASE_L5,
  type X86_64TranslatorConfig,
} from "./translate/x86_64.js";
export { Aarch64Translator, type Aarch64TranslatorConfig } from "./translate/aarch64.js";
export { createAarch64Translator, aarch64KernelImageFromLoads } from "./translate/aarch64-setup.js";
export { createTranslator, physBaseFromLoads, pageOffsetFromLoads, type TranslatorOptions } from "./translate/index.js";
export { captureVmcore, type OldMemory, type CapturedVmcore, type CaptureOptions, type DroppedNote, type VmcoreRange } from "./capture.js";
export { collectCore, type CollectOptions, type CollectResult } from "./collector.js";
export {
  openKdumpCompressed,
  type KdumpCompressedDump,
  type KdumpCompressedInfo,
  type KdumpCompressedOptions,
} from "./diskdump/open.js";
export { looksLikeKdumpCompressed, KDUMP_SIGNATURE, DUMP_DH, type DiskDumpHeader, type DiskDumpUtsname, type KdumpSubHeader } from "./diskdump/header.js";
export { DEFAULT_DECOMPRESSORS, type PageCompression, type PageDecompressor } from "./diskdump/decompress.js";
export { openFlattenedSource, looksLikeFlattened, type FlattenedOptions, type FlattenedByteSource } from "./flattened.js";
