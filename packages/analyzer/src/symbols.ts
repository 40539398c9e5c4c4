import type { Vmcoreinfo } from "@kdumpkit/elf";
import { AnalyzerError } from "./errors.js";
import { hex } from "./json.js";
import { lookupSystemMap } from "./system-map.js";

/** Where a resolved symbol address came from. */
export type SymbolSource = "vmcoreinfo" | "system-map";

/** A kernel symbol resolved to its run-time address. */
export interface ResolvedSymbol {
  name: string;
  address: bigint;
  source: SymbolSource;
}

/** The symbols and the KASLR offset the analyzer works with. */
export interface SymbolTable {
  get(name: string): ResolvedSymbol | undefined;
  /** KASLR offset added to System.map addresses of kernel-image symbols (0 without KASLR). */
  readonly kaslrOffset: bigint;
  /** How the offset was found: VMCOREINFO's KERNELOFFSET, the _stext difference, or none. */
  readonly kaslrSource: "KERNELOFFSET" | "_stext" | "none";
  /** True when a System.map was given. */
  readonly hasSystemMap: boolean;
}

/** Symbols the cpus analysis reads (looked up in VMCOREINFO first, then in the System.map). */
export const CPU_SYMBOLS = [
  "__cpu_possible_mask",
  "__cpu_present_mask",
  "__cpu_online_mask",
  "__per_cpu_offset",
  "crash_notes",
  "panic_cpu",
  "nr_cpu_ids",
] as const;

/** Symbols used only to check that a System.map matches the dump (they are in every x86_64 VMCOREINFO). */
const CROSS_CHECK = ["_stext", "init_uts_ns", "swapper_pg_dir", "init_top_pgt", "prb", "node_data"];

/**
 * Resolves `names` from VMCOREINFO `SYMBOL()` lines, then from a System.map text with the KASLR
 * offset applied (reference §3.3: `KERNELOFFSET=%lx`; kernel-image symbols move by it, per-cpu
 * symbols — addresses below the image's `_text` — do not).
 *
 * @throws AnalyzerError `E_SYSTEM_MAP_MISMATCH` when symbols present in both disagree after the offset
 *   (the map belongs to another build); `E_BAD_SYSTEM_MAP` for a malformed map.
 */
export function resolveSymbols(names: readonly string[], vmcoreinfo: Vmcoreinfo | undefined, systemMapText?: string): SymbolTable {
  const resolved = new Map<string, ResolvedSymbol>();
  for (const name of names) {
    const address = vmcoreinfo?.symbols.get(name);
    if (address !== undefined) resolved.set(name, { name, address, source: "vmcoreinfo" });
  }
  let kaslrOffset = 0n;
  let kaslrSource: SymbolTable["kaslrSource"] = "none";
  if (systemMapText !== undefined) {
    const wanted = new Set([...names, ...CROSS_CHECK, "_text"]);
    const map = lookupSystemMap(systemMapText, wanted);
    const runtimeStext = vmcoreinfo?.symbols.get("_stext");
    const mapStext = map.get("_stext")?.address;
    if (vmcoreinfo?.kernelOffset !== undefined) {
      kaslrOffset = vmcoreinfo.kernelOffset;
      kaslrSource = "KERNELOFFSET";
    } else if (runtimeStext !== undefined && mapStext !== undefined) {
      kaslrOffset = (runtimeStext - mapStext) & 0xffff_ffff_ffff_ffffn;
      kaslrSource = "_stext";
    }
    const imageStart = map.get("_text")?.address ?? map.get("_stext")?.address ?? 0xffff_0000_0000_0000n;
    const relocate = (address: bigint) => (address >= imageStart ? (address + kaslrOffset) & 0xffff_ffff_ffff_ffffn : address);
    for (const name of CROSS_CHECK) {
      const inInfo = vmcoreinfo?.symbols.get(name);
      const inMap = map.get(name);
      if (inInfo !== undefined && inMap !== undefined && relocate(inMap.address) !== inInfo) {
        throw new AnalyzerError(
          "E_SYSTEM_MAP_MISMATCH",
          `System.map does not match the dump: ${name} is ${hex(inInfo)} in VMCOREINFO but ${hex(relocate(inMap.address))} from the map (KASLR offset ${hex(kaslrOffset)})`,
          { address: inInfo },
        );
      }
    }
    for (const name of names) {
      const symbol = map.get(name);
      if (!resolved.has(name) && symbol) resolved.set(name, { name, address: relocate(symbol.address), source: "system-map" });
    }
  }
  return {
    get: (name) => resolved.get(name),
    kaslrOffset,
    kaslrSource,
    hasSystemMap: systemMapText !== undefined,
  };
}
