// x86_64 kernel virtual addresses (Intel SDM vol. 3 §4.5; arch/x86/include/asm/pgtable_64_types.h,
// page_64_types.h; arch/x86/kernel/vmcore_info_64.c for what VMCOREINFO exports).
//
// Bootstrap: the page-table root is SYMBOL(init_top_pgt), a kernel-image address, so it is
// translated with the kernel-image formula  pa = va - __START_KERNEL_map + phys_base  (the
// kernel's own __pa_symbol). VMCOREINFO symbol values are already relocated by KASLR; KERNELOFFSET
// only matters for addresses taken from an unrelocated System.map. No read of a virtual address is
// needed to start, which is what lets us translate QEMU dumps (no kernel p_vaddr) that drgn 0.0.22 cannot.
import { VmcoreError, hex } from "../errors.js";
import type { AddressTranslator, PhysicalU64Reader } from "./translator.js";

/** `__START_KERNEL_map`: base of the kernel image mapping. */
export const START_KERNEL_MAP = 0xffffffff80000000n;
/** Default `KERNEL_IMAGE_SIZE` without VMCOREINFO (512 MiB without KASLR; KASLR kernels export 1 GiB). */
export const DEFAULT_KERNEL_IMAGE_SIZE = 512n << 20n;
/** Start of the direct-map (page_offset_base) region before KASLR randomisation, 4- and 5-level. */
export const PAGE_OFFSET_BASE_L4 = 0xffff888000000000n;
export const PAGE_OFFSET_BASE_L5 = 0xff11000000000000n;

const PRESENT = 1n;
const PSE = 1n << 7n; // "page size": this entry maps a 1 GiB (PUD) or 2 MiB (PMD) page
const PHYS_MASK = 0x000ffffffffff000n; // bits 12..51
const MASK64 = (1n << 64n) - 1n;

/** What the x86_64 translator needs from a dump. */
export interface X86_64TranslatorConfig {
  readU64: PhysicalU64Reader;
  /** SYMBOL(init_top_pgt) (or SYMBOL(swapper_pg_dir), the same on x86_64). */
  topPgt: bigint;
  /** NUMBER(phys_base) as a signed value (may be negative with KASLR), or derived from the kernel-text PT_LOAD. */
  physBase: bigint;
  /** NUMBER(pgtable_l5_enabled) === 1 (default false: 4-level). */
  fiveLevel?: boolean;
  /** NUMBER(KERNEL_IMAGE_SIZE) if present. */
  kernelImageSize?: bigint;
  /** NUMBER(sme_mask): the memory-encryption bit, stripped from entries. */
  smeMask?: bigint;
  /** Base of the direct map if known (PT_LOAD p_vaddr - p_paddr, or given); else found in the page tables on first use. */
  pageOffset?: bigint;
  /** Size of the direct map for the fast path: 2^NUMBER(MAX_PHYSMEM_BITS) (default 2^46 for 4-level, 2^52 for 5-level), capped at VMALLOC_START. */
  directMapSize?: bigint;
  /** NUMBER(VMALLOC_START): end of the region searched for page_offset_base. */
  vmallocStart?: bigint;
  /** Use the linear formulas for the kernel image and direct map instead of walking (default true). */
  fastPaths?: boolean;
  /**
   * The kernel image as actually mapped, `[start, end)` (a kdump dump's kernel-text PT_LOAD). The
   * kernel-image formula is used only inside it: elsewhere in the 1 GiB kernel-image window nothing
   * is mapped (below `_text` with KASLR, past `_end`), and the formula would name unrelated RAM —
   * or, with a negative phys_base, no address at all. Without it, kernel-image addresses are walked.
   */
  kernelImageMapped?: { start: bigint; end: bigint };
}

/**
 * The x86_64 translator: 4- or 5-level walk with 1 GiB / 2 MiB pages, fast paths for the kernel
 * image and the direct map, and a small cache of walked pages.
 */
export class X86_64Translator implements AddressTranslator {
  readonly arch = "x86_64";
  readonly levels: 4 | 5;
  /** Physical address of the top-level table. */
  readonly topPgtPhysical: bigint;
  readonly physBase: bigint;
  readonly kernelImageSize: bigint;
  private readonly config: X86_64TranslatorConfig;
  private readonly entryMask: bigint;
  private pageOffsetCache: bigint | null | undefined;
  private readonly tlb = new Map<number, bigint>();

