// Each package must be consumable on its own: pack it as it would be published, install the
// tarball into a project outside the workspace with plain npm, and use its public API from there
// (ESM import at run time, and the .d.ts through the TypeScript compiler).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decompressedCorpusPath, repoRoot } from "./corpus.js";

/** Public names each package must export (a sample of its API, not all of it). */
const expectedExports: Record<string, string[]> = {
  elf: ["KdumpkitError", "ElfError", "parseElfHeader", "parseProgramHeaders", "parseNotes", "parseVmcoreinfo", "buildElfcorehdr", "Elfcorehdr", "writeElfCore"],
  fdt: ["KdumpkitError", "FdtError", "parseFdt", "checkFdt", "toDts", "writeFdt", "SequentialWriter", "EditableFdt"],
  vmcore: ["KdumpkitError", "VmcoreError", "openDump", "captureVmcore"],
  analyzer: ["KdumpkitError", "AnalyzerError", "summary", "notes", "cpus", "vmcoreinfo", "memory", "check", "readMemory"],
};

let project: string;
const tarballs: Record<string, string> = {};

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "kdumpkit-pack-"));
  const packDir = join(project, "tarballs");
  for (const name of Object.keys(expectedExports)) {
    execFileSync("npx", ["-y", "pnpm@10.34.8", "pack", "--pack-destination", packDir], {
      cwd: join(repoRoot, "packages", name),
      stdio: "pipe",
    });
  }
  for (const file of readdirSync(packDir)) {
    const name = /^kdumpkit-(\w+)-/.exec(file)?.[1];
    if (name) tarballs[name] = join(packDir, file);
  }
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...Object.values(tarballs)], {
    cwd: project,
    stdio: "pipe",
  });
}, 600_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("packed packages installed outside the workspace", () => {
  it("produces one tarball per package, holding dist and README only", () => {
    expect(Object.keys(tarballs).sort()).toEqual(Object.keys(expectedExports).sort());
    for (const tarball of Object.values(tarballs)) {
      const listing = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
      expect(listing).toContain("package/dist/index.js");
      expect(listing).toContain("package/dist/index.d.ts");
      expect(listing).toContain("package/README.md");
      expect(listing.filter((f) => f.startsWith("package/src/") || f.startsWith("package/test/"))).toEqual([]);
    }
  });

  for (const [name, names] of Object.entries(expectedExports)) {
    it(`@kdumpkit/${name} imports by name and exports its API`, () => {
      const script = `const m = await import("@kdumpkit/${name}"); console.log(JSON.stringify(Object.keys(m)));`;
      const out = execFileSync("node", ["--input-type=module", "-e", script], { cwd: project, encoding: "utf8" });
      const exported = JSON.parse(out) as string[];
      for (const n of names) expect(exported, `@kdumpkit/${name} should export ${n}`).toContain(n);
    });
  }

  it("type-checks a consumer against the published .d.ts files", () => {
    const source = Object.keys(expectedExports)
      .map((name) => `import * as ${name} from "@kdumpkit/${name}";\nexport const ${name}Error: typeof ${name}.KdumpkitError = ${name}.KdumpkitError;`)
      .join("\n");
    writeFileSync(join(project, "consumer.ts"), source);
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", noEmit: true, skipLibCheck: true, types: [] }, files: ["consumer.ts"] }),
    );
    const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
    execFileSync("node", [tsc, "-p", "tsconfig.json"], { cwd: project, stdio: "pipe" });
  });

  it("installs the kdumpkit bin, which answers --help", () => {
    const out = execFileSync(join(project, "node_modules", ".bin", "kdumpkit"), ["--help"], { encoding: "utf8" });
    expect(out).toMatch(/kdumpkit <command>/);
  });

  it("the installed bin (an esbuild bundle with @kdumpkit/elf and vmcore inside) runs a command on a dump", async () => {
    const dump = await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
    const out = execFileSync(join(project, "node_modules", ".bin", "kdumpkit"), ["summary", dump, "--json"], { encoding: "utf8" });
    // dumpP: Debian 6.12.117, 3 CPUs with CPU 1 offline → 2 NT_PRSTATUS notes (corpus dumpP.SUMMARY.md).
    expect(JSON.parse(out)).toMatchObject({ arch: "x86_64", osRelease: "6.12.117+deb12-amd64", nrCpus: 2 });
  });
});
