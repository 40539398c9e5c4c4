import { KdumpkitError } from "@kdumpkit/elf";

/** Error codes of @kdumpkit/analyzer (one line each: what it means, what to do). */
export type AnalyzerErrorCode =
  /** A System.map line is malformed (the offset names it): give the kernel's System.map. */
  | "E_BAD_SYSTEM_MAP"
  /** The System.map does not belong to the dumped kernel (symbols disagree with VMCOREINFO). */
  | "E_SYSTEM_MAP_MISMATCH"
  /** A /proc/iomem listing line is malformed (the offset names it). */
  | "E_BAD_IOMEM"
  /** A command-line value (address, length) is not a number or out of range. */
  | "E_BAD_ARGUMENT"
  /** The operation needs memory contents, but the input is a bare elfcorehdr (it holds none). */
  | "E_NO_MEMORY"
  /** (dmesg) VMCOREINFO lacks the printk symbols/offsets needed to find the kernel log. */
  | "E_NO_PRINTK_SYMBOLS"
  /** (dmesg) The printk ring buffer's layout or contents are implausible. */
  | "E_BAD_PRINTK_BUFFER"
  /** (dmesg) A printk limit protecting against hostile input was exceeded. */
  | "E_PRINTK_LIMIT"
  /** (hotplug) The elfcorehdr is not in the kernel's layout or cannot be read back unambiguously: give the hint it names. */
  | "E_BAD_ELFCOREHDR"
  /** (hotplug) A hotplug event or replay script line is malformed or impossible in the current state (the text names it). */
  | "E_BAD_EVENT"
  /** (capture) Old memory images overlap, or the elfcorehdr points at memory no image holds (the address names it). */
  | "E_OLD_MEMORY";

/** The one error class of @kdumpkit/analyzer; errors of the elf and vmcore packages pass through unchanged. */
export class AnalyzerError extends KdumpkitError {
  readonly code: AnalyzerErrorCode;
  constructor(code: AnalyzerErrorCode, message: string, options: { offset?: number; address?: bigint; cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}
