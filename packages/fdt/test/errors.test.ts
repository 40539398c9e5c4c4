// Every FdtError code, raised by a malformed input or an impossible request, with its offset.
import {
  EditableFdt,
  FDT_ERR,
  Fdt,
  FdtError,
  FdtNode,
  FdtProperty,
  SequentialWriter,
  addCpuNode,
  checkFdt,
  cpuTemplate,
  parseFdt,
  readHeader,
  rootCells,
  u32Value,
  writeFdt,
} from "@kdumpkit/fdt";
import { describe, expect, it } from "vitest";
import { readCorpusBytes } from "../../../test-support/corpus.js";

function thrown(fn: () => unknown): FdtError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FdtError) return e;
    throw e;
  }
  throw new Error("no error thrown");
}

/** A small valid blob: / { a = <1>; n { }; }. */
function small(): Uint8Array {
  const w = new SequentialWriter();
  w.beginNode("").property("a", u32Value(1)).beginNode("n").endNode().endNode();
  return w.finish();
}

function setU32(b: Uint8Array, off: number, v: number): Uint8Array {
  new DataView(b.buffer, b.byteOffset).setUint32(off, v);
  return b;
}

const tested = new Set<string>();
function expectCode(fn: () => unknown, code: string, offset?: number): void {
  const e = thrown(fn);
  expect(e.code).toBe(code);
  expect(e.message).toContain(code);
  if (offset !== undefined) expect(e.offset).toBe(offset);
  tested.add(code);
}

