// PowerPC kdump helpers on the QEMU pseries blobs: headroom sizing, CPU nodes, /chosen, /memory.
import {
  EditableFdt,
  FdtError,
  addCpuNode,
  cellsValue,
  cpuNodePaths,
  cpuNodeSize,
  cpuTemplate,
  decodeRanges,
  encodeRanges,
  kdumpFdtSize,
  memoryRanges,
  parseFdt,
  readKdumpChosen,
  removeCpuNode,
  rootCells,
  setElfcorehdr,
  setUsableMemoryRange,
  u32Value,
} from "@kdumpkit/fdt";
import { describe, expect, it } from "vitest";
import { readCorpusBytes, readCorpusText } from "../../../test-support/corpus.js";

const smp8 = readCorpusBytes("fdt/qemu/pseries-smp8.dtb");

describe("kdump FDT sizing", () => {
  it("cpu_node_size sums the base name + 5 and every property's name and length", () => {
    const fdt = parseFdt(smp8);
    const path = "/cpus/PowerPC,POWER9@0";
    const node = fdt.requireNode(path);
    // Computed by hand from the stored dtc output: count property names and value lengths.
    const dts = readCorpusText("fdt/qemu/pseries-smp8.dts");
    const block = dts.slice(dts.indexOf("PowerPC,POWER9@0 {"), dts.indexOf("};", dts.indexOf("PowerPC,POWER9@0 {")));
    const propLines = block.split("\n").slice(1).filter((l) => l.trim().length > 0);
    expect(node.properties.length).toBe(propLines.length);
    const expected = "PowerPC,POWER9".length + 5 + node.properties.reduce((n, p) => n + p.name.length + p.length, 0);
    expect(cpuNodeSize(fdt, path, node.properties.map((p) => p.name))).toBe(expected);
  });

  it("sizes one node per possible core not yet present, plus the fixed parts", () => {
    const base = { fdtTotalsize: 20768, cmdlineLength: 30, cpuNodeSize: 700, threadsPerCore: 1 };
    expect(kdumpFdtSize({ ...base, possibleCpus: 8, cpuNodes: 8 })).toBe(20768 + 30 + 0x1000);
    expect(kdumpFdtSize({ ...base, possibleCpus: 16, cpuNodes: 8 })).toBe(20768 + 30 + 0x1000 + 8 * 700);
    expect(kdumpFdtSize({ ...base, possibleCpus: 16, cpuNodes: 8, threadsPerCore: 4 })).toBe(20768 + 30 + 0x1000);
    expect(kdumpFdtSize({ ...base, possibleCpus: 16, cpuNodes: 8, crashHotplug: false, reservedRanges: 2 })).toBe(20768 + 30 + 0x1000 + 32);
    expect(
      kdumpFdtSize({ ...base, possibleCpus: 8, cpuNodes: 10, bootCpuNodes: 8, lmbSize: 256n << 20n, memoryHotplugMax: 4n << 30n, crashkSize: 512n << 20n }),
    ).toBe(20768 + 30 + 0x1000 + 2 * 700 + 8 * (16 + 4));
  });

  it("a blob opened with that size takes exactly the missing CPU nodes", () => {
    const blob0 = EditableFdt.openInto(smp8, smp8.length);
    const t = cpuTemplate(blob0);
    const path = cpuNodePaths(blob0).at(-1)!;
    const nodeSize = cpuNodeSize(blob0, path, t.properties.map(([n]) => n));
    const size = kdumpFdtSize({ fdtTotalsize: smp8.length, cmdlineLength: 0, cpuNodeSize: nodeSize, possibleCpus: 16, cpuNodes: 8, threadsPerCore: 1 });
    const blob = EditableFdt.openInto(smp8, size - 0x1000);
    for (let i = 0; i < 8; i++) addCpuNode(blob, t);
    expect(cpuNodePaths(blob)).toHaveLength(16);
  });
});

describe("CPU nodes", () => {
  it("adds a node modelled on the last CPU with reg, server numbers and unit address updated, then removes it", () => {
    const blob = EditableFdt.openInto(smp8, smp8.length + 4096);
    const t = cpuTemplate(blob);
    expect(t).toMatchObject({ baseName: "PowerPC,POWER9", threads: 1, maxReg: 7 });
    const { path, id } = addCpuNode(blob, t);
    expect([path, id]).toEqual(["/cpus/PowerPC,POWER9@8", 8]);
    const fdt = blob.toFdt();
    const n = fdt.requireNode(path);
    const model = fdt.requireNode("/cpus/PowerPC,POWER9@7");
    expect(n.properties.map((p) => p.name)).toEqual(model.properties.map((p) => p.name));
    expect(n.property("reg")!.u32s()).toEqual([8]);
    expect(n.property("ibm,ppc-interrupt-server#s")!.u32s()).toEqual([8]);
    expect(n.property("ibm,ppc-interrupt-gserver#s")!.u32s()).toEqual([8, 0]);
    expect(n.property("ibm,pa-features")!.value).toEqual(model.property("ibm,pa-features")!.value);
    expect(fdt.requireNode("/cpus").children.at(-1)!.name).toBe("PowerPC,POWER9@8");
    expect(() => addCpuNode(blob, t, 8)).toThrow(FdtError);
    removeCpuNode(blob, 8);
    expect(blob.toFdt().node(path)).toBeUndefined();
    expect(() => removeCpuNode(blob, 8)).toThrow(/FDT_ERR_NOTFOUND/);
  });

  it("SMT cores: the server list follows the thread count", () => {
    const blob = EditableFdt.openInto(smp8, smp8.length + 4096);
    const last = cpuNodePaths(blob).at(-1)!;
    blob.setProp(last, "ibm,ppc-interrupt-server#s", u32Value(28, 29, 30, 31));
    blob.setProp(last, "reg", u32Value(28));
    const t = cpuTemplate(blob);
    expect(t.threads).toBe(4);
    const { id } = addCpuNode(blob, t);
    expect(id).toBe(32);
    expect(blob.toFdt().requireNode("/cpus/PowerPC,POWER9@20").property("ibm,ppc-interrupt-server#s")!.u32s()).toEqual([32, 33, 34, 35]);
  });
});

