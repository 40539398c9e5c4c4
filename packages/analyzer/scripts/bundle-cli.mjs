// Bundles the built CLI (dist/cli/main.js, from tsc) into dist/cli/kdumpkit.js, the package's bin.
// Why: unbundled, `kdumpkit summary` loads ~64 ES modules (analyzer, vmcore, elf) and Node's ESM
// loader spends more time resolving and reading them than the command spends working (issue 5,
// `cli.startup-overhead.ms`). With code splitting, what main.js imports lazily (each command, the
// text renderers, yargs' front end) stays in its own chunk under dist/cli/chunks/, loaded only when
// used. @kdumpkit/elf and @kdumpkit/vmcore (and binary-parser, pure JS) are bundled in; packages
// that are large, optional or native stay real dependencies, resolved at run time.
// The library (dist/index.js) is not touched: it stays tsc's unbundled output.
import { chmodSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist/cli");

/** Not bundled: yargs (only off the fast path), canvas (native, only with --png), fzstd (only for zstd pages). */
const external = ["yargs", "yargs/*", "@napi-rs/canvas", "fzstd"];

rmSync(join(outdir, "chunks"), { recursive: true, force: true });
await build({
  entryPoints: { kdumpkit: join(outdir, "main.js") },
  outdir,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20.19",
  external,
  // tsc already wrote source maps for the library; the bundle's stack traces name bundle lines.
  sourcemap: false,
  logLevel: "warning",
});
// The hashbang comes through from main.js; npm makes bins executable on install, a checkout needs it too.
chmodSync(join(outdir, "kdumpkit.js"), 0o755);
