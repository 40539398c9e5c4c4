// AArch64 kernel virtual addresses (Arm ARM D8 "The AArch64 Virtual Memory System Architecture";
// arch/arm64/include/asm/{memory.h,pgtable-hwdef.h}; arch/arm64/kernel/vmcore_info.c for what
// VMCOREINFO exports).
//
// Bootstrap: the kernel's page-table root is SYMBOL(swapper_pg_dir), an address in the kernel image
// mapping, so its physical address is  va - kimage_voffset  (the kernel's __pa_symbol). Before
// Linux 4.6 the image lived in the linear map and there is no kimage_voffset: the linear formula
// is used then. No virtual read is needed to start.
//
// Geometry: the granule (PAGESIZE: 4K, 16K, 64K) and the number of VA bits the walk uses fix the
// levels: each level resolves (page shift - 3) bits, the top level what is left. Like drgn: with
// 64K pages the walk uses NUMBER(VA_BITS) even when the CPU runs 48-bit (swapper_pg_dir is sized
// for 52 bits and the kernel offsets TTBR1 into it); with 4K/16K pages and VA_BITS=52 the kernel
// folds a level at run time on CPUs without LPA2, so the walk uses 64 - NUMBER(TCR_EL1_T1SZ).
//
// Linear map: Linux 5.4 ("arm64: mm: Flip kernel VA space") moved the linear map from the top half
// of the kernel VA range to the bottom half. Like libkdumpfile, the half the kernel image lies in
// tells which layout this is: image in the top half → flipped (linear map at the bottom).
import { VmcoreError, hex } from "../errors.js";
import type { AddressTranslator, PhysicalU64Reader } from "./translator.js";

const MASK64 = (1n << 64n) - 1n;
const BIT55 = 1n << 55n;
const TAG_BITS = 0xff00000000000000n;
const PA_LOW_48 = 0x0000ffffffffffffn;
const LINEAR_SPAN_CAP = 1n << 30n;

/** Descriptor bits [1:0] (Arm ARM D8.3): 0b11 table (or page at the last level), 0b01 block, bit 0 clear invalid. */
const DESC_TYPE_MASK = 3n;
const DESC_TABLE_OR_PAGE = 3n;
const DESC_BLOCK = 1n;

/** What the AArch64 translator needs from a dump. */
export interface Aarch64TranslatorConfig {
  readU64: PhysicalU64Reader;
  /** PAGESIZE: 4096, 16384 or 65536 (the translation granule). */
  pageSize: number;
  /** NUMBER(VA_BITS): the configured kernel VA size (36, 39, 42, 47, 48 or 52). */
  vaBits: number;
  /** NUMBER(TCR_EL1_T1SZ) (Linux 5.9+): the VA size the CPU actually uses is 64 - T1SZ. */
  tcrEl1T1sz?: number;
  /** NUMBER(pgtable_l5_enabled) where exported: false means a 4K/16K VA_BITS=52 kernel folded to 48/47 bits. */
  pgtableL5Enabled?: boolean;
  /** SYMBOL(swapper_pg_dir). */
  swapperPgDir: bigint;
  /** NUMBER(kimage_voffset): kernel image VA − PA (Linux 4.6+). */
  kimageVoffset?: bigint;
  /** NUMBER(PHYS_OFFSET): the physical address the linear map starts at (memstart_addr). */
  physOffset: bigint;
  /** SYMBOL(_stext): decides the layout with swapper_pg_dir (default: swapper_pg_dir alone). */
  stext?: bigint;
  /** Override the layout: true = linear map at the bottom of the kernel half (Linux 5.4+). */
  flipped?: boolean;
  /** Override PAGE_OFFSET (start of the linear map). */
  pageOffset?: bigint;
  /** NUMBER(MAX_PHYSMEM_BITS): 52 lets 64K granule walks accept level-1 (4 TiB) blocks. */
  maxPhysmemBits?: number;
  /** The kernel image [start, end) (e.g. from kdump's kernel-text PT_LOAD): the `va - kimage_voffset` fast path applies inside it. */
  kernelImage?: { start: bigint; end: bigint };
  /** Use linear formulas for the kernel image and the linear map instead of walking (default true). */
  fastPaths?: boolean;
}

/** One level of the walk: the VA bits it resolves and whether a block descriptor is allowed there. */
interface Level {
  /** Arm lookup level: -1 (LPA2 5-level), 0, 1, 2, 3 (the page level). */
  armLevel: number;
  shift: bigint;
  indexMask: bigint;
  blockAllowed: boolean;
}