describe("/chosen and /memory", () => {
  it("reads and updates linux,elfcorehdr and linux,usable-memory-range with the root's cells", () => {
    const blob = EditableFdt.openInto(smp8, smp8.length + 256);
    expect(rootCells(blob)).toEqual({ addressCells: 2, sizeCells: 2 });
    expect(readKdumpChosen(blob)).toEqual({ elfcorehdr: undefined, usableMemoryRange: [] });
    setElfcorehdr(blob, { address: 0x3000_0000n, size: 0x1_0000n });
    setUsableMemoryRange(blob, [{ address: 0x2000_0000n, size: 0x1000_0000n }]);
    expect(readKdumpChosen(blob.toFdt())).toEqual({
      elfcorehdr: { address: 0x3000_0000n, size: 0x1_0000n },
      usableMemoryRange: [{ address: 0x2000_0000n, size: 0x1000_0000n }],
    });
    expect(blob.getProp("/chosen", "linux,elfcorehdr")).toEqual(u32Value(0, 0x3000_0000, 0, 0x1_0000));
    // in place: a second update resizes nothing
    const used = blob.usedSize;
    setElfcorehdr(blob, { address: 0x4000_0000n, size: 0x2_0000n });
    expect(blob.usedSize).toBe(used);
  });

  it("1-cell roots refuse values that do not fit (FDT_ERR_BADVALUE)", () => {
    const blob = EditableFdt.openInto(smp8, smp8.length + 256);
    blob.setProp("/", "#address-cells", u32Value(1));
    blob.setProp("/", "#size-cells", u32Value(1));
    expect(() => setElfcorehdr(blob, { address: 0x1_0000_0000n, size: 1n })).toThrow(/FDT_ERR_BADVALUE/);
    setElfcorehdr(blob, { address: 0x1000n, size: 0x10n });
    expect(blob.getProp("/chosen", "linux,elfcorehdr")).toEqual(u32Value(0x1000, 0x10));
  });

  it("lists /memory nodes", () => {
    expect(memoryRanges(parseFdt(smp8))).toEqual([{ path: "/memory@0", ranges: [{ address: 0n, size: 0x8000_0000n }] }]);
    const virt = parseFdt(readCorpusBytes("fdt/qemu/virt-a57-smp4.dtb"));
    expect(memoryRanges(virt)).toEqual([{ path: "/memory@40000000", ranges: [{ address: 0x4000_0000n, size: 0x4000_0000n }] }]);
  });
});

describe("bad arguments are typed errors, never a RangeError or a wrapped number", () => {
  const codeOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      if (e instanceof FdtError) return e.code;
      throw e;
    }
    return undefined;
  };

  it("addCpuNode refuses an id that is not a u32 (FDT_ERR_BADVALUE) and leaves the blob as it was", () => {
    const blob = EditableFdt.openInto(smp8, smp8.length + 0x2000);
    const before = blob.bytes.slice();
    const t = cpuTemplate(blob);
    for (const id of [-1, 1.5, 2 ** 32, Number.NaN]) {
      expect(codeOf(() => addCpuNode(blob, t, id))).toBe("FDT_ERR_BADVALUE");
    }
    // The next id after the highest reg would not fit in the u32 cells either.
    expect(codeOf(() => addCpuNode(blob, { ...t, maxReg: 0xffffffff }))).toBe("FDT_ERR_BADVALUE");
    expect(Buffer.compare(Buffer.from(blob.bytes), Buffer.from(before))).toBe(0);
  });

  it("cell counts outside 0..4 are FDT_ERR_BADNCELLS (libfdt FDT_MAX_NCELLS)", () => {
    expect(codeOf(() => cellsValue(0n, -1))).toBe("FDT_ERR_BADNCELLS");
    expect(codeOf(() => cellsValue(1n, 5))).toBe("FDT_ERR_BADNCELLS");
    expect(codeOf(() => encodeRanges([{ address: 0n, size: 0n }], 2, -1))).toBe("FDT_ERR_BADNCELLS");
    expect(codeOf(() => decodeRanges(new Uint8Array(16), 3, -1))).toBe("FDT_ERR_BADNCELLS");
    expect(codeOf(() => decodeRanges(new Uint8Array(16), 1.5, 0.5))).toBe("FDT_ERR_BADNCELLS");
    expect(decodeRanges(new Uint8Array(8), 2, 0)).toEqual([{ address: 0n, size: 0n }]);
  });
});
