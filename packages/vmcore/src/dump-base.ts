// The part of every Dump that does not depend on the format: physical reads through the format's
// PhysicalMemory (PT_LOAD index for ELF, page table for kdump-compressed), the address translator
// made once on first use, virtual reads through it, and closing the source.
import type { ByteSource } from "./byte-source.js";
import { type PhysicalMemory, readVirtualInto } from "./dump.js";
import { VmcoreError } from "./errors.js";
import type { PageChunk, PhysicalRange } from "./physical.js";
import type { TranslatorOptions } from "./translate/index.js";
import type { AddressTranslator } from "./translate/translator.js";

/**
 * Base of the format classes implementing `Dump`: they set `pageSize` and `physical` and say how
 * their translator is made; the memory access is written once, here.
 */
export abstract class DumpBase<Options extends TranslatorOptions> {
  readonly source: ByteSource;
  protected readonly options: Options;
  abstract readonly pageSize: number;
  protected abstract readonly physical: PhysicalMemory;
  private translatorInstance: AddressTranslator | undefined;

  constructor(source: ByteSource, options: Options) {
    this.source = source;
    this.options = options;
  }

  /** Makes the address translator; called once, on first use. */
  protected abstract makeTranslator(): AddressTranslator;

  readPhysical(address: bigint, length: number): Uint8Array {
    return this.physical.read(address, length);
  }

  readPhysicalInto(target: Uint8Array, address: bigint): void {
    this.physical.readInto(target, address);
  }

  translator(): AddressTranslator {
    this.translatorInstance ??= this.makeTranslator();
    return this.translatorInstance;
  }

  readVirtual(address: bigint, length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) throw new VmcoreError("E_INVALID_ARGUMENT", `bad read length ${length}`, { address });
    const out = new Uint8Array(length);
    readVirtualInto(this.physical, this.translator(), out, address);
    return out;
  }

  translate(virtualAddress: bigint): bigint {
    return this.translator().translate(virtualAddress);
  }

  isPhysicalCovered(address: bigint, length: number): boolean {
    return this.physical.isCovered(address, length);
  }

  readableRanges(): PhysicalRange[] {
    return this.physical.readableRanges();
  }

  pages(): Generator<PageChunk> {
    return this.physical.pages(this.pageSize);
  }

  close(): void {
    this.source.close();
  }
}
