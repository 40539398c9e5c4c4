// The PNG renderers: decode the pictures with @napi-rs/canvas and check their size, that they are
// not blank, and that the verdict colours are where the report says.
import { cpus, memory, openInput, parseIomem } from "@kdumpkit/analyzer";
import { createCanvas, loadImage } from "@napi-rs/canvas";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decompressedCorpusPath, readCorpusJson, repoRoot } from "../../../test-support/corpus.js";
import { CPU_VERDICT_COLOURS, drawCpusPng, drawMemoryPng, renderCpusPng } from "@kdumpkit/analyzer";
import { tempFile } from "./support/files.js";
import { crash, RAM_A, RAM_B } from "./support/synthetic-kernel.js";

async function decode(png: Uint8Array) {
  const image = await loadImage(Buffer.from(png));
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  const pixels = ctx.getImageData(0, 0, image.width, image.height).data;
  const colours = new Set<number>();
  for (let i = 0; i < pixels.length; i += 4 * 7) colours.add((pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!);
  return { width: image.width, height: image.height, colours, pixel: (x: number, y: number) => [...pixels.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 3)] };
}

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

let dumpP: string;
let systemMap: string;
beforeAll(async () => {
  dumpP = await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
  systemMap = await decompressedCorpusPath("vmcore/System.map-6.12.117+deb12-amd64.xz");
});

describe("PNG rendering", () => {
  it("cpus grid of dumpP: one cell per CPU in its verdict colour", async () => {
    const report = cpus(await openInput(dumpP), { systemMap: readFileSync(systemMap, "latin1") });
    const { png, width, height } = await drawCpusPng(report);
    const img = await decode(png);
    expect([img.width, img.height]).toEqual([width, height]);
    expect(img.width).toBeGreaterThanOrEqual(400);
    expect(img.colours.size).toBeGreaterThan(5);
    // Cell i starts at (20 + i·130, 60); sample inside it, away from text.
    report.cpus.forEach((c, i) => expect(img.pixel(20 + i * 130 + 100, 60 + 8)).toEqual(rgb(CPU_VERDICT_COLOURS[c.verdictCode].colour)));
  });

  it("memory map with a hot-removed range is drawn in its colour", async () => {
    const c = crash({ possible: 2, present: [0, 1], online: [0, 1], headerCpus: [0, 1], headerMemory: [RAM_A, RAM_B], ramAtCrash: [RAM_A], crashCpu: 0 });
    const report = memory(await openInput(tempFile("png.vmcore", c.vmcore)), { iomem: parseIomem(c.iomem) });
    const img = await decode((await drawMemoryPng(report)).png);
    expect(img.width).toBe(1200);
    expect(img.colours.has(0xf08a24)).toBe(true); // hot-removed
    expect(img.colours.has(0x3a7bd5)).toBe(true); // in the dump
  });

  it("the CLI writes both PNGs with --png (dumpP and its /proc/iomem)", async () => {
    const bin = join(repoRoot, "packages/analyzer/dist/cli/main.js");
    const cpusPng = tempFile("cpus.png", "");
    const memPng = tempFile("memory.png", "");
    const iomem = tempFile("dumpP.iomem", readCorpusJson("vmcore/dumpP.truth.json").guest_serial.precrash.iomem.join("\n"));
    expect(spawnSync(process.execPath, [bin, "cpus", dumpP, "--system-map", systemMap, "--png", cpusPng]).status).toBe(0);
    expect(spawnSync(process.execPath, [bin, "memory", dumpP, "--iomem", iomem, "--png", memPng]).status).toBe(0);
    for (const path of [cpusPng, memPng]) {
      const img = await decode(readFileSync(path));
      expect(img.width).toBeGreaterThan(300);
      expect(img.height).toBeGreaterThan(100);
      expect(img.colours.size).toBeGreaterThan(5);
    }
  });

  it("a PNG that cannot be put in place leaves no temporary file behind (one atomic writer for every output)", async () => {
    const folder = mkdtempSync(join(tmpdir(), "kdumpkit-png-"));
    const target = join(folder, "cpus.png");
    mkdirSync(target); // rename onto a folder fails after the temporary file was written
    const c = crash({ possible: 2, present: [0, 1], online: [0, 1], headerCpus: [0, 1], headerMemory: [RAM_A], ramAtCrash: [RAM_A], crashCpu: 0 });
    const report = cpus(await openInput(tempFile("png-atomic.vmcore", c.vmcore)), { systemMap: c.systemMap });
    await expect(renderCpusPng(report, target)).rejects.toThrow();
    expect(readdirSync(folder)).toEqual(["cpus.png"]);
  });
});
