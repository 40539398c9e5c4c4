// @kdumpkit/fdt: flattened device tree (DTB) parse, check, DTS print, build, in-place edit.
export { KdumpkitError } from "./internal/kdumpkit-error.js";
export { FDT_ERR, FdtError, type FdtErrorCode } from "./errors.js";
export {
  FDT_MAGIC,
  FDT_FIRST_SUPPORTED_VERSION,
  FDT_LAST_COMPATIBLE_VERSION,
  FDT_LAST_SUPPORTED_VERSION,
  FDT_RESERVE_ENTRY_SIZE,
  FDT_V17_HEADER_SIZE,
  type FdtHeader,
  headerSize,
  readHeader,
} from "./header.js";
export { FDT_TOKEN, type FdtToken, tokenName } from "./structure.js";
export { type FdtLayout, checkHeader } from "./layout.js";
export { type CheckOptions, checkFdt } from "./check.js";
export { type ParseOptions, parseFdt } from "./parse.js";
export {
  Fdt,
  FdtNode,
  FdtProperty,
  type FdtReserveEntry,
  cellsValue,
  nodePhandle,
  propCells,
  propStrings,
  propU32,
  propU32s,
  splitPath,
  stringsValue,
  u32Value,
} from "./tree.js";
export {
  type DtsDialect,
  type DtsOptions,
  type DtsValueKind,
  dtsBytes,
  dtsDialect,
  dtsPropertyLine,
  dtsPropertyValue,
  dtsValueKind,
  redundantNameProperty,
  toDts,
} from "./dts.js";
export { SequentialWriter, type SequentialWriterOptions } from "./sequential-writer.js";
export { type WriteOptions, writeFdt } from "./serialize.js";
export { type ChildPosition, EditableFdt, type NodeRef, type PropertyInit } from "./blob.js";
export {
  type AddressRange,
  type CpuTemplate,
  FDT_EXTRA_SPACE,
  type FdtReader,
  type KdumpChosen,
  type KdumpFdtSizeInput,
  addCpuNode,
  cpuNodePaths,
  cpuNodeProperties,
  cpuNodeSize,
  cpuTemplate,
  decodeRanges,
  encodeRanges,
  kdumpFdtSize,
  memoryRanges,
  readKdumpChosen,
  removeCpuNode,
  rootCells,
  setElfcorehdr,
  setUsableMemoryRange,
} from "./powerpc.js";
