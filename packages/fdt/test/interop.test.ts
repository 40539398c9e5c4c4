// Interop with the real tools: dtc, fdtget, fdtdump and pylibfdt (Debian device-tree-compiler,
// python3-libfdt). Blobs we write must satisfy them; blobs dtc writes must print like dtc.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EditableFdt, addCpuNode, cpuTemplate, dtsBytes, dtsDialect, parseFdt, setElfcorehdr, stringsValue, toDts, u32Value, writeFdt } from "@kdumpkit/fdt";
import fc from "fast-check";
import { expect, it } from "vitest";
import { describeWithPeers, peers } from "../../../test-support/peers.js";
import { readCorpusBytes } from "../../../test-support/corpus.js";
import { tree } from "./arbitraries.js";

const dir = mkdtempSync(join(tmpdir(), "kdumpkit-fdt-"));
let n = 0;
function tmp(bytes: Uint8Array | string, ext = "dtb"): string {
  const p = join(dir, `f${n++}.${ext}`);
  writeFileSync(p, bytes);
  return p;
}

function dtcDts(path: string): string {
  return execFileSync("dtc", ["-q", "-I", "dtb", "-O", "dts", path], { encoding: "latin1" });
}

const dtcVersion = spawnSync("dtc", ["--version"], { encoding: "utf8" }).stdout ?? "";
// Print in the dialect of the dtc installed here, so the comparison is exact with any dtc.
const dialect = dtcVersion ? dtsDialect(dtcVersion) : "1.6";

function ours(bytes: Uint8Array): string {
  return toDts(parseFdt(bytes), { dialect });
}

/** pylibfdt: fdt_check_full, then every property of every node read back as hex. */
function pylibfdtDump(path: string): string {
  const script = `
import libfdt, sys
b = open(sys.argv[1], 'rb').read()
err = libfdt.fdt_check_full(bytearray(b), len(b))
if err: print('check_full', err); sys.exit(1)
f = libfdt.Fdt(b)
out = []
node, depth = 0, 0
while node >= 0 and depth >= 0:
    path = f.get_name(node)
    p = f.first_property_offset(node, libfdt.QUIET_NOTFOUND)
    while p >= 0:
        prop = f.get_property_by_offset(p)
        out.append('%d %s %s=%s' % (depth, path, prop.name, bytes(prop).hex()))
        p = f.next_property_offset(p, libfdt.QUIET_NOTFOUND)
    node, depth = f.next_node(node, depth, libfdt.QUIET_NOTFOUND)
print('\\n'.join(out))
`;
  return execFileSync("/usr/bin/python3", ["-c", script, path], { encoding: "latin1" });
}

function ourDump(bytes: Uint8Array): string {
  const out: string[] = [];
  const walk = (node: ReturnType<typeof parseFdt>["root"], depth: number) => {
    for (const p of node.properties) out.push(`${depth} ${node.name} ${p.name}=${Buffer.from(p.value).toString("hex")}`);
    for (const c of node.children) walk(c, depth + 1);
  };
  walk(parseFdt(bytes).root, 0);
  return `${out.join("\n")}\n`;
}

describeWithPeers("interop: dtc", [peers.dtc], () => {
  it("dts sources compiled by dtc print identically to dtc -O dts", () => {
    const sources = [
      `/dts-v1/;\n/memreserve/ 0x1000 0x2000;\n/ {\n\t#address-cells = <2>;\n\tmodel = "x\\"y\\\\z\\t";\n\tlist = "a", "bc", "";\n\tbytes = [01 02 03];\n\tcells = <0 1 0xffffffff>;\n\tempty;\n\tlabel1: node@10 { reg = <0x10>; phandle = <1>; };\n\tother { ref = <&label1>; name = "other"; u64 = /bits/ 64 <0x123456789>; u16 = /bits/ 16 <1 2 3>; };\n};\n`,
      `/dts-v1/;\n/ {\n\tweird = "\\x01\\x7f\\xff";\n\tnuls = [00 00 00 00];\n\tmix = "ab", [00 61];\n\tone = [61 00];\n\tsix = [61 62 63 00 00 00];\n};\n`,
    ];
    for (const src of sources) {
      const dts = tmp(src, "dts");
      const out = join(dir, `c${n++}.dtb`);
      execFileSync("dtc", ["-q", "-I", "dts", "-O", "dtb", "-o", out, dts]);
      const bytes = new Uint8Array(readFileSync(out));
      expect(Buffer.from(dtsBytes(ours(bytes))).toString("latin1")).toBe(dtcDts(out));
      // dtc rebuilding our printed source gives back the same blob.
      const again = join(dir, `c${n++}.dtb`);
      execFileSync("dtc", ["-q", "-I", "dts", "-O", "dtb", "-o", again, tmp(dtsBytes(ours(bytes)), "dts")]);
      expect(Buffer.compare(readFileSync(again), Buffer.from(bytes))).toBe(0);
      // and our writer reproduces dtc's blob byte for byte
      expect(Buffer.compare(Buffer.from(writeFdt(parseFdt(bytes))), Buffer.from(bytes))).toBe(0);
    }
  });

  it("random trees we write are read by dtc exactly as we print them", () => {
    fc.assert(
      fc.property(tree, (fdt) => {
        const bytes = writeFdt(fdt);
        const p = tmp(bytes);
        expect(dtcDts(p)).toBe(Buffer.from(dtsBytes(ours(bytes))).toString("latin1"));
      }),
      { seed: 7, numRuns: 25 },
    );
  });
});

