// The editable blob: in-place edits agree with the same edits on a tree, NOSPACE leaves the blob
// byte-identical, openInto / pack follow libfdt, and the pseries blob fills up to its headroom.
import {
  EditableFdt,
  type Fdt,
  FdtError,
  type FdtNode,
  FdtProperty,
  addCpuNode,
  checkFdt,
  cpuNodePaths,
  cpuTemplate,
  parseFdt,
  toDts,
  u32Value,
  writeFdt,
} from "@kdumpkit/fdt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readCorpusBytes } from "../../../test-support/corpus.js";
import { nodeName, plain, propName, tree, value } from "./arbitraries.js";

const seed = 424242;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof FdtError) return e.code;
    throw e;
  }
  return "none";
}

function allPaths(fdt: Fdt): string[] {
  const out: string[] = [];
  const walk = (n: FdtNode, p: string) => {
    out.push(p || "/");
    for (const c of n.children) walk(c, `${p}/${c.name}`);
  };
  walk(fdt.root, "");
  return out;
}

type Edit =
  | { op: "set"; node: number; name: string; value: Uint8Array }
  | { op: "append"; node: number; name: string; value: Uint8Array }
  | { op: "delprop"; node: number; pick: number }
  | { op: "add"; node: number; name: string; props: [string, Uint8Array][]; position: "first" | "last" }
  | { op: "delnode"; node: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant("set" as const), node: fc.nat(), name: propName, value }),
  fc.record({ op: fc.constant("append" as const), node: fc.nat(), name: propName, value }),
  fc.record({ op: fc.constant("delprop" as const), node: fc.nat(), pick: fc.nat() }),
  fc.record({
    op: fc.constant("add" as const),
    node: fc.nat(),
    name: nodeName,
    props: fc.uniqueArray(fc.tuple(propName, value), { selector: (p) => p[0], maxLength: 3 }),
    position: fc.constantFrom("first" as const, "last" as const),
  }),
  fc.record({ op: fc.constant("delnode" as const), node: fc.nat() }),
);

// Path of a node by exact names; edits pick nodes whose path resolves to themselves.
function resolvable(fdt: Fdt): string[] {
  return allPaths(fdt).filter((p) => {
    return fdt.node(p) !== undefined && allPaths(fdt).indexOf(p) === allPaths(fdt).findIndex((q) => fdt.node(q) === fdt.node(p));
  });
}

function applyToTree(fdt: Fdt, e: Edit, path: string): void {
  const n = fdt.requireNode(path);
  switch (e.op) {
    case "set":
      n.setProperty(e.name, e.value.slice());
      break;
    case "append": {
      const p = n.property(e.name);
      if (p) {
        const j = new Uint8Array(p.value.length + e.value.length);
        j.set(p.value);
        j.set(e.value, p.value.length);
        p.value = j;
      } else n.setProperty(e.name, e.value.slice());
      break;
    }
    case "delprop":
      n.deleteProperty(n.properties[e.pick % Math.max(1, n.properties.length)]?.name ?? "no-such-prop");
      break;
    case "add": {
      const c = n.addChild(e.name, e.position);
      c.properties = e.props.map(([k, v]) => new FdtProperty(k, v.slice()));
      break;
    }
    case "delnode": {
      const parentPath = path.slice(0, path.lastIndexOf("/")) || "/";
      const parent = fdt.requireNode(parentPath);
      parent.children.splice(parent.children.indexOf(n), 1);
      break;
    }
  }
}

function applyToBlob(b: EditableFdt, e: Edit, path: string, fdt: Fdt): void {
  switch (e.op) {
    case "set":
      b.setProp(path, e.name, e.value);
      break;
    case "append":
      b.appendProp(path, e.name, e.value);
      break;
    case "delprop": {
      const n = fdt.requireNode(path);
      b.delProp(path, n.properties[e.pick % Math.max(1, n.properties.length)]?.name ?? "no-such-prop");
      break;
    }
    case "add":
      b.addNode(path, e.name, e.props, e.position);
      break;
    case "delnode":
      b.delNode(path);
      break;
  }
}

describe("EditableFdt: random edit sequences", () => {
  it("stays valid and equals the same edits applied to the tree; failures change nothing", () => {
    fc.assert(
      fc.property(tree, fc.array(edit, { maxLength: 12 }), fc.integer({ min: 0, max: 400 }), (start, edits, room) => {
        const bytes = writeFdt(start);
        const blob = EditableFdt.openInto(bytes, bytes.length + room);
        const model = parseFdt(bytes, { copy: true });
        for (const e of edits) {
          const paths = resolvable(model);
          let path = paths[e.node % paths.length]!;
          if (e.op === "delnode" && path === "/") path = paths[1] ?? "/";
          if (e.op === "delnode" && path === "/") continue;
          const before = blob.bytes.slice();
          const got = code(() => applyToBlob(blob, e, path, model));
          if (got === "none") applyToTree(model, e, path);
          else {
            expect(["FDT_ERR_NOSPACE", "FDT_ERR_EXISTS", "FDT_ERR_NOTFOUND"]).toContain(got);
            // The failed edit must not have touched a byte, and the tree must refuse it too
            // unless the blob only ran out of space.
            expect(Buffer.compare(Buffer.from(blob.bytes), Buffer.from(before))).toBe(0);
            if (got !== "FDT_ERR_NOSPACE") expect(code(() => applyToTree(model, e, path))).toBe(got);
          }
          checkFdt(blob.bytes);
          expect(plain(blob.toFdt())).toEqual(plain(model));
        }
        const room0 = blob.headroom;
        const packed = blob.pack();
        expect(packed.length).toBe(blob.usedSize);
        expect(blob.headroom).toBe(0);
        expect(room0).toBeGreaterThanOrEqual(0);
        expect(plain(parseFdt(packed))).toEqual(plain(model));
      }),
      { seed, numRuns: 120 },
    );
  });
});

