import type { Dump } from "@kdumpkit/vmcore";

/**
 * Reads the crashed kernel's virtual memory from a dump. Addresses inside a PT_LOAD's virtual range
 * are read through that PT_LOAD (makedumpfile's generic rule, reference §4.1: the kernel-text and
 * direct-map PT_LOADs of a kdump dump carry the kernel's own mappings); others go through
 * `dump.readVirtual` (page-table translation in @kdumpkit/vmcore). Errors of @kdumpkit/vmcore
 * (E_NOT_IN_DUMP, E_NO_TRANSLATION…) pass through.
 */
export class KernelMemory {
  readonly dump: Dump;
  readonly littleEndian: boolean;
  readonly wordSize: 4 | 8;

  constructor(dump: Dump) {
    this.dump = dump;
    this.littleEndian = dump.littleEndian;
    this.wordSize = dump.header.ident.elfClass === 32 ? 4 : 8;
  }

  /** Physical address of a kernel virtual address, through the PT_LOAD map first, else the page tables. */
  physicalOf(address: bigint): bigint {
    for (const load of this.dump.loads) {
      if (load.vaddr !== 0n && address >= load.vaddr && address < load.vaddr + load.memsz) return load.paddr + (address - load.vaddr);
    }
    return this.dump.translate(address);
  }

  /** `length` bytes at a kernel virtual address. */
  read(address: bigint, length: number): Uint8Array {
    for (const load of this.dump.loads) {
      if (load.vaddr !== 0n && address >= load.vaddr && address + BigInt(length) <= load.vaddr + load.memsz) {
        return this.dump.readPhysical(load.paddr + (address - load.vaddr), length);
      }
    }
    return this.dump.readVirtual(address, length);
  }

  /** An unsigned word (`unsigned long`) at a kernel virtual address. */
  word(address: bigint): bigint {
    const bytes = this.read(address, this.wordSize);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return this.wordSize === 8 ? view.getBigUint64(0, this.littleEndian) : BigInt(view.getUint32(0, this.littleEndian));
  }

  /** A signed 32-bit `int` at a kernel virtual address. */
  int32(address: bigint): number {
    const bytes = this.read(address, 4);
    return new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, this.littleEndian);
  }

  /** An `unsigned int` at a kernel virtual address. */
  uint32(address: bigint): number {
    const bytes = this.read(address, 4);
    return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, this.littleEndian);
  }
}
