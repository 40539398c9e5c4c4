// The VMCOREINFO note's text (kernel/vmcore_info.c, include/linux/vmcore_info.h): one KEY=VALUE
// line each, with typed keys SYMBOL(x) (hex, no 0x), OFFSET/SIZE/LENGTH (decimal), NUMBER (signed
// decimal or 0x hex), and plain keys such as OSRELEASE, PAGESIZE, CRASHTIME, KERNELOFFSET.

/** One line of VMCOREINFO, kept verbatim. */
export interface VmcoreinfoLine {
  key: string;
  value: string;
  /** True for a line without '=' (kept as `key` alone when formatted back). */
  bare?: boolean;
}

/** VMCOREINFO decoded into typed maps; `lines` keeps everything for a byte-exact round trip. */
export interface Vmcoreinfo {
  /** Every line in order, verbatim. */
  lines: VmcoreinfoLine[];
  /** SYMBOL(x) → address. */
  symbols: Map<string, bigint>;
  /** OFFSET(a.b) → offset. */
  offsets: Map<string, bigint>;
  /** SIZE(x) → size. */
  sizes: Map<string, bigint>;
  /** LENGTH(x) → length. */
  lengths: Map<string, bigint>;
  /** NUMBER(x) → value (signed decimal or 0x-hex in the text). */
  numbers: Map<string, bigint>;
  osRelease?: string;
  buildId?: string;
  pageSize?: number;
  crashTime?: bigint;
  kernelOffset?: bigint;
  /** Everything else (and typed keys whose value did not parse), key → value verbatim. */
  other: Map<string, string>;
  /** Whether the text ended with a newline (the kernel always writes one). */
  trailingNewline: boolean;
}

const HEX = /^(?:0[xX])?[0-9a-fA-F]+$/;
const DEC = /^-?[0-9]+$/;
const HEX0X = /^-?0[xX][0-9a-fA-F]+$/;

function parseHex(text: string): bigint | undefined {
  if (!HEX.test(text)) return undefined;
  return BigInt(text.startsWith("0x") || text.startsWith("0X") ? text : `0x${text}`);
}

// Like makedumpfile: decimal first, then 0x-prefixed hex (NUMBER(VMALLOC_START)=0x… on x86_64).
function parseNumber(text: string): bigint | undefined {
  if (DEC.test(text)) return BigInt(text);
  if (HEX0X.test(text)) return text.startsWith("-") ? -BigInt(text.slice(1)) : BigInt(text);
  return undefined;
}

const TYPED = /^(SYMBOL|OFFSET|SIZE|LENGTH|NUMBER)\((.*)\)$/;

/**
 * Parses VMCOREINFO text (or the note's desc bytes; trailing NUL bytes are ignored). Never throws:
 * anything that does not parse is kept in `other`.
 */
export function parseVmcoreinfo(text: string | Uint8Array): Vmcoreinfo {
  let s = typeof text === "string" ? text : new TextDecoder("utf-8").decode(text);
  s = s.replace(/\0+$/, "");
  const info: Vmcoreinfo = {
    lines: [],
    symbols: new Map(),
    offsets: new Map(),
    sizes: new Map(),
    lengths: new Map(),
    numbers: new Map(),
    other: new Map(),
    trailingNewline: s.endsWith("\n"),
  };
  const raw = s.split("\n");
  if (info.trailingNewline || s === "") raw.pop();
  for (const line of raw) {
    const eq = line.indexOf("=");
    if (eq === -1) {
      info.lines.push({ key: line, value: "", bare: true });
      info.other.set(line, "");
      continue;
    }
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    info.lines.push({ key, value });
    if (!classify(info, key, value)) info.other.set(key, value);
  }
  return info;
}

function classify(info: Vmcoreinfo, key: string, value: string): boolean {
  const m = TYPED.exec(key);
  if (m) {
    const kind = m[1]!;
    const name = m[2]!;
    if (kind === "SYMBOL") {
      const n = parseHex(value);
      if (n === undefined) return false;
      info.symbols.set(name, n);
      return true;
    }
    const n = parseNumber(value);
    if (n === undefined) return false;
    const map = kind === "OFFSET" ? info.offsets : kind === "SIZE" ? info.sizes : kind === "LENGTH" ? info.lengths : info.numbers;
    map.set(name, n);
    return true;
  }
  switch (key) {
    case "OSRELEASE":
      info.osRelease = value;
      return true;
    case "BUILD-ID":
      info.buildId = value;
      return true;
    case "PAGESIZE": {
      if (!/^[0-9]+$/.test(value)) return false;
      info.pageSize = Number(value);
      return true;
    }
    case "CRASHTIME": {
      if (!DEC.test(value)) return false;
      info.crashTime = BigInt(value);
      return true;
    }
    case "KERNELOFFSET": {
      const n = parseHex(value);
      if (n === undefined) return false;
      info.kernelOffset = n;
      return true;
    }
    default:
      return false;
  }
}

/** Formats VMCOREINFO back to text from its `lines` (so `formatVmcoreinfo(parseVmcoreinfo(t)) === t`). */
export function formatVmcoreinfo(info: Vmcoreinfo): string {
  const body = info.lines.map((l) => (l.bare ? l.key : `${l.key}=${l.value}`)).join("\n");
  return info.lines.length > 0 && info.trailingNewline !== false ? `${body}\n` : body;
}