describe("EditableFdt: libfdt placement and layout", () => {
  const base = readCorpusBytes("fdt/qemu/pseries-smp8.dtb");

  it("openInto keeps the blob and sets totalsize; NOSPACE when it does not fit", () => {
    const b = EditableFdt.openInto(base, base.length + 100);
    expect(b.totalsize).toBe(base.length + 100);
    expect(b.headroom).toBe(100);
    expect(toDts(b.toFdt())).toBe(toDts(parseFdt(base)));
    expect(code(() => EditableFdt.openInto(base, base.length - 1))).toBe("FDT_ERR_NOSPACE");
  });

  it("new properties go first and new subnodes before existing children, as libfdt does", () => {
    const b = EditableFdt.openInto(base, base.length + 1000);
    b.setProp("/cpus", "zz-new", u32Value(1));
    expect(b.propNames("/cpus")[0]).toBe("zz-new");
    b.addSubnode("/cpus", "first-child");
    expect(b.childNames("/cpus")[0]).toBe("first-child");
    b.addSubnode("/cpus", "last-child", "last");
    expect(b.childNames("/cpus").at(-1)).toBe("last-child");
    expect(code(() => b.addSubnode("/cpus", "last-child"))).toBe("FDT_ERR_EXISTS");
    expect(code(() => b.delProp("/cpus", "nope"))).toBe("FDT_ERR_NOTFOUND");
    expect(code(() => b.nodeOffset("/nope"))).toBe("FDT_ERR_NOTFOUND");
    expect(code(() => b.nodeOffset("cpus"))).toBe("FDT_ERR_BADPATH");
  });

  it("misordered blocks are repacked by openInto; wrap refuses them (BADLAYOUT) and old versions (BADVERSION)", () => {
    const l = checkFdt(base);
    // strings before structure
    const st = base.subarray(l.structStart, l.structEnd);
    const sg = base.subarray(l.stringsStart, l.stringsEnd);
    const out = new Uint8Array(56 + sg.length + 3 + st.length + 8);
    out.set(base.subarray(0, 56));
    const sgAt = 56;
    const stAt = (sgAt + sg.length + 3) & ~3;
    out.set(sg, sgAt);
    out.set(st, stAt);
    const v = new DataView(out.buffer);
    v.setUint32(4, out.length);
    v.setUint32(8, stAt);
    v.setUint32(12, sgAt);
    expect(toDts(parseFdt(out))).toBe(toDts(parseFdt(base)));
    expect(code(() => EditableFdt.wrap(out.slice()))).toBe("FDT_ERR_BADLAYOUT");
    const opened = EditableFdt.openInto(out, out.length + 64);
    expect(toDts(opened.toFdt())).toBe(toDts(parseFdt(base)));
    const old = base.slice();
    new DataView(old.buffer).setUint32(20, 16);
    expect(code(() => EditableFdt.wrap(old))).toBe("FDT_ERR_BADVERSION");
  });

  it("memory reservations can be added and removed in place", () => {
    const b = EditableFdt.openInto(base, base.length + 64);
    b.addMemReserve(0x1000n, 0x2000n);
    expect(b.memoryReservations()).toEqual([{ address: 0x1000n, size: 0x2000n }]);
    expect(parseFdt(b.bytes).memoryReservations).toEqual([{ address: 0x1000n, size: 0x2000n }]);
    expect(toDts(b.toFdt()).split("\n").slice(0, 3).join("\n")).toContain("/memreserve/\t0x0000000000001000 0x0000000000002000;");
    b.delMemReserve(0);
    expect(code(() => b.delMemReserve(0))).toBe("FDT_ERR_NOTFOUND");
    expect(toDts(b.toFdt())).toBe(toDts(parseFdt(base)));
  });
});

describe("pseries-smp8.dtb with kdump headroom", () => {
  const base = readCorpusBytes("fdt/qemu/pseries-smp8.dtb");

  it("accepts CPU nodes in place until the headroom is spent, then FDT_ERR_NOSPACE and stays valid", () => {
    const blob = EditableFdt.openInto(base, base.length + 0x1000);
    const t = cpuTemplate(blob);
    const nodeBytes = 4 + 20 + 4 + t.properties.reduce((n, [, v]) => n + 12 + ((v.length + 3) & ~3), 0);
    let added = 0;
    for (;;) {
      const before = blob.bytes.slice();
      const room = blob.headroom;
      const c = code(() => addCpuNode(blob, t));
      if (c === "none") {
        added++;
        expect(blob.headroom).toBeLessThan(room);
        continue;
      }
      expect(c).toBe("FDT_ERR_NOSPACE");
      expect(room).toBeLessThan(nodeBytes);
      expect(Buffer.compare(Buffer.from(blob.bytes), Buffer.from(before))).toBe(0);
      break;
    }
    expect(added).toBe(Math.floor(0x1000 / nodeBytes));
    checkFdt(blob.bytes);
    const fdt = blob.toFdt();
    expect(cpuNodePaths(blob)).toHaveLength(8 + added);
    const last = fdt.requireNode(cpuNodePaths(blob).at(-1)!);
    expect(last.name).toBe(`PowerPC,POWER9@${(7 + added).toString(16)}`);
    expect(last.property("reg")!.u32()).toBe(7 + added);
    expect(last.property("ibm,ppc-interrupt-server#s")!.u32s()).toEqual([7 + added]);
  });
});
