// Every real DTB in the shared corpus: parse, check, print DTS identical to dtc 1.6.1's stored
// output, round-trip through our writer, and compare with the ground truth JSON.
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { EditableFdt, checkFdt, dtsBytes, parseFdt, toDts, writeFdt } from "@kdumpkit/fdt";
import { describe, expect, it } from "vitest";
import { corpusRoot, readCorpusBytes, readCorpusJson, readCorpusText } from "../../../test-support/corpus.js";

function dtbs(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...dtbs(p));
    else if (/\.dtbo?$/.test(e)) out.push(relative(corpusRoot, p));
  }
  return out.sort();
}

const files = dtbs(join(corpusRoot, "fdt"));

interface Truth {
  header: Record<string, number>;
  nodes: number;
  properties: number;
  mem_rsvmap: { address: string | number; size: string | number }[];
  node_paths: string[];
  dtc_dtb_to_dtb_identical: boolean;
  dtc_dtb_to_dtb_sha256: string;
}

async function sha256(b: Uint8Array): Promise<string> {
  const { createHash } = await import("node:crypto");
  return createHash("sha256").update(b).digest("hex");
}

function paths(fdt: ReturnType<typeof parseFdt>): string[] {
  const out: string[] = [];
  const walk = (n: ReturnType<typeof parseFdt>["root"], p: string) => {
    out.push(p || "/");
    for (const c of n.children) walk(c, `${p}/${c.name}`);
  };
  walk(fdt.root, "");
  return out;
}

describe("corpus DTBs", () => {
  it("has the expected samples", () => {
    expect(files.length).toBeGreaterThanOrEqual(28);
    expect(files.filter((f) => f.startsWith("fdt/linux/")).length).toBe(20);
  });

  for (const file of files) {
    describe(file, () => {
      const base = file.replace(/\.dtbo?$/, "");
      const bytes = readCorpusBytes(file);
      const truth = readCorpusJson<Truth>(`${base}.json`);

      it("checks and parses to the recorded shape", () => {
        const l = checkFdt(bytes);
        expect(l.header.totalsize).toBe(truth.header.totalsize);
        expect(l.header.off_dt_strings).toBe(truth.header.off_dt_strings);
        const fdt = parseFdt(bytes);
        const all = paths(fdt);
        expect(all.length).toBe(truth.nodes);
        if (truth.node_paths) expect(all).toEqual(truth.node_paths);
        let props = 0;
        const count = (n: typeof fdt.root): void => {
          props += n.properties.length;
          n.children.forEach(count);
        };
        count(fdt.root);
        expect(props).toBe(truth.properties);
        expect(fdt.memoryReservations.length).toBe(truth.mem_rsvmap.length);
      });

      it("prints DTS identical to dtc -I dtb -O dts", () => {
        const want = readCorpusText(`${base}.dts`);
        const got = Buffer.from(dtsBytes(toDts(parseFdt(bytes)))).toString("utf8");
        expect(got).toBe(want);
      });

      it("round-trips through writeFdt", async () => {
        const fdt = parseFdt(bytes);
        const out = writeFdt(fdt);
        const dtcLike = writeFdt(fdt, { dropRedundantName: true });
        // dtc's own dtb → dtb output is the reference for our writer.
        expect(await sha256(dtcLike)).toBe(truth.dtc_dtb_to_dtb_sha256);
        if (truth.dtc_dtb_to_dtb_identical) expect(Buffer.compare(Buffer.from(out), Buffer.from(bytes))).toBe(0);
        expect(toDts(parseFdt(out))).toBe(toDts(fdt));
        const opened = EditableFdt.openInto(bytes, bytes.length + 4096);
        expect(toDts(opened.toFdt())).toBe(toDts(fdt));
        opened.pack();
        expect(toDts(parseFdt(opened.bytes))).toBe(toDts(fdt));
      });
    });
  }
});