/**
 * The AArch64 translator: TTBR1 walk of swapper_pg_dir for 4K/16K/64K granules (2 to 5 levels),
 * block mappings where the granule allows them, 52-bit output addresses (64K FEAT_LPA, 4K/16K
 * LPA2), and fast paths for the kernel image (`va - kimage_voffset`) and the linear map.
 */
export class Aarch64Translator implements AddressTranslator {
  readonly arch = "aarch64";
  readonly pageSize: number;
  readonly pageShift: number;
  /** VA bits the walk resolves (see the file comment). */
  readonly walkVaBits: number;
  readonly levels: number;
  /** Physical address of swapper_pg_dir. */
  readonly rootPhysical: bigint;
  /** True for the Linux 5.4+ layout (linear map at the bottom of the kernel half). */
  readonly flipped: boolean;
  /** PAGE_OFFSET: start of the linear map. */
  readonly pageOffset: bigint;
  /** End (exclusive) of the linear map region. */
  readonly pageEnd: bigint;
  private readonly config: Aarch64TranslatorConfig;
  private readonly table: Level[];
  private readonly vaStart: bigint;
  private readonly paLowMask: bigint;
  private readonly paHighMask: bigint;
  private readonly paHighShift: bigint;
  private readonly pageMask: bigint;
  private readonly tlb = new Map<number, bigint>();
  /** undefined: not checked yet; true/false: the linear formula agreed / disagreed with the tables. */
  private linearVerified: boolean | undefined;

  /** @throws VmcoreError `E_NO_VMCOREINFO` (unusable PAGESIZE / VA_BITS / TCR_EL1_T1SZ, or no kimage_voffset for an image-mapped swapper_pg_dir). */
  constructor(config: Aarch64TranslatorConfig) {
    this.config = config;
    const pageShift = Math.log2(config.pageSize);
    if (pageShift !== 12 && pageShift !== 14 && pageShift !== 16) {
      throw new VmcoreError("E_NO_VMCOREINFO", `PAGESIZE=${config.pageSize} is not an AArch64 granule (4096, 16384, 65536)`);
    }
    if (!Number.isInteger(config.vaBits) || config.vaBits <= pageShift + 3 || config.vaBits > 52) {
      throw new VmcoreError("E_NO_VMCOREINFO", `NUMBER(VA_BITS)=${config.vaBits} is not usable with ${config.pageSize}-byte pages`);
    }
    this.pageSize = config.pageSize;
    this.pageShift = pageShift;
    this.pageMask = BigInt(config.pageSize) - 1n;
    let walkBits = config.vaBits;
    if (pageShift !== 16) {
      if (config.tcrEl1T1sz !== undefined) walkBits = 64 - config.tcrEl1T1sz;
      else if (config.vaBits === 52 && config.pgtableL5Enabled === false) walkBits = pageShift === 12 ? 48 : 47;
    }
    if (!Number.isInteger(walkBits) || walkBits <= pageShift + 3 || walkBits > 52) {
      throw new VmcoreError("E_NO_VMCOREINFO", `NUMBER(TCR_EL1_T1SZ)=${config.tcrEl1T1sz} gives ${walkBits} VA bits, not usable`);
    }
    this.walkVaBits = walkBits;
    const bitsPerLevel = pageShift - 3;
    this.levels = Math.ceil((walkBits - pageShift) / bitsPerLevel);
    const lpa2 = pageShift !== 16 && walkBits === 52;
    this.table = [];
    for (let i = 0; i < this.levels; i++) {
      const armLevel = 4 - this.levels + i;
      const shift = pageShift + bitsPerLevel * (this.levels - 1 - i);
      const bits = i === 0 ? walkBits - shift : bitsPerLevel;
      this.table.push({ armLevel, shift: BigInt(shift), indexMask: (1n << BigInt(bits)) - 1n, blockAllowed: blockAllowed(pageShift, armLevel, lpa2, config.maxPhysmemBits) });
    }
    this.vaStart = (MASK64 << BigInt(walkBits)) & MASK64;
    // Output address bits [47:page shift] sit in place; bits [51:48] come from elsewhere (Arm ARM
    // D8.3.1): 64K (FEAT_LPA) puts PA[51:48] in descriptor bits [15:12]; LPA2 (4K/16K with 52-bit
    // VAs, which Linux only enables together with 52-bit PAs) keeps PA[49:48] in place and puts
    // PA[51:50] in descriptor bits [9:8].
    this.paLowMask = PA_LOW_48 & ~this.pageMask;
    if (pageShift === 16) {
      this.paHighMask = 0xf000n;
      this.paHighShift = 36n;
    } else if (lpa2) {
      this.paLowMask |= 0x0003000000000000n;
      this.paHighMask = 0x300n;
      this.paHighShift = 42n;
    } else {
      this.paHighMask = 0n;
      this.paHighShift = 0n;
    }

    const vaBits = BigInt(config.vaBits);
    const half = (MASK64 << (vaBits - 1n)) & MASK64;
    const imageVa = config.stext ?? config.swapperPgDir;
    // Without kimage_voffset (before 4.6) the image sat inside the linear map, in the top half.
    this.flipped = config.flipped ?? (config.kimageVoffset !== undefined && imageVa >= half);
    this.pageOffset = config.pageOffset ?? (this.flipped ? (MASK64 << vaBits) & MASK64 : half);
    if (this.flipped) {
      // PAGE_END = _PAGE_END(VA_BITS_MIN): 52-bit kernels keep the image and vmalloc above the 48/47-bit linear map end.
      const vaBitsMin = config.vaBits > 48 ? (pageShift === 14 ? 47n : 48n) : vaBits;
      this.pageEnd = (MASK64 << (vaBitsMin - 1n)) & MASK64;
    } else {
      this.pageEnd = 1n << 64n;
    }

    const root = config.swapperPgDir;
    if (this.inLinearMap(root)) {
      this.rootPhysical = this.linearToPhysical(root);
    } else if (config.kimageVoffset !== undefined) {
      this.rootPhysical = (root - config.kimageVoffset) & MASK64;
    } else {
      throw new VmcoreError("E_NO_VMCOREINFO", `swapper_pg_dir ${hex(root)} is outside the linear map and VMCOREINFO has no NUMBER(kimage_voffset)`, { address: root });
    }
  }

