// A full check of a blob, after libfdt's fdt_check_full (libfdt/fdt_check.c), plus the block
// overlap test libfdt leaves to its read-write probe.
import { fail } from "./errors.js";
import { type FdtLayout, checkHeader, nextTagOffset } from "./layout.js";
import { FDT_TOKEN, findNul } from "./structure.js";

/** Options for {@link checkFdt}. */
export interface CheckOptions {
  /** Deepest node nesting accepted (root is depth 1); deeper is FDT_ERR_LIMIT. Default 1024. */
  maxDepth?: number;
}

/**
 * Checks a whole blob the way `fdt_check_full` does: header, block bounds and alignment,
 * memory reservation terminator, a well-nested token stream with one root of empty name,
 * property names inside the strings block, values inside the structure block, FDT_END last;
 * and, unlike libfdt, that no two blocks (header, rsvmap, struct, strings) overlap.
 * Returns the block layout. Throws {@link FdtError} with FDT_ERR_TRUNCATED, BADMAGIC, BADVERSION,
 * ALIGNMENT, BADSTRUCTURE, BADOFFSET, BADLAYOUT or LIMIT and the offset concerned.
 */
export function checkFdt(bytes: Uint8Array, options: CheckOptions = {}): FdtLayout {
  const layout = checkHeader(bytes);
  checkOverlap(layout);
  walkStructure(bytes, layout, options.maxDepth ?? 1024);
  return layout;
}

/** Blocks may come in any order with gaps, but may not overlap (FDT_ERR_BADLAYOUT). */
export function checkOverlap(l: FdtLayout): void {
  const blocks: [string, number, number][] = [
    ["header", 0, l.headerSize],
    ["memory reservation map", l.rsvmapStart, l.rsvmapEnd],
    ["structure block", l.structStart, l.structEnd],
    ["strings block", l.stringsStart, l.stringsEnd],
  ];
  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length; j++) {
      const [an, a0, a1] = blocks[i]!;
      const [bn, b0, b1] = blocks[j]!;
      if (a0 < a1 && b0 < b1 && a0 < b1 && b0 < a1) {
        fail("FDT_ERR_BADLAYOUT", `the ${an} and the ${bn} overlap`, Math.max(a0, b0));
      }
    }
  }
}

function walkStructure(bytes: Uint8Array, l: FdtLayout, maxDepth: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const { structStart: start, structEnd: end, stringsStart, stringsEnd } = l;
  const version = l.header.version;
  let depth = 0;
  let expectEnd = false;
  let off = start;
  for (;;) {
    const next = nextTagOffset(bytes, view, off, start, end, version);
    const tag = view.getUint32(off);
    // After the root closes only FDT_END may follow: a second root is malformed.
    if (expectEnd && tag !== FDT_TOKEN.END) fail("FDT_ERR_BADSTRUCTURE", "a token follows the root node's FDT_END_NODE", off);
    switch (tag) {
      case FDT_TOKEN.NOP:
        break;
      case FDT_TOKEN.END:
        if (depth !== 0) fail("FDT_ERR_BADSTRUCTURE", `FDT_END with ${depth} node(s) still open`, off);
        return;
      case FDT_TOKEN.BEGIN_NODE:
        depth++;
        if (depth > maxDepth) fail("FDT_ERR_LIMIT", `nodes nest deeper than maxDepth ${maxDepth}`, off);
        // Before version 16 the root's name is its full path, "/".
        if (depth === 1 && bytes[off + 4] !== 0 && !(version < 16 && bytes[off + 4] === 0x2f && bytes[off + 5] === 0)) fail("FDT_ERR_BADSTRUCTURE", "the root node's name is not empty", off);
        break;
      case FDT_TOKEN.END_NODE:
        if (depth === 0) fail("FDT_ERR_BADSTRUCTURE", "FDT_END_NODE without an open node", off);
        depth--;
        if (depth === 0) expectEnd = true;
        break;
      case FDT_TOKEN.PROP: {
        if (depth === 0) fail("FDT_ERR_BADSTRUCTURE", "a property outside any node", off);
        const nameoff = view.getUint32(off + 8);
        if (nameoff >= stringsEnd - stringsStart) {
          fail("FDT_ERR_BADOFFSET", `property name offset ${nameoff} is outside the strings block`, off + 8);
        }
        findNul(bytes, stringsStart + nameoff, stringsEnd, "a property name");
        break;
      }
    }
    off = next;
  }
}
