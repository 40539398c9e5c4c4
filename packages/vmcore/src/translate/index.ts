// Picks the translator for a dump's architecture and feeds it what VMCOREINFO (or the caller) says.
import type { Dump } from "../dump.js";
import { VmcoreError, hex } from "../errors.js";
import { loadName } from "../internal/phdr-name.js";
import type { LoadSegment } from "../load-segment.js";
import { createAarch64Translator } from "./aarch64-setup.js";
import type { AddressTranslator } from "./translator.js";
import { START_KERNEL_MAP, X86_64Translator } from "./x86_64.js";

/** Overrides for dumps whose VMCOREINFO lacks something (all optional). */
export interface TranslatorOptions {
  /** Physical address of the top page table is derived from this kernel virtual address (SYMBOL(init_top_pgt)). */
  topPgt?: bigint;
  /** NUMBER(phys_base), signed. */
  physBase?: bigint;
  /** 5-level paging (NUMBER(pgtable_l5_enabled)). */
  fiveLevel?: boolean;
  /** Direct-map base (`page_offset_base`); found from PT_LOADs or the page tables otherwise. */
  pageOffset?: bigint;
  /** Use linear fast paths for the kernel image and direct map (default true). */
  fastPaths?: boolean;
}

/**
 * `phys_base` from the kernel-text PT_LOAD (its p_vaddr inside the kernel image map), the way
 * makedumpfile's get_phys_base_x86_64 does for dumps without NUMBER(phys_base).
 */
export function physBaseFromLoads(dump: Pick<Dump, "loads">, kernelImageSize: bigint): bigint | undefined {
  const load = kernelTextLoad(dump, kernelImageSize);
  return load === undefined ? undefined : load.paddr - (load.vaddr - START_KERNEL_MAP);
}

/** The first PT_LOAD whose p_vaddr lies in the kernel image map. */
function kernelTextLoad(dump: Pick<Dump, "loads">, kernelImageSize: bigint): LoadSegment | undefined {
  return dump.loads.find((load) => load.vaddr >= START_KERNEL_MAP && load.vaddr < START_KERNEL_MAP + kernelImageSize);
}

/**
 * The kernel image as mapped, from the kernel-text PT_LOAD(s): the first one in the kernel-image
 * window, extended over the PT_LOADs that continue it at the same virtual-to-physical offset
 * (makedumpfile -E splits the kernel-text PT_LOAD where it leaves pages out).
 */
function kernelImageMapped(dump: Pick<Dump, "loads">, kernelImageSize: bigint): { start: bigint; end: bigint } | undefined {
  const first = kernelTextLoad(dump, kernelImageSize);
  if (first === undefined) return undefined;
  const delta = first.vaddr - first.paddr;
  const inWindow = dump.loads
    .filter((l) => l.vaddr >= first.vaddr && l.vaddr < START_KERNEL_MAP + kernelImageSize && l.vaddr - l.paddr === delta)
    .sort((a, b) => (a.vaddr < b.vaddr ? -1 : a.vaddr > b.vaddr ? 1 : 0));
  let end = first.vaddr;
  for (const l of inWindow) {
    if (l.vaddr > end) break;
    if (l.vaddr + l.memsz > end) end = l.vaddr + l.memsz;
  }
  return { start: first.vaddr, end };
}

/** `page_offset_base` from RAM PT_LOADs (p_vaddr = __va(p_paddr)) when they all agree. */
export function pageOffsetFromLoads(dump: Pick<Dump, "loads">): bigint | undefined {
  let found: bigint | undefined;
  for (const load of dump.loads) {
    if (load.vaddr === 0n || load.vaddr === load.paddr || load.vaddr >= START_KERNEL_MAP) continue;
    const base = load.vaddr - load.paddr;
    if (found !== undefined && found !== base) return undefined;
    found = base;
  }
  return found;
}

/**
 * Creates the address translator for `dump`.
 * @throws VmcoreError `E_UNSUPPORTED_ARCH` (no translator for the arch yet), `E_NO_VMCOREINFO` (page-table root unknown).
 */
export function createTranslator(dump: Dump, options: TranslatorOptions = {}): AddressTranslator {
  if (dump.arch === "aarch64") return createAarch64Translator(dump, options);
  if (dump.arch !== "x86_64") {
    throw new VmcoreError("E_UNSUPPORTED_ARCH", `no virtual address translation for ${dump.arch} yet (x86_64 and aarch64 only)`);
  }
  const info = dump.vmcoreinfo;
  const topPgt = options.topPgt ?? info?.symbols.get("init_top_pgt") ?? info?.symbols.get("swapper_pg_dir");
  if (topPgt === undefined) {
    throw new VmcoreError("E_NO_VMCOREINFO", info ? "VMCOREINFO has neither SYMBOL(init_top_pgt) nor SYMBOL(swapper_pg_dir)" : "the dump has no VMCOREINFO note (needed to find the page tables)");
  }
  const kernelImageSize = info?.numbers.get("KERNEL_IMAGE_SIZE");
  const physBase = options.physBase ?? info?.numbers.get("phys_base") ?? physBaseFromLoads(dump, kernelImageSize ?? 1n << 30n);
  if (physBase === undefined) {
    throw new VmcoreError("E_NO_VMCOREINFO", "phys_base is unknown: no NUMBER(phys_base) in VMCOREINFO and no kernel-text PT_LOAD");
  }
  const maxPhysBits = info?.numbers.get("MAX_PHYSMEM_BITS");
  const buf = new Uint8Array(8);
  const view = new DataView(buf.buffer);
  const le = dump.littleEndian;
  const fiveLevel = options.fiveLevel ?? info?.numbers.get("pgtable_l5_enabled") === 1n;
  const pageOffset = options.pageOffset ?? pageOffsetFromLoads(dump);
  const imageMapped = kernelImageMapped(dump, kernelImageSize ?? 1n << 30n);
  const translator = new X86_64Translator({
    readU64: (pa) => {
      dump.readPhysicalInto(buf, pa);
      return view.getBigUint64(0, le);
    },
    topPgt,
    physBase,
    fiveLevel,
    kernelImageSize,
    smeMask: info?.numbers.get("sme_mask"),
    pageOffset,
    directMapSize: maxPhysBits !== undefined && maxPhysBits > 0n && maxPhysBits <= 52n ? 1n << maxPhysBits : undefined,
    vmallocStart: info?.numbers.get("VMALLOC_START"),
    fastPaths: options.fastPaths,
    kernelImageMapped: imageMapped,
  });
  const text = kernelTextLoad(dump, translator.kernelImageSize);
  const fromLoads = physBaseFromLoads(dump, translator.kernelImageSize);
  if (text !== undefined && fromLoads !== undefined && fromLoads !== physBase) {
    dump.problems.push({
      code: "E_NO_TRANSLATION",
      severity: "warning",
      message: `phys_base ${hex(physBase)} disagrees with ${loadName(text, "kernel text")}, which implies ${hex(fromLoads)}`,
      phdrIndex: text.index,
      address: text.paddr,
    });
  }
  return translator;
}