  /** True when `va` lies in the linear map region [PAGE_OFFSET, PAGE_END). */
  inLinearMap(va: bigint): boolean {
    return va >= this.pageOffset && va < this.pageEnd;
  }

  private linearToPhysical(va: bigint): bigint {
    return (va - this.pageOffset + this.config.physOffset) & MASK64;
  }

  /** Kernel pointers may carry a tag in the top byte (TBI, KASAN hardware tags): bit 55 picks the range, as the MMU does. */
  private untag(va: bigint): bigint {
    return (va & BIT55) !== 0n ? va | TAG_BITS : va & ~TAG_BITS;
  }

  walk(virtualAddress: bigint): { physicalAddress: bigint; pageSize: number; levels: number } {
    if (virtualAddress < 0n || virtualAddress > MASK64) {
      throw new VmcoreError("E_NO_TRANSLATION", `${hex(virtualAddress < 0n ? -virtualAddress : virtualAddress)} is not a 64-bit address`, { address: virtualAddress });
    }
    const va = this.untag(virtualAddress);
    if (va < this.vaStart) {
      throw new VmcoreError("E_NO_TRANSLATION", `${hex(virtualAddress)} is not a kernel (TTBR1) address for ${this.walkVaBits}-bit VAs`, { address: virtualAddress });
    }
    let table = this.rootPhysical;
    for (let i = 0; i < this.table.length; i++) {
      const level = this.table[i]!;
      const entryAddress = table + ((va >> level.shift) & level.indexMask) * 8n;
      const entry = this.config.readU64(entryAddress);
      const type = entry & DESC_TYPE_MASK;
      const last = i === this.table.length - 1;
      const out = (entry & this.paLowMask) | ((entry & this.paHighMask) << this.paHighShift);
      if (type === DESC_TABLE_OR_PAGE && !last) {
        table = out;
        continue;
      }
      if ((type === DESC_TABLE_OR_PAGE && last) || (type === DESC_BLOCK && !last && level.blockAllowed)) {
        const mask = (1n << level.shift) - 1n;
        return { physicalAddress: (out & ~mask) | (va & mask), pageSize: Number(1n << level.shift), levels: i + 1 };
      }
      const why = (entry & 1n) === 0n ? "is invalid" : `is a block descriptor, not allowed at level ${level.armLevel} with ${this.pageSize}-byte pages`;
      throw new VmcoreError(
        "E_NO_TRANSLATION",
        `${hex(virtualAddress)}: level-${level.armLevel} descriptor at physical ${hex(entryAddress)} ${why} (${hex(entry)})`,
        { address: virtualAddress },
      );
    }
    /* c8 ignore next */
    throw new VmcoreError("E_NO_TRANSLATION", `${hex(virtualAddress)}: walk did not end`, { address: virtualAddress });
  }

