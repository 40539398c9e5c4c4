import { AnalyzerError } from "./errors.js";

/** One System.map entry: `address type name`, as `nm -n` prints it. */
export interface SystemMapSymbol {
  name: string;
  /** The link-time address (no KASLR offset applied). */
  address: bigint;
  /** nm's one-letter symbol type (`T`, `D`, `B`, `A`…). */
  type: string;
}

/**
 * Looks up `names` in the text of a System.map (`nm -n vmlinux` output) without parsing the other
 * ~160 000 lines: one regular-expression pass finds the lines ending in `" <name>"` (about 5 ms for
 * a 7 MB map; one `indexOf` per name costs 2 ms each because spaces are everywhere), then only those
 * lines are parsed and checked. Names that are absent are missing from the result; the first
 * definition of a name wins.
 *
 * @throws AnalyzerError `E_BAD_SYSTEM_MAP` when the line holding a wanted symbol is malformed, or when
 *   the text does not look like a System.map at all (first line not `hex type name`).
 */
export function lookupSystemMap(text: string, names: Iterable<string>): Map<string, SystemMapSymbol> {
  checkFirstLine(text);
  const wanted = [...new Set(names)];
  const found = new Map<string, SystemMapSymbol>();
  if (wanted.length === 0) return found;
  const pattern = new RegExp(` (${wanted.map(escapeRegExp).join("|")})(?=\r?\n|$)`, "g");
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    const name = m[1]!;
    if (found.has(name)) continue;
    const lineStart = text.lastIndexOf("\n", m.index) + 1;
    const symbol = parseLine(text, lineStart, m.index + m[0].length);
    // A match in the middle of a line (e.g. a module name) is not a definition.
    if (symbol.name === name) found.set(name, symbol);
  }
  return found;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Parses a whole System.map (for tools that need every symbol; the CLI uses {@link lookupSystemMap}).
 * @throws AnalyzerError `E_BAD_SYSTEM_MAP` naming the byte offset of the first malformed line.
 */
export function parseSystemMap(text: string): SystemMapSymbol[] {
  const symbols: SystemMapSymbol[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end > start) symbols.push(parseLine(text, start, end));
    start = end + 1;
  }
  return symbols;
}

const LINE = /^([0-9a-fA-F]{1,16}) ([A-Za-z?-]) (\S+)(?:\s+\[\S+\])?$/;

function parseLine(text: string, start: number, end: number): SystemMapSymbol {
  const line = text.slice(start, end).replace(/\r$/, "");
  const m = LINE.exec(line);
  if (!m) {
    throw new AnalyzerError("E_BAD_SYSTEM_MAP", `System.map line at byte ${start} is not "address type name": ${JSON.stringify(line.slice(0, 80))}`, {
      offset: start,
    });
  }
  return { address: BigInt(`0x${m[1]}`), type: m[2]!, name: m[3]! };
}

function checkFirstLine(text: string): void {
  const end = text.indexOf("\n");
  parseLine(text, 0, end < 0 ? text.length : end);
}
