// Small helpers shared by the command modules: reading side files, writing output.
import { readFileSync } from "node:fs";
import { AnalyzerError } from "../errors.js";

/** Reads a System.map (plain, or `.xz` through the xz command), as latin1 text (symbol names are ASCII). */
export function readSystemMapFile(path: string): string {
  if (path.endsWith(".xz")) {
    // node:child_process (and the net/stream modules behind it) only for .xz maps: ~3 ms of every start otherwise.
    const r = process.getBuiltinModule("node:child_process").spawnSync("xz", ["-dc", path], { maxBuffer: 1 << 30 });
    if (r.error || r.status !== 0) throw new AnalyzerError("E_BAD_SYSTEM_MAP", `cannot decompress ${path} with xz: ${r.error?.message ?? r.stderr.toString().trim()}`);
    return r.stdout.toString("latin1");
  }
  return readFileSync(path, "latin1");
}

/** Reads and parses a `/proc/iomem` listing (`--iomem`); the parser is loaded only when one is given. */
export async function readIomemFile(path: string): Promise<import("../iomem.js").IomemEntry[]> {
  const { parseIomem } = await import("../iomem.js");
  return parseIomem(readFileSync(path, "utf8"));
}

/** Writes a report as pretty JSON on stdout. */
export function printJson(report: unknown): void {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

/** Writes text on stdout, ending with a newline. */
export function printText(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** Parses an address or length given on the command line (`0x…` or decimal). */
export function parseNumberArgument(name: string, text: string | boolean | undefined): bigint | undefined {
  if (text === undefined || text === false) return undefined;
  try {
    if (typeof text !== "string" || !/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(text.trim())) throw new Error();
    return BigInt(text.trim());
  } catch {
    throw new AnalyzerError("E_BAD_ARGUMENT", `--${name} must be a number (0x… or decimal), got ${JSON.stringify(text)}`);
  }
}