describeWithPeers("interop: pylibfdt and fdtget", [peers.pylibfdt, peers.fdtget, peers.fdtdump], () => {
  it("an edited pseries blob passes fdt_check_full and reads back the same in pylibfdt", () => {
    const base = readCorpusBytes("fdt/qemu/pseries-smp8.dtb");
    const blob = EditableFdt.openInto(base, base.length + 0x2000);
    const t = cpuTemplate(blob);
    addCpuNode(blob, t);
    addCpuNode(blob, t);
    blob.setProp("/chosen", "bootargs", stringsValue("console=hvc0 elfcorehdr=0x1000"));
    setElfcorehdr(blob, { address: 0x2000_0000n, size: 0x10000n });
    blob.setProp("/", "kdumpkit,test", u32Value(0xdeadbeef));
    blob.delProp("/cpus/PowerPC,POWER9@0", "ibm,dfp");
    const p = tmp(blob.bytes);
    expect(pylibfdtDump(p)).toBe(ourDump(blob.bytes));
    const packed = tmp(blob.pack());
    expect(pylibfdtDump(packed)).toBe(ourDump(blob.bytes));
    // fdtget reads back what we set
    expect(execFileSync("fdtget", ["-t", "x", p, "/cpus/PowerPC,POWER9@9", "reg"], { encoding: "utf8" }).trim()).toBe("9");
    expect(execFileSync("fdtget", ["-t", "x", p, "/cpus/PowerPC,POWER9@9", "ibm,ppc-interrupt-server#s"], { encoding: "utf8" }).trim()).toBe("9");
    expect(execFileSync("fdtget", [p, "/chosen", "bootargs"], { encoding: "utf8" }).trim()).toBe("console=hvc0 elfcorehdr=0x1000");
    expect(execFileSync("fdtget", ["-t", "x", p, "/chosen", "linux,elfcorehdr"], { encoding: "utf8" }).trim()).toBe("0 20000000 0 10000");
    expect(execFileSync("fdtget", ["-t", "x", p, "/", "kdumpkit,test"], { encoding: "utf8" }).trim()).toBe("deadbeef");
    expect(spawnSync("fdtdump", [p]).status).toBe(0);
    expect(spawnSync("dtc", ["-q", "-I", "dtb", "-O", "dts", p]).status).toBe(0);
  });

  it("random trees we write and edit pass pylibfdt's fdt_check_full", () => {
    const files: string[] = [];
    fc.assert(
      fc.property(tree, fc.nat(300), (fdt, room) => {
        const bytes = writeFdt(fdt);
        files.push(tmp(bytes));
        const blob = EditableFdt.openInto(bytes, bytes.length + room);
        try {
          blob.addNode("/", "added@1", [["reg", u32Value(1)], ["compatible", stringsValue("x")]], "first");
          blob.setProp("/", "model", stringsValue("kdumpkit"));
        } catch {
          // not enough room: the blob must still be the valid original
        }
        files.push(tmp(blob.bytes));
        files.push(tmp(blob.pack().slice()));
      }),
      { seed: 11, numRuns: 30 },
    );
    const script = `
import libfdt, sys
bad = []
for p in sys.argv[1:]:
    b = bytearray(open(p, 'rb').read())
    err = libfdt.fdt_check_full(b, len(b))
    if err: bad.append('%s %d' % (p, err))
print('\\n'.join(bad))
`;
    expect(execFileSync("/usr/bin/python3", ["-c", script, ...files], { encoding: "utf8" }).trim()).toBe("");
  });

  it("libfdt's own edits (pylibfdt setprop / add_subnode) give the same blob as ours", () => {
    const base = readCorpusBytes("fdt/qemu/pseries-smp1.dtb");
    const size = base.length + 4096;
    const script = `
import libfdt, sys
b = bytearray(open(sys.argv[1], 'rb').read())
f = libfdt.Fdt(b)
f.resize(${size})
cpus = f.path_offset('/cpus')
f.add_subnode(cpus, 'new-node')
f.setprop_u32(f.path_offset('/cpus'), 'zz-prop', 7)
f.setprop_u32(f.path_offset('/cpus/new-node'), 'reg', 3)
f.setprop_u32(f.path_offset('/cpus/new-node'), 'other', 4)
f.delprop(f.path_offset('/chosen'), 'rng-seed')
sys.stdout.buffer.write(f.as_bytearray())
`;
    const fromLibfdt = execFileSync("/usr/bin/python3", ["-c", script, tmp(base)]);
    const blob = EditableFdt.openInto(base, size);
    blob.addSubnode("/cpus", "new-node");
    blob.setProp("/cpus", "zz-prop", u32Value(7));
    blob.setProp("/cpus/new-node", "reg", u32Value(3));
    blob.setProp("/cpus/new-node", "other", u32Value(4));
    blob.delProp("/chosen", "rng-seed");
    const used = blob.usedSize;
    // libfdt leaves stale bytes in the free space; the used part must match byte for byte.
    expect(Buffer.compare(Buffer.from(fromLibfdt.subarray(0, used)), Buffer.from(blob.bytes.subarray(0, used)))).toBe(0);
    expect(fromLibfdt.length).toBe(blob.totalsize);
  });
});
