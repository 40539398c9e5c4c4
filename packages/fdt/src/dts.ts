// Tree → DTS text exactly as `dtc -I dtb -O dts` (treesource.c) prints it: a blob has no type
// information, so each value's form is guessed from its bytes the way dtc guesses. Two dialects:
// dtc 1.6.x prints a string list as one literal with \0 inside; dtc 1.7.0 and later mark each
// string of the list (treesource.c add_string_markers) and print `"a", "b"`.
import { fail } from "./errors.js";
import type { Fdt, FdtNode, FdtProperty } from "./tree.js";

/** Which dtc's output to reproduce: "1.6" (dtc 1.6.x, the default) or "1.7" (dtc 1.7.0 and later). */
export type DtsDialect = "1.6" | "1.7";

/** Options for {@link toDts}. */
export interface DtsOptions {
  /** The dtc release whose text to reproduce. Default "1.6" (Debian bookworm's dtc 1.6.1). */
  dialect?: DtsDialect;
}

/**
 * The dialect that prints like a given dtc: accepts `dtc --version` output (`Version: DTC 1.7.2`)
 * or a bare version (`1.6.1`). Releases before 1.7 print like 1.6. FDT_ERR_BADVALUE when the
 * text holds no `MAJOR.MINOR` version.
 */
export function dtsDialect(version: string): DtsDialect {
  const m = /(\d+)\.(\d+)/.exec(version);
  if (!m) fail("FDT_ERR_BADVALUE", `no dtc version in ${JSON.stringify(version.slice(0, 80))}`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 1 || (major === 1 && minor >= 7) ? "1.7" : "1.6";
}

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** How dtc prints a value: as a string (list), u32 cells or bytes (treesource.c guess_value_type, the same in 1.6 and 1.7). */
export type DtsValueKind = "empty" | "string" | "cells" | "bytes";

// dtc's isstring(): isprint in the C locale, NUL, or one of \a\b\t\n\v\f\r.
function isStringByte(c: number): boolean {
  return (c >= 0x20 && c <= 0x7e) || c === 0 || (c >= 7 && c <= 13);
}

/** The form dtc chooses for a value (see {@link DtsValueKind}). */
export function dtsValueKind(value: Uint8Array): DtsValueKind {
  const len = value.length;
  if (len === 0) return "empty";
  let nul = 0;
  let notString = 0;
  for (let i = 0; i < len; i++) {
    const c = value[i]!;
    if (c === 0) nul++;
    else if (!isStringByte(c)) notString++;
  }
  if (value[len - 1] === 0 && notString === 0 && nul <= len - nul) return "string";
  if (len % 4 === 0) return "cells";
  return "bytes";
}

// One literal for b[start, end), whose last byte is the NUL dtc does not print.
function dtsString(b: Uint8Array, start: number, end: number): string {
  let s = '"';
  for (let i = start; i < end - 1; i++) {
    const c = b[i]!;
    switch (c) {
      case 7: s += "\\a"; break;
      case 8: s += "\\b"; break;
      case 9: s += "\\t"; break;
      case 10: s += "\\n"; break;
      case 11: s += "\\v"; break;
      case 12: s += "\\f"; break;
      case 13: s += "\\r"; break;
      case 0x5c: s += "\\\\"; break;
      case 0x22: s += '\\"'; break;
      // dtc 1.6 keeps a string list in one literal with \0 between the strings.
      case 0: s += "\\0"; break;
      default:
        s += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : `\\x${HEX2[c]}`;
    }
  }
  return `${s}"`;
}

// dtc 1.7: each NUL-terminated string of the list is its own literal (add_string_markers).
function dtsStringList(b: Uint8Array): string {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0) {
      parts.push(dtsString(b, start, i + 1));
      start = i + 1;
    }
  }
  return parts.join(", ");
}

