import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests import the packages by name; during tests the names resolve to the TypeScript sources so
// that a change is tested without a rebuild. The pack test (test-support/pack.test.ts) checks the
// built, packed packages as a user installs them.
const alias = {
  "@kdumpkit/elf": here("./packages/elf/src/index.ts"),
  "@kdumpkit/fdt": here("./packages/fdt/src/index.ts"),
  "@kdumpkit/vmcore": here("./packages/vmcore/src/index.ts"),
  "@kdumpkit/analyzer": here("./packages/analyzer/src/index.ts"),
};

const packages = ["elf", "fdt", "vmcore", "analyzer"] as const;

export default defineConfig({
  test: {
    // The JSON report is what .ci/run counts to print its closing `N passed, N failed` line.
    reporters: ["default", ["json", { outputFile: here("./.vitest-results.json") }]],
    projects: [
      ...packages.map((name) => ({
        resolve: { alias },
        test: {
          name,
          root: here(`./packages/${name}`),
          include: ["test/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      })),
      {
        resolve: { alias },
        test: {
          name: "workspace",
          root: here("."),
          include: ["test-support/**/*.test.ts", "bench/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