  constructor(config: X86_64TranslatorConfig) {
    this.config = config;
    this.levels = config.fiveLevel === true ? 5 : 4;
    this.physBase = config.physBase;
    this.kernelImageSize = config.kernelImageSize ?? DEFAULT_KERNEL_IMAGE_SIZE;
    this.entryMask = PHYS_MASK & ~(config.smeMask ?? 0n);
    if (!this.inKernelImage(config.topPgt)) {
      throw new VmcoreError("E_NO_TRANSLATION", `init_top_pgt ${hex(config.topPgt)} is not in the kernel image mapping`, {
        address: config.topPgt,
      });
    }
    this.topPgtPhysical = (config.topPgt - START_KERNEL_MAP + config.physBase) & MASK64;
    this.pageOffsetCache = config.pageOffset;
  }

  private inKernelImage(va: bigint): boolean {
    return va >= START_KERNEL_MAP && va < START_KERNEL_MAP + this.kernelImageSize;
  }

  /** True when `va` is canonical for the paging mode (bits above 47 or 56 copy that bit). */
  isCanonical(va: bigint): boolean {
    const bits = this.levels === 5 ? 57n : 48n;
    const top = va >> (bits - 1n);
    return top === 0n || top === (MASK64 >> (bits - 1n));
  }

  /**
   * The direct-map base (`page_offset_base`): given, or derived from PT_LOAD p_vaddr, or found in the
   * page tables as the first 1 GiB slot mapped in the direct-map region (KASLR aligns it to 1 GiB and
   * physical address 0 is always mapped there), confirmed by walking it to physical 0.
   * Undefined when it cannot be found.
   */
  get pageOffset(): bigint | undefined {
    if (this.pageOffsetCache === undefined) this.pageOffsetCache = this.findPageOffset() ?? null;
    return this.pageOffsetCache ?? undefined;
  }

  private findPageOffset(): bigint | undefined {
    const regionStart = this.levels === 5 ? PAGE_OFFSET_BASE_L5 : PAGE_OFFSET_BASE_L4;
    const regionEnd = this.config.vmallocStart ?? (this.levels === 5 ? 0xffd4000000000000n : 0xffffc90000000000n);
    const shifts = this.shifts();
    // Depth-first search for the lowest present PUD-level (1 GiB) slot in [regionStart, regionEnd).
    const search = (table: bigint, level: number, base: bigint): bigint | undefined => {
      const shift = shifts[level]!;
      const size = 1n << shift;
      for (let i = 0n; i < 512n; i++) {
        const slotStart = this.signExtend(base | (i << shift));
        if (slotStart + size <= regionStart) continue;
        if (slotStart >= regionEnd) return undefined;
        let entry: bigint;
        try {
          entry = this.config.readU64(table + i * 8n);
        } catch {
          return undefined;
        }
        if ((entry & PRESENT) === 0n) continue;
        if (shift === 30n) return slotStart;
        if ((entry & PSE) !== 0n) continue; // reserved above PUD level: walk() refuses it, so the slot maps nothing
        const found = search(entry & this.entryMask, level + 1, base | (i << shift));
        if (found !== undefined) return found;
      }
      return undefined;
    };
    const candidate = search(this.topPgtPhysical, 0, 0n);
    if (candidate === undefined) return undefined;
    try {
      return this.walk(candidate).physicalAddress === 0n ? candidate : undefined;
    } catch {
      return undefined;
    }
  }

  private shifts(): bigint[] {
    return this.levels === 5 ? [48n, 39n, 30n, 21n, 12n] : [39n, 30n, 21n, 12n];
  }

  private signExtend(va: bigint): bigint {
    const bits = this.levels === 5 ? 57n : 48n;
    return (va & (1n << (bits - 1n))) !== 0n ? (va | (MASK64 ^ ((1n << bits) - 1n))) : va;
  }

