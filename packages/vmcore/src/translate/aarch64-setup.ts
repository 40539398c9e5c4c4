// Builds the AArch64 translator from what a dump carries: VMCOREINFO's arm64 keys
// (arch/arm64/kernel/vmcore_info.c, reference §3.3) and kdump's kernel-text PT_LOAD.
import type { Dump } from "../dump.js";
import { VmcoreError } from "../errors.js";
import { Aarch64Translator } from "./aarch64.js";
import type { TranslatorOptions } from "./index.js";

const MASK64 = (1n << 64n) - 1n;

/**
 * The kernel image [start, end) from kdump's kernel-text PT_LOAD: kexec-tools and kexec_file_load
 * add one for _text.._end whose p_vaddr - p_paddr is kimage_voffset. Undefined when there is none
 * (QEMU's dump-guest-memory, makedumpfile output): image addresses are then walked.
 */
export function aarch64KernelImageFromLoads(
  dump: Pick<Dump, "loads">,
  kimageVoffset: bigint,
  isLinear: (va: bigint) => boolean,
): { start: bigint; end: bigint } | undefined {
  for (const load of dump.loads) {
    if (load.vaddr === 0n || isLinear(load.vaddr)) continue;
    if (((load.vaddr - load.paddr) & MASK64) === (kimageVoffset & MASK64)) return { start: load.vaddr, end: load.vaddr + load.memsz };
  }
  return undefined;
}

/** NUMBER(PHYS_OFFSET) for dumps without it: p_paddr - (p_vaddr - PAGE_OFFSET) of a linear-map PT_LOAD, when all agree. */
function physOffsetFromLoads(dump: Pick<Dump, "loads">, pageOffset: bigint, pageEnd: bigint): bigint | undefined {
  let found: bigint | undefined;
  for (const load of dump.loads) {
    if (load.vaddr < pageOffset || load.vaddr >= pageEnd) continue;
    const offset = (load.paddr - (load.vaddr - pageOffset)) & MASK64;
    if (found !== undefined && found !== offset) return undefined;
    found = offset;
  }
  return found;
}

/**
 * Creates the AArch64 translator for `dump` from VMCOREINFO: PAGESIZE, NUMBER(VA_BITS),
 * NUMBER(TCR_EL1_T1SZ), NUMBER(kimage_voffset), NUMBER(PHYS_OFFSET), SYMBOL(swapper_pg_dir),
 * SYMBOL(_stext), NUMBER(MAX_PHYSMEM_BITS), NUMBER(pgtable_l5_enabled). `options.topPgt` overrides
 * swapper_pg_dir, `options.physBase` PHYS_OFFSET (makedumpfile calls it phys_base on arm64),
 * `options.pageOffset` PAGE_OFFSET.
 * @throws VmcoreError `E_NO_VMCOREINFO` (no VMCOREINFO, or SYMBOL(swapper_pg_dir) / NUMBER(VA_BITS) missing or unusable).
 */
export function createAarch64Translator(dump: Dump, options: TranslatorOptions = {}): Aarch64Translator {
  const info = dump.vmcoreinfo;
  const swapperPgDir = options.topPgt ?? info?.symbols.get("swapper_pg_dir");
  if (swapperPgDir === undefined) {
    throw new VmcoreError("E_NO_VMCOREINFO", info ? "VMCOREINFO has no SYMBOL(swapper_pg_dir)" : "the dump has no VMCOREINFO note (needed to find the page tables)");
  }
  const vaBits = info?.numbers.get("VA_BITS");
  if (vaBits === undefined) throw new VmcoreError("E_NO_VMCOREINFO", "VMCOREINFO has no NUMBER(VA_BITS) (Linux 4.12+ exports it)");
  // VA_BITS and kimage_voffset came in the same commit (4.12): one without the other is a damaged note.
  if (info?.numbers.get("kimage_voffset") === undefined) throw new VmcoreError("E_NO_VMCOREINFO", "VMCOREINFO has NUMBER(VA_BITS) but no NUMBER(kimage_voffset) (both exported since Linux 4.12)");
  const small = (key: string): number | undefined => {
    const value = info?.numbers.get(key);
    return value === undefined || value < 0n || value > 64n ? undefined : Number(value);
  };
  const l5 = info?.numbers.get("pgtable_l5_enabled");
  const common = {
    readU64: readerFor(dump),
    pageSize: info?.pageSize ?? dump.pageSize,
    vaBits: vaBits > 0n && vaBits <= 64n ? Number(vaBits) : -1,
    tcrEl1T1sz: small("TCR_EL1_T1SZ"),
    pgtableL5Enabled: l5 === undefined ? undefined : l5 !== 0n,
    swapperPgDir,
    kimageVoffset: info?.numbers.get("kimage_voffset"),
    stext: info?.symbols.get("_stext"),
    pageOffset: options.pageOffset,
    maxPhysmemBits: small("MAX_PHYSMEM_BITS"),
    fastPaths: options.fastPaths,
  };
  let physOffset = options.physBase ?? info?.numbers.get("PHYS_OFFSET");
  if (physOffset === undefined) {
    // The layout does not depend on PHYS_OFFSET: build once to learn it, then look at the PT_LOADs.
    const probe = new Aarch64Translator({ ...common, physOffset: 0n });
    physOffset = physOffsetFromLoads(dump, probe.pageOffset, probe.pageEnd);
    if (physOffset === undefined) throw new VmcoreError("E_NO_VMCOREINFO", "PHYS_OFFSET is unknown: no NUMBER(PHYS_OFFSET) in VMCOREINFO and no linear-map PT_LOAD");
  }
  const translator = new Aarch64Translator({ ...common, physOffset: physOffset & MASK64 });
  const kimageVoffset = common.kimageVoffset;
  const kernelImage = kimageVoffset === undefined ? undefined : aarch64KernelImageFromLoads(dump, kimageVoffset, (va) => translator.inLinearMap(va));
  return kernelImage === undefined ? translator : new Aarch64Translator({ ...common, physOffset: physOffset & MASK64, kernelImage });
}

function readerFor(dump: Dump): (pa: bigint) => bigint {
  const buf = new Uint8Array(8);
  const view = new DataView(buf.buffer);
  const le = dump.littleEndian;
  return (pa) => {
    dump.readPhysicalInto(buf, pa);
    return view.getBigUint64(0, le);
  };
}
