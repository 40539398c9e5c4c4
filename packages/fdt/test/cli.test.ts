// The built `kdumpkit fdt` commands, run as a child process. `pnpm test` builds first; a missing
// build fails these tests rather than skipping them.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkFdt, parseFdt } from "@kdumpkit/fdt";
import { describe, expect, it } from "vitest";
import { corpusPath, readCorpusText, repoRoot } from "../../../test-support/corpus.js";
import { describeWithPeers, peers } from "../../../test-support/peers.js";

const bin = join(repoRoot, "packages/analyzer/dist/cli/main.js");
const dir = mkdtempSync(join(tmpdir(), "kdumpkit-fdt-cli-"));

function kdumpkit(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "latin1" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const smp8 = corpusPath("fdt/qemu/pseries-smp8.dtb");

describe("kdumpkit fdt (built CLI)", () => {
  it("dts prints exactly what dtc printed", () => {
    for (const f of ["fdt/qemu/pseries-smp8", "fdt/linux/armhf/bcm2711-rpi-4-b", "fdt/qemu/powernv"]) {
      const r = kdumpkit("fdt", "dts", corpusPath(`${f}.dtb`));
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(readCorpusText(`${f}.dts`));
    }
  });

  it("dts --dtc-version picks the dialect: 1.7 prints string lists as separate literals", () => {
    const f = corpusPath("fdt/linux/armhf/bcm2711-rpi-4-b.dtb");
    const v17 = kdumpkit("fdt", "dts", "--dtc-version", "1.7.0", f);
    expect(v17.status).toBe(0);
    expect(v17.stdout).toContain('\tcompatible = "raspberrypi,4-model-b", "brcm,bcm2711";\n');
    expect(v17.stdout).not.toContain("\\0");
    expect(kdumpkit("fdt", "dts", "--dtc-version", "Version: DTC 1.6.1", f).stdout).toBe(readCorpusText("fdt/linux/armhf/bcm2711-rpi-4-b.dts"));
    const bad = kdumpkit("fdt", "dts", "--dtc-version", "latest", f);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("FDT_ERR_BADVALUE");
  });

  it("check: 0 for a valid blob, 2 with the libfdt code and offset for a bad one", () => {
    expect(kdumpkit("fdt", "check", smp8).status).toBe(0);
    const bad = new Uint8Array(readFileSync(smp8));
    bad[4] = 0x7f; // totalsize far beyond the file
    const p = join(dir, "bad.dtb");
    writeFileSync(p, bad);
    const r = kdumpkit("fdt", "check", p);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/FDT_ERR_TRUNCATED.*offset 0x4/);
    const missing = kdumpkit("fdt", "check", join(dir, "nope.dtb"));
    expect(missing.status).toBe(2);
  });

  it("add-cpu writes OUT with the new nodes and prints the headroom left", () => {
    const out = join(dir, "added.dtb");
    const r = kdumpkit("fdt", "add-cpu", smp8, out, "--count", "2", "--headroom", "4096");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("added /cpus/PowerPC,POWER9@9");
    const left = Number(/headroom left: (\d+) bytes/.exec(r.stdout)![1]);
    const bytes = new Uint8Array(readFileSync(out));
    const l = checkFdt(bytes);
    expect(l.header.totalsize - l.stringsEnd).toBe(left);
    expect(l.header.totalsize).toBe(readFileSync(smp8).length + 4096);
    expect(parseFdt(bytes).requireNode("/cpus/PowerPC,POWER9@9").property("reg")!.u32()).toBe(9);
  });

  it("add-cpu that does not fit: FDT_ERR_NOSPACE, exit 2, OUT not written", () => {
    const out = join(dir, "nospace.dtb");
    const r = kdumpkit("fdt", "add-cpu", smp8, out, "--count", "50", "--headroom", "4096");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("FDT_ERR_NOSPACE");
    expect(existsSync(out)).toBe(false);
  });

  it("pack removes the free space", () => {
    const grown = join(dir, "grown.dtb");
    expect(kdumpkit("fdt", "add-cpu", smp8, grown, "--count", "1", "--headroom", "8192").status).toBe(0);
    const out = join(dir, "packed.dtb");
    const r = kdumpkit("fdt", "pack", grown, out);
    expect(r.status).toBe(0);
    const packed = new Uint8Array(readFileSync(out));
    const l = checkFdt(packed);
    expect(l.header.totalsize).toBe(l.stringsEnd);
    expect(packed.length).toBe(l.header.totalsize);
  });
});

describeWithPeers("kdumpkit fdt output read by the real tools", [peers.dtc, peers.fdtget], () => {
  it("dts --dtc-version \"$(dtc --version)\" prints what the installed dtc prints", () => {
    const version = spawnSync("dtc", ["--version"], { encoding: "utf8" }).stdout;
    for (const f of ["fdt/linux/armhf/bcm2711-rpi-4-b.dtb", "fdt/qemu/pseries-smp8.dtb"]) {
      const dtc = spawnSync("dtc", ["-q", "-I", "dtb", "-O", "dts", corpusPath(f)], { encoding: "latin1" }).stdout;
      expect(kdumpkit("fdt", "dts", "--dtc-version", version, corpusPath(f)).stdout).toBe(dtc);
    }
  });


  it("dtc and fdtget read an add-cpu result", () => {
    const out = join(dir, "tools.dtb");
    expect(kdumpkit("fdt", "add-cpu", smp8, out, "--count", "1").status).toBe(0);
    expect(spawnSync("dtc", ["-q", "-I", "dtb", "-O", "dts", out]).status).toBe(0);
    expect(spawnSync("fdtget", ["-t", "x", out, "/cpus/PowerPC,POWER9@8", "reg"], { encoding: "utf8" }).stdout.trim()).toBe("8");
  });
});
