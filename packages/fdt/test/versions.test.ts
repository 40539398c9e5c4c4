// Older blob versions: 16 (no size_dt_struct) and 2/3 (full-path node names, 8-byte aligned
// values of 8 bytes or more), read as libfdt reads them.
import { EditableFdt, parseFdt, toDts } from "@kdumpkit/fdt";
import { describe, expect, it } from "vitest";
import { readCorpusBytes } from "../../../test-support/corpus.js";

/** A version-2/3 blob written by hand from the old format's rules (devicetree history, libfdt fdt_next_tag). */
function oldBlob(version: 2 | 3): Uint8Array {
  const words: number[] = [];
  const bytes: number[] = [];
  const strings = "compatible\0reg\0";
  const push32 = (x: number) => bytes.push((x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255);
  const pad = () => {
    while (bytes.length % 4) bytes.push(0);
  };
  const structStart = 40 + 16; // header area padded to 40, then one rsvmap terminator
  const name = (s: string) => {
    push32(1);
    for (const c of s) bytes.push(c.charCodeAt(0));
    bytes.push(0);
    pad();
  };
  const prop = (nameoff: number, value: number[]) => {
    push32(3);
    push32(value.length);
    push32(nameoff);
    // values of 8 bytes or more start 8-aligned (relative to the structure block)
    if (value.length >= 8 && bytes.length % 8 !== 0) push32(0);
    bytes.push(...value);
    pad();
  };
  void words;
  name("/");
  prop(0, [...Buffer.from("acme,board\0")]);
  name("/cpus@0");
  prop(11, [0, 0, 0, 1, 0, 0, 0, 2]);
  push32(2);
  push32(2);
  push32(9);
  const out = new Uint8Array(structStart + bytes.length + strings.length);
  out.set(bytes, structStart);
  out.set(Buffer.from(strings, "latin1"), structStart + bytes.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xd00dfeed);
  v.setUint32(4, out.length);
  v.setUint32(8, structStart);
  v.setUint32(12, structStart + bytes.length);
  v.setUint32(16, 40);
  v.setUint32(20, version);
  v.setUint32(24, 2);
  v.setUint32(28, 0);
  if (version >= 3) v.setUint32(32, strings.length);
  return out;
}

describe("older versions", () => {
  it("version 16: the structure block is found by walking to FDT_END", () => {
    const b = readCorpusBytes("fdt/qemu/pseries-smp1.dtb").slice();
    const v = new DataView(b.buffer);
    v.setUint32(20, 16);
    v.setUint32(36, 0xffffffff); // not a v16 field: must be ignored
    expect(toDts(parseFdt(b))).toBe(toDts(parseFdt(readCorpusBytes("fdt/qemu/pseries-smp1.dtb"))));
    const e = EditableFdt.openInto(b, b.length + 64);
    expect(new DataView(e.bytes.buffer).getUint32(20)).toBe(17);
    expect(toDts(e.toFdt())).toBe(toDts(parseFdt(b)));
  });

  it("version 3: full-path names and 8-aligned values", () => {
    const fdt = parseFdt(oldBlob(3));
    expect(fdt.version).toBe(3);
    expect(fdt.root.name).toBe("");
    expect(fdt.root.property("compatible")!.string()).toBe("acme,board");
    const cpus = fdt.requireNode("/cpus@0");
    expect(cpus.property("reg")!.u32s()).toEqual([1, 2]);
  });

  it("version 2: no size_dt_strings field, the strings run to totalsize", () => {
    const fdt = parseFdt(oldBlob(2));
    expect(fdt.root.property("compatible")!.string()).toBe("acme,board");
    expect(fdt.requireNode("/cpus").property("reg")!.u32s()).toEqual([1, 2]);
  });
});
