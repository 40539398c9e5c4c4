import type { VmcoreinfoReport } from "../../vmcoreinfo.js";
import { table } from "../../render/table.js";
import { crashTimeText } from "./summary-text.js";

/**
 * The human form of `vmcoreinfo`: each line as the kernel wrote it, and beside the values a user
 * reuses the typed form — `SYMBOL()` and `KERNELOFFSET` are hex without `0x` in the note, which
 * `read --virt` would not take; `CRASHTIME` is seconds since the epoch.
 */
export function renderVmcoreinfo(r: VmcoreinfoReport): string {
  if (!r.present) return "no VMCOREINFO note in this dump";
  const typed = (key: string): string => {
    const symbol = /^SYMBOL\((.*)\)$/.exec(key);
    if (symbol) return r.symbols[symbol[1]!] ?? "";
    if (key === "KERNELOFFSET") return r.kernelOffset ?? "";
    if (key === "CRASHTIME" && r.crashTime) return crashTimeText(r.crashTime);
    return "";
  };
  return table(["key", "value", "typed"], r.lines.map((l) => [l.key, l.value, typed(l.key)]));
}
