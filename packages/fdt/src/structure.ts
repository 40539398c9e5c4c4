// The structure block's tokens (devicetree spec §5.4, libfdt fdt.h / fdt.c fdt_next_tag).
import { fail } from "./errors.js";

/** Structure block tokens, big-endian u32 each, 4-byte aligned. */
export const FDT_TOKEN = {
  BEGIN_NODE: 0x1,
  END_NODE: 0x2,
  PROP: 0x3,
  NOP: 0x4,
  END: 0x9,
} as const;

/** A value of {@link FDT_TOKEN}. */
export type FdtToken = (typeof FDT_TOKEN)[keyof typeof FDT_TOKEN];

/** The spec name of a token (`FDT_BEGIN_NODE`…), or `0x…` for an unknown value. */
export function tokenName(token: number): string {
  switch (token) {
    case FDT_TOKEN.BEGIN_NODE: return "FDT_BEGIN_NODE";
    case FDT_TOKEN.END_NODE: return "FDT_END_NODE";
    case FDT_TOKEN.PROP: return "FDT_PROP";
    case FDT_TOKEN.NOP: return "FDT_NOP";
    case FDT_TOKEN.END: return "FDT_END";
    default: return `0x${token.toString(16)}`;
  }
}

/** Size of a token (FDT_TAGSIZE). */
export const FDT_TAGSIZE = 4;
/** Rounds up to the 4-byte tag alignment (FDT_TAGALIGN). */
export function tagAlign(n: number): number {
  return (n + 3) & ~3;
}

/**
 * Index of the NUL that ends the string starting at `start`, searching below `end`.
 * Throws FDT_ERR_TRUNCATED (naming `what` and `start`) when there is none.
 */
export function findNul(bytes: Uint8Array, start: number, end: number, what: string): number {
  const i = bytes.indexOf(0, start);
  if (i < 0 || i >= end) fail("FDT_ERR_TRUNCATED", `${what} is not NUL-terminated inside its block`, start);
  return i;
}

/** Decodes bytes as Latin-1, one char per byte, so any name round-trips byte for byte. */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  // Names are short: String.fromCharCode on small chunks beats TextDecoder set-up cost here.
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  }
  return s;
}

/** Encodes a string as Latin-1 (one byte per char, codes > 0xff are a caller error: FDT_ERR_BADVALUE). */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) fail("FDT_ERR_BADVALUE", `name ${JSON.stringify(s)} has a character above U+00FF`);
    out[i] = c;
  }
  return out;
}
