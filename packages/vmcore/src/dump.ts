// The Dump object every format opens into, and the memory access built on it (virtual reads
// through an AddressTranslator, typed little helpers for the analyzer).
import type { ElfHeader, ElfNote, NoteSegment, ProgramHeader, Vmcoreinfo } from "@kdumpkit/elf";
import type { DumpArch } from "./arch.js";
import type { ByteSource } from "./byte-source.js";
import { VmcoreError, hex } from "./errors.js";
import type { DumpProblem, LoadSegment } from "./load-segment.js";
import type { PageChunk, PhysicalRange } from "./physical.js";
import type { AddressTranslator } from "./translate/translator.js";

/** Physical memory as a format provides it (PT_LOAD index for ELF, page table for kdump-compressed). */
export interface PhysicalMemory {
  readInto(target: Uint8Array, address: bigint): void;
  read(address: bigint, length: number): Uint8Array;
  isCovered(address: bigint, length: number): boolean;
  readableRanges(): PhysicalRange[];
  pages(pageSize?: number): Generator<PageChunk>;
}

/** An open crash dump (issue 4): headers, notes, VMCOREINFO, strict physical and virtual reads. */
export interface Dump {
  readonly source: ByteSource;
  readonly format: "elf" | "kdump-compressed" | string;
  readonly header: ElfHeader;
  readonly programHeaders: ProgramHeader[];
  readonly loads: LoadSegment[];
  /** One per PT_NOTE, notes parsed from the file. */
  readonly noteSegments: NoteSegment[];
  /** All notes flattened, in file order. */
  readonly notes: ElfNote[];
  readonly vmcoreinfo: Vmcoreinfo | undefined;
  readonly vmcoreinfoText: string | undefined;
  readonly arch: DumpArch;
  readonly littleEndian: boolean;
  /** From VMCOREINFO PAGESIZE, else the architecture's default. */
  readonly pageSize: number;
  /** What was noticed while opening: PT_LOADs outside the file, overlaps, truncated notes… */
  readonly problems: DumpProblem[];
  /**
   * Reads physical memory strictly within the dump's PT_LOADs.
   * @throws VmcoreError `E_NOT_IN_DUMP` naming the first uncovered address; `E_OVERLAP` / `E_BAD_SEGMENT` in refused segments; `E_IO`.
   */
  readPhysical(address: bigint, length: number): Uint8Array;
  /** Like `readPhysical`, into a caller's buffer (no allocation). */
  readPhysicalInto(target: Uint8Array, address: bigint): void;
  /**
   * Reads kernel virtual memory, translating page by page, with the same strictness.
   * @throws VmcoreError `E_NO_TRANSLATION`, `E_NOT_IN_DUMP` (address = first virtual address not readable), `E_NO_VMCOREINFO`, `E_UNSUPPORTED_ARCH`.
   */
  readVirtual(address: bigint, length: number): Uint8Array;
  /** Translates a kernel virtual address (errors as `readVirtual`). */
  translate(virtualAddress: bigint): bigint;
  /** The translator (created on first use). @throws `E_NO_VMCOREINFO`, `E_UNSUPPORTED_ARCH`. */
  translator(): AddressTranslator;
  isPhysicalCovered(address: bigint, length: number): boolean;
  /** Readable physical ranges, merged and sorted. */
  readableRanges(): PhysicalRange[];
  /** Iterates the readable physical memory page by page. */
  pages(): Generator<PageChunk>;
  close(): void;
}

/** Which address space a helper reads. */
export type AddressSpace = "physical" | "virtual";

function readSpace(dump: Dump, address: bigint, length: number, space: AddressSpace): Uint8Array {
  return space === "physical" ? dump.readPhysical(address, length) : dump.readVirtual(address, length);
}

/** Reads a 64-bit integer in the dump's byte order (errors as readPhysical / readVirtual). */
export function readU64(dump: Dump, address: bigint, space: AddressSpace): bigint {
  const b = readSpace(dump, address, 8, space);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, dump.littleEndian);
}

/** Reads a 32-bit unsigned integer in the dump's byte order. */
export function readU32(dump: Dump, address: bigint, space: AddressSpace): number {
  const b = readSpace(dump, address, 4, space);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, dump.littleEndian);
}

/**
 * Reads a NUL-terminated string of at most `maxLength` bytes (the whole `maxLength` must be readable,
 * as for a fixed char array such as `new_utsname.release[65]`).
 */
export function readCString(dump: Dump, address: bigint, maxLength: number, space: AddressSpace): string {
  const b = readSpace(dump, address, maxLength, space);
  const nul = b.indexOf(0);
  return new TextDecoder().decode(nul === -1 ? b : b.subarray(0, nul));
}

/**
 * Reads virtual memory through `translator` into `target`: one physical read per contiguous span.
 * A physical failure is rethrown with the virtual address of the first unreadable byte.
 */
export function readVirtualInto(physical: PhysicalMemory, translator: AddressTranslator, target: Uint8Array, address: bigint): void {
  let done = 0;
  while (done < target.length) {
    const va = address + BigInt(done);
    const { physicalAddress, span } = translator.translateSpan(va);
    const take = Math.min(span, target.length - done);
    try {
      physical.readInto(target.subarray(done, done + take), physicalAddress);
    } catch (error) {
      if (error instanceof VmcoreError && error.address !== undefined) {
        const bad = va + (error.address - physicalAddress);
        throw new VmcoreError(error.code, `virtual ${hex(bad)} (physical ${hex(error.address)}): ${error.message.replace(/^E_[A-Z_]+: /, "")}`, { address: bad, cause: error });
      }
      throw error;
    }
    done += take;
  }
}