  /**
   * Checks the linear formula once against the page tables, at the linear alias of swapper_pg_dir's
   * own page (the linear map covers all RAM). Only a walk that succeeds with another answer turns
   * the fast path off; a walk that cannot be done proves nothing.
   */
  private linearFastPathUsable(): boolean {
    if (this.linearVerified === undefined) {
      const alias = (this.rootPhysical - this.config.physOffset + this.pageOffset) & MASK64;
      this.linearVerified = true;
      if (this.inLinearMap(alias)) {
        try {
          this.linearVerified = this.walk(alias).physicalAddress === this.rootPhysical;
        } catch {
          this.linearVerified = true;
        }
      }
    }
    return this.linearVerified;
  }

  translateSpan(virtualAddress: bigint): { physicalAddress: bigint; span: number } {
    const va = virtualAddress >= 0n && virtualAddress <= MASK64 ? this.untag(virtualAddress) : virtualAddress;
    if (this.config.fastPaths !== false && va >= 0n && va <= MASK64) {
      const image = this.config.kernelImage;
      if (image !== undefined && this.config.kimageVoffset !== undefined && va >= image.start && va < image.end) {
        // __pa_symbol(): the kernel image is mapped linearly at kimage_voffset.
        const limit = image.end - va;
        return { physicalAddress: (va - this.config.kimageVoffset) & MASK64, span: Number(limit < LINEAR_SPAN_CAP ? limit : LINEAR_SPAN_CAP) };
      }
      if (this.inLinearMap(va) && this.linearFastPathUsable()) {
        const limit = this.pageEnd - va;
        return { physicalAddress: this.linearToPhysical(va), span: Number(limit < LINEAR_SPAN_CAP ? limit : LINEAR_SPAN_CAP) };
      }
    }
    const offset = va >= 0n ? Number(va & this.pageMask) : 0;
    const vpn = va >= 0n && va <= MASK64 ? Number(va >> BigInt(this.pageShift)) : -1;
    const cached = this.tlb.get(vpn);
    if (cached !== undefined) return { physicalAddress: cached + BigInt(offset), span: this.pageSize - offset };
    const walked = this.walk(virtualAddress);
    if (this.tlb.size >= 65536) this.tlb.clear();
    this.tlb.set(vpn, walked.physicalAddress - BigInt(offset));
    // The whole block (or page) is contiguous: one physical read can serve it.
    const inBlock = Number((va & (BigInt(walked.pageSize) - 1n)));
    return { physicalAddress: walked.physicalAddress, span: walked.pageSize - inBlock };
  }

  translate(virtualAddress: bigint): bigint {
    return this.translateSpan(virtualAddress).physicalAddress;
  }

  describe(): Record<string, string | number | boolean | undefined> {
    const c = this.config;
    return {
      arch: this.arch,
      page_size: this.pageSize,
      va_bits: c.vaBits,
      walk_va_bits: this.walkVaBits,
      levels: this.levels,
      swapper_pg_dir: hex(c.swapperPgDir),
      swapper_pg_dir_physical: hex(this.rootPhysical),
      kimage_voffset: c.kimageVoffset === undefined ? undefined : hex(c.kimageVoffset),
      phys_offset: hex(c.physOffset),
      layout: this.flipped ? "linear map at the bottom of the kernel half (5.4+)" : "linear map in the top half (before 5.4)",
      page_offset: hex(this.pageOffset),
      page_end: this.pageEnd > MASK64 ? undefined : hex(this.pageEnd),
      kernel_image: c.kernelImage === undefined ? undefined : `${hex(c.kernelImage.start)}-${hex(c.kernelImage.end)}`,
      linear_fast_path: c.fastPaths === false ? false : this.linearFastPathUsable(),
    };
  }
}

/**
 * Where the Arm ARM lets a block descriptor end the walk (D8.3.1): 4K at levels 1 and 2 (level 0
 * with LPA2), 16K at level 2 (level 1 with LPA2), 64K at level 2 (level 1 with 52-bit PAs).
 */
function blockAllowed(pageShift: number, armLevel: number, lpa2: boolean, maxPhysmemBits: number | undefined): boolean {
  if (pageShift === 12) return armLevel === 1 || armLevel === 2 || (lpa2 && armLevel === 0);
  if (pageShift === 14) return armLevel === 2 || (lpa2 && armLevel === 1);
  return armLevel === 2 || (maxPhysmemBits === 52 && armLevel === 1);
}