/**
 * The text after the property name: `;` or ` = <value>;` as dtc prints it in `dialect`
 * (default "1.6"; the dialects differ only for values holding several strings).
 */
export function dtsPropertyValue(value: Uint8Array, dialect: DtsDialect = "1.6"): string {
  switch (dtsValueKind(value)) {
    case "empty":
      return ";";
    case "string":
      return ` = ${dialect === "1.7" ? dtsStringList(value) : dtsString(value, 0, value.length)};`;
    case "cells": {
      const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
      const cells: string[] = [];
      for (let o = 0; o < value.length; o += 4) {
        const x = v.getUint32(o);
        cells.push(x < 16 ? `0x0${x.toString(16)}` : `0x${x.toString(16)}`);
      }
      return ` = <${cells.join(" ")}>;`;
    }
    default: {
      const bytes: string[] = [];
      for (const c of value) bytes.push(HEX2[c]!);
      return ` = [${bytes.join(" ")}];`;
    }
  }
}

/**
 * Prints a tree as DTS, identical to `dtc -I dtb -O dts` of the same blob by the dtc release
 * `options.dialect` names (default "1.6"; see {@link dtsDialect}):
 * `/dts-v1/;`, `/memreserve/` lines, then nodes with tab indentation, properties before
 * children, a blank line before each child; a redundant `name` property is left out as dtc's
 * checks delete it. Labels are not printed (a blob has none).
 * Names are Latin-1 strings: encode the result with {@link dtsBytes} to get dtc's exact bytes.
 * Not reproduced: the `&label` references dtc 1.7 prints for overlay blobs with `__local_fixups__`.
 * Throws nothing.
 */
export function toDts(fdt: Fdt, options: DtsOptions = {}): string {
  const dialect = options.dialect ?? "1.6";
  const out: string[] = ["/dts-v1/;\n\n"];
  for (const r of fdt.memoryReservations) {
    out.push(`/memreserve/\t0x${r.address.toString(16).padStart(16, "0")} 0x${r.size.toString(16).padStart(16, "0")};\n`);
  }
  writeNode(out, fdt.root, 0, dialect);
  return out.join("");
}

/**
 * The `name` property dtc deletes as redundant (checks.c check_name_properties): the first
 * property called "name" when its length is the base name's + 1 and it starts with the base name.
 */
export function redundantNameProperty(node: FdtNode): FdtProperty | undefined {
  const p = node.property("name");
  if (!p) return undefined;
  const at = node.name.indexOf("@");
  const base = at < 0 ? node.name : node.name.slice(0, at);
  if (p.value.length !== base.length + 1) return undefined;
  for (let i = 0; i < base.length; i++) if (p.value[i] !== base.charCodeAt(i)) return undefined;
  return p;
}

function writeNode(out: string[], node: FdtNode, level: number, dialect: DtsDialect): void {
  const indent = "\t".repeat(level);
  out.push(`${indent}${node.name === "" ? "/" : node.name} {\n`);
  const inner = `${indent}\t`;
  const skip = redundantNameProperty(node);
  for (const p of node.properties) if (p !== skip) out.push(`${inner}${p.name}${dtsPropertyValue(p.value, dialect)}\n`);
  for (const c of node.children) {
    out.push("\n");
    writeNode(out, c, level + 1, dialect);
  }
  out.push(`${indent}};\n`);
}

/** Encodes DTS text from {@link toDts} to bytes (Latin-1: each char is the byte dtc prints). */
export function dtsBytes(dts: string): Uint8Array {
  const out = new Uint8Array(dts.length);
  for (let i = 0; i < dts.length; i++) out[i] = dts.charCodeAt(i);
  return out;
}

/** One property as dtc prints it inside a node (without indentation or newline), in `dialect` (default "1.6"). */
export function dtsPropertyLine(p: FdtProperty, dialect: DtsDialect = "1.6"): string {
  return `${p.name}${dtsPropertyValue(p.value, dialect)}`;
}