describe("FdtError codes", () => {
  const base = small();
  const off = checkFdt(base);

  it("FDT_ERR_BADMAGIC", () => expectCode(() => parseFdt(setU32(base.slice(), 0, 0x12345678)), "FDT_ERR_BADMAGIC", 0));

  it("FDT_ERR_TRUNCATED", () => {
    expectCode(() => readHeader(new Uint8Array(10)), "FDT_ERR_TRUNCATED", 0);
    expectCode(() => parseFdt(base.subarray(0, base.length - 1)), "FDT_ERR_TRUNCATED", 4);
    // a property value that runs past the structure block
    const b = base.slice();
    setU32(b, off.structStart + 8 + 4, 1000);
    expectCode(() => checkFdt(b), "FDT_ERR_TRUNCATED", off.structStart + 8);
  });

  it("FDT_ERR_BADVERSION", () => {
    expectCode(() => checkFdt(setU32(base.slice(), 20, 1)), "FDT_ERR_BADVERSION", 20);
    expectCode(() => checkFdt(setU32(base.slice(), 24, 18)), "FDT_ERR_BADVERSION", 20);
  });

  it("FDT_ERR_ALIGNMENT", () => {
    expectCode(() => checkFdt(setU32(base.slice(), 16, 44)), "FDT_ERR_ALIGNMENT", 16);
    expectCode(() => checkFdt(setU32(base.slice(), 8, off.structStart + 2)), "FDT_ERR_ALIGNMENT", 8);
  });

  it("FDT_ERR_BADSTRUCTURE", () => {
    // unknown token where the root's first property starts
    expectCode(() => parseFdt(setU32(base.slice(), off.structStart + 8, 0x77)), "FDT_ERR_BADSTRUCTURE", off.structStart + 8);
    // FDT_END_NODE of "n" turned into FDT_END: nodes still open
    const b = base.slice();
    const endOfN = off.structEnd - 12;
    setU32(b, endOfN, 9);
    expectCode(() => checkFdt(b), "FDT_ERR_BADSTRUCTURE", endOfN);
  });

  it("FDT_ERR_BADOFFSET", () => {
    const b = setU32(base.slice(), off.structStart + 8 + 8, 9999); // nameoff of "a"
    expectCode(() => parseFdt(b), "FDT_ERR_BADOFFSET", off.structStart + 16);
    const e = EditableFdt.openInto(base, base.length + 64);
    expectCode(() => e.nodeOffset(3), "FDT_ERR_BADOFFSET");
    expectCode(() => e.delNode("/"), "FDT_ERR_BADOFFSET");
  });

  it("FDT_ERR_BADLAYOUT", () => {
    // the strings block moved onto the structure block
    expectCode(() => checkFdt(setU32(base.slice(), 12, off.structStart)), "FDT_ERR_BADLAYOUT");
  });

  it("FDT_ERR_NOSPACE", () => {
    const e = EditableFdt.openInto(base, base.length);
    const before = e.bytes.slice();
    expectCode(() => e.setProp("/n", "b", u32Value(2)), "FDT_ERR_NOSPACE");
    expect(Buffer.compare(Buffer.from(e.bytes), Buffer.from(before))).toBe(0);
    expectCode(() => EditableFdt.openInto(base, 8), "FDT_ERR_NOSPACE");
  });

  it("FDT_ERR_NOTFOUND and FDT_ERR_EXISTS", () => {
    const e = EditableFdt.openInto(base, base.length + 100);
    expectCode(() => e.delProp("/", "missing"), "FDT_ERR_NOTFOUND");
    expectCode(() => e.addSubnode("/", "n"), "FDT_ERR_EXISTS");
    expectCode(() => cpuTemplate(e), "FDT_ERR_NOTFOUND");
  });

  it("FDT_ERR_BADPATH", () => {
    expectCode(() => parseFdt(base).node("n"), "FDT_ERR_BADPATH");
    expectCode(() => parseFdt(base).node("//n"), "FDT_ERR_BADPATH");
  });

  it("FDT_ERR_BADPHANDLE", () => {
    const fdt = parseFdt(base);
    expectCode(() => fdt.nodeByPhandle(0), "FDT_ERR_BADPHANDLE");
    fdt.root.properties.push(new FdtProperty("phandle", new Uint8Array(3)));
    expectCode(() => fdt.nodeByPhandle(5), "FDT_ERR_BADPHANDLE");
  });

  it("FDT_ERR_BADSTATE", () => {
    expectCode(() => new SequentialWriter().property("x", new Uint8Array()), "FDT_ERR_BADSTATE");
    expectCode(() => new SequentialWriter().beginNode("").finish(), "FDT_ERR_BADSTATE");
    expectCode(() => new SequentialWriter().beginNode("").endNode().addReservation(1n, 1n), "FDT_ERR_BADSTATE");
  });

  it("FDT_ERR_BADNCELLS", () => {
    const fdt = parseFdt(base);
    fdt.root.setProperty("#address-cells", u32Value(0));
    expectCode(() => rootCells(fdt), "FDT_ERR_BADNCELLS");
    fdt.root.setProperty("#address-cells", u32Value(5));
    expectCode(() => rootCells(fdt), "FDT_ERR_BADNCELLS");
    fdt.root.setProperty("#address-cells", new Uint8Array(2));
    expectCode(() => rootCells(fdt), "FDT_ERR_BADNCELLS");
  });

  it("FDT_ERR_BADVALUE", () => {
    const fdt = parseFdt(base);
    expectCode(() => fdt.root.property("a")!.u32(1), "FDT_ERR_BADVALUE");
    expectCode(() => fdt.root.property("a")!.strings(), "FDT_ERR_BADVALUE");
    const e = EditableFdt.openInto(base, base.length + 100);
    expectCode(() => e.addSubnode("/", "a/b"), "FDT_ERR_BADVALUE");
    expectCode(() => writeFdt(new Fdt(Object.assign(new FdtNode(""), { children: [new FdtNode("\u0400")] }))), "FDT_ERR_BADVALUE");
  });

  it("FDT_ERR_LIMIT", () => {
    let w = new SequentialWriter().beginNode("");
    for (let i = 0; i < 40; i++) w = w.beginNode(`d${i}`);
    for (let i = 0; i < 41; i++) w = w.endNode();
    const deep = w.finish();
    expectCode(() => parseFdt(deep, { maxDepth: 10 }), "FDT_ERR_LIMIT");
    expectCode(() => checkFdt(deep, { maxDepth: 10 }), "FDT_ERR_LIMIT");
  });

  it("covers every code", () => {
    expect([...tested].sort()).toEqual(Object.values(FDT_ERR).sort());
  });

  it("a pseries blob whose CPU node does not fit is refused whole", () => {
    const p = readCorpusBytes("fdt/qemu/pseries-smp1.dtb");
    const e = EditableFdt.openInto(p, p.length + 100);
    const before = e.bytes.slice();
    expect(thrown(() => addCpuNode(e, cpuTemplate(e))).code).toBe("FDT_ERR_NOSPACE");
    expect(Buffer.compare(Buffer.from(e.bytes), Buffer.from(before))).toBe(0);
  });
});