  walk(virtualAddress: bigint): { physicalAddress: bigint; pageSize: number; levels: number } {
    const va = virtualAddress;
    if (va < 0n || va > MASK64 || !this.isCanonical(va)) {
      throw new VmcoreError("E_NO_TRANSLATION", `${hex(va)} is not a canonical ${this.levels}-level address`, { address: va });
    }
    let table = this.topPgtPhysical;
    const shifts = this.shifts();
    for (let level = 0; level < shifts.length; level++) {
      const shift = shifts[level]!;
      const index = (va >> shift) & 511n;
      const entryAddress = table + index * 8n;
      const entry = this.config.readU64(entryAddress);
      if ((entry & PRESENT) === 0n) {
        throw new VmcoreError(
          "E_NO_TRANSLATION",
          `${hex(va)}: level-${shifts.length - level} entry at physical ${hex(entryAddress)} is not present (${hex(entry)})`,
          { address: va },
        );
      }
      const remaining = shifts.length - level - 1;
      // PS (bit 7) is reserved in PML5E and PML4E (Intel SDM vol. 3 §4.5, tables 4-14/4-15): the
      // CPU faults on it with RSVD set instead of mapping a 512 GiB page, so neither do we.
      if (shift > 30n && (entry & PSE) !== 0n) {
        throw new VmcoreError(
          "E_NO_TRANSLATION",
          `${hex(va)}: level-${shifts.length - level} entry at physical ${hex(entryAddress)} has the reserved PS bit set (${hex(entry)})`,
          { address: va },
        );
      }
      if (remaining === 0 || ((shift === 30n || shift === 21n) && (entry & PSE) !== 0n)) {
        const pageMask = (1n << shift) - 1n;
        // For large pages bit 12 is the PAT bit, not an address bit: mask by the page size.
        const base = entry & this.entryMask & ~pageMask;
        return { physicalAddress: base | (va & pageMask), pageSize: Number(1n << shift), levels: level + 1 };
      }
      table = entry & this.entryMask;
    }
    /* c8 ignore next */
    throw new VmcoreError("E_NO_TRANSLATION", `${hex(va)}: walk did not end`, { address: va });
  }

  translateSpan(virtualAddress: bigint): { physicalAddress: bigint; span: number } {
    const va = virtualAddress;
    if (this.config.fastPaths !== false) {
      const image = this.config.kernelImageMapped;
      if (image !== undefined && va >= image.start && va < image.end) {
        // __pa_symbol(): the kernel image is mapped linearly at phys_base.
        const limit = image.end - va;
        return { physicalAddress: va - START_KERNEL_MAP + this.physBase, span: Number(limit < 1n << 30n ? limit : 1n << 30n) };
      }
      const pageOffset = this.config.pageOffset ?? this.pageOffsetCache;
      if (pageOffset !== undefined && pageOffset !== null && va >= pageOffset) {
        let size = this.config.directMapSize ?? (this.levels === 5 ? 1n << 52n : 1n << 46n);
        // The vmalloc area follows the direct map: never let the linear formula reach into it.
        const vmalloc = this.config.vmallocStart;
        if (vmalloc !== undefined && vmalloc > pageOffset && vmalloc - pageOffset < size) size = vmalloc - pageOffset;
        const pa = va - pageOffset;
        if (pa < size) {
          const limit = size - pa;
          return { physicalAddress: pa, span: Number(limit < 1n << 30n ? limit : 1n << 30n) };
        }
      }
    }
    const vpn = Number(va >> 12n);
    const cached = this.tlb.get(vpn);
    const offset = Number(va & 0xfffn);
    if (cached !== undefined) return { physicalAddress: cached + BigInt(offset), span: 4096 - offset };
    const walked = this.walk(va);
    if (this.tlb.size >= 65536) this.tlb.clear();
    this.tlb.set(vpn, walked.physicalAddress - BigInt(offset));
    return { physicalAddress: walked.physicalAddress, span: 4096 - offset };
  }

  translate(virtualAddress: bigint): bigint {
    return this.translateSpan(virtualAddress).physicalAddress;
  }

  describe(): Record<string, string | number | boolean | undefined> {
    const po = this.pageOffset;
    return {
      arch: this.arch,
      levels: this.levels,
      init_top_pgt: hex(this.config.topPgt),
      init_top_pgt_physical: hex(this.topPgtPhysical),
      phys_base: this.physBase < 0n ? `-${hex(-this.physBase)}` : hex(this.physBase),
      kernel_image_size: hex(this.kernelImageSize),
      page_offset_base: po === undefined ? undefined : hex(po),
    };
  }
}
