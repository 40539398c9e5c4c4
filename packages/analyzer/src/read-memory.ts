import { AnalyzerError } from "./errors.js";
import type { AnalyzerInput } from "./input.js";
import { requireDump } from "./input.js";
import { type Hex, hex, SCHEMA_VERSION } from "./json.js";
import { KernelMemory } from "./kernel-memory.js";

/** Largest `read` (the CLI is for looking at memory, not for copying it out). */
export const MAX_READ_LENGTH = 64 << 20;

/** `kdumpkit read --json` (issue item 8). */
export interface ReadReport {
  schemaVersion: number;
  command: "read";
  file: string;
  space: "physical" | "virtual";
  address: Hex;
  length: number;
  /** The bytes as lowercase hex, two digits per byte. */
  data: string;
}

/** Options of {@link readMemory}: exactly one of `physical` / `virtual`. */
export interface ReadOptions {
  physical?: bigint;
  virtual?: bigint;
  length: number;
}

/**
 * Reads `length` bytes of physical or kernel-virtual memory, strictly within PT_LOAD.
 * @throws VmcoreError `E_NOT_IN_DUMP` / `E_NO_TRANSLATION` from @kdumpkit/vmcore for addresses outside
 *   the dump; AnalyzerError `E_BAD_ARGUMENT` for a bad length or both/neither address; `E_NO_MEMORY`
 *   for a bare elfcorehdr.
 */
export function readMemoryBytes(input: AnalyzerInput, options: ReadOptions): { space: "physical" | "virtual"; address: bigint; bytes: Uint8Array } {
  if ((options.physical === undefined) === (options.virtual === undefined)) {
    throw new AnalyzerError("E_BAD_ARGUMENT", "give exactly one of --phys and --virt");
  }
  if (!Number.isSafeInteger(options.length) || options.length <= 0 || options.length > MAX_READ_LENGTH) {
    throw new AnalyzerError("E_BAD_ARGUMENT", `--length must be between 1 and ${MAX_READ_LENGTH}, got ${options.length}`);
  }
  const dump = requireDump(input, "read");
  if (options.physical !== undefined) {
    if (options.physical < 0n) throw new AnalyzerError("E_BAD_ARGUMENT", "negative address", { address: options.physical });
    return { space: "physical", address: options.physical, bytes: dump.readPhysical(options.physical, options.length) };
  }
  const address = options.virtual!;
  return { space: "virtual", address, bytes: new KernelMemory(dump).read(address, options.length) };
}

/** {@link readMemoryBytes} as a JSON report. */
export function readMemory(input: AnalyzerInput, options: ReadOptions): ReadReport {
  const { space, address, bytes } = readMemoryBytes(input, options);
  return { schemaVersion: SCHEMA_VERSION, command: "read", file: input.path, space, address: hex(address), length: bytes.length, data: Buffer.from(bytes).toString("hex") };
}

/** Formats bytes like `hexdump -C`: address, 16 hex bytes in two groups, printable ASCII. */
export function hexdump(bytes: Uint8Array, address: bigint): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const chunk = bytes.subarray(i, i + 16);
    const hexes = [...chunk].map((b) => b.toString(16).padStart(2, "0"));
    const left = hexes.slice(0, 8).join(" ").padEnd(23);
    const right = hexes.slice(8).join(" ").padEnd(23);
    const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${(address + BigInt(i)).toString(16).padStart(16, "0")}  ${left}  ${right}  |${ascii}|`);
  }
  return lines.join("\n");
}
