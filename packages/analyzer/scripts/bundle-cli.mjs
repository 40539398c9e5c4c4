// Bundles the built CLI (tsc's dist/cli, whose main.js is the unbundled CLI) into the package's bin:
//   dist/cli/kdumpkit.cjs        a few lines, written here: the dispatch of src/cli/main.ts
//   dist/cli/bin/<command>.cjs   one self-contained file per fast command (FAST_COMMANDS in fast-path.ts)
//   dist/cli/bin/yargs-cli.js    yargs' front end with every command, its chunks in dist/cli/bin/chunks/
// Why (issue 5, `cli.startup-overhead.ms`): unbundled, `kdumpkit summary` loads ~64 ES modules; bundled
// with code splitting it still loaded 23 files, and Node spends more time on each file than the command
// spends working. One file holding exactly what the command runs starts fastest; one file holding the
// whole CLI does not, since compile time grows with the code's size. So each fast command's bundle is
// built without splitting: its lazy imports (input, report, text and --png renderers) are inlined, and
// still run only when reached. These files and the bin are CommonJS: Node 20 starts its ES module
// loader for an ES module entry (~6 ms here), not for require(). yargs (ES only) keeps its ES bundle,
// reached by import() when the fast path declines. @kdumpkit/elf and @kdumpkit/vmcore (and
// binary-parser, pure JS) are bundled in; packages that are large, optional or native stay real
// dependencies, resolved at run time. The library (dist/index.js) is not touched.
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cliDir = join(root, "dist/cli");
const binDir = join(cliDir, "bin");
const { FAST_COMMANDS } = await import(pathToFileURL(join(cliDir, "fast-path.js")).href);

/** Not bundled: yargs (only off the fast path), canvas (native, only with --png), fzstd (only for zstd pages). */
const external = ["yargs", "yargs/*", "@napi-rs/canvas", "fzstd"];

/** The entry modules, made up here and resolved against dist/cli: output name → source. */
const sources = {
  // One per fast command: `run(argv)` resolves to false, having run nothing, when yargs must decide.
  ...Object.fromEntries(
    [...FAST_COMMANDS].map((name) => [
      name,
      `import * as command from "./commands/${name}.js"; import { runFastCommand } from "./fast-path.js"; export const run = (argv) => runFastCommand(command, argv);`,
    ]),
  ),
  "yargs-cli": `import { commands } from "./commands/index.js"; import { runYargs } from "./yargs-cli.js"; export const run = () => runYargs(commands);`,
};
const entries = {
  name: "entries",
  setup(b) {
    b.onResolve({ filter: /^entry:/ }, (args) => ({ path: args.path.slice("entry:".length), namespace: "entry" }));
    b.onLoad({ filter: /.*/, namespace: "entry" }, (args) => ({ contents: sources[args.path], resolveDir: cliDir, loader: "js" }));
  },
};
const entryPoints = (names) => Object.fromEntries(names.map((name) => [name, `entry:${name}`]));
const common = { bundle: true, platform: "node", target: "node20.19", external, plugins: [entries], outdir: binDir, sourcemap: false, logLevel: "warning" };

rmSync(join(cliDir, "chunks"), { recursive: true, force: true }); // the layout before one file per command
rmSync(binDir, { recursive: true, force: true });

// Each fast command's file on its own: no splitting, so nothing is shared and nothing else is loaded.
// The sources are ES modules (strict); import.meta.url (vmcore's createRequire for fzstd) becomes this file's URL.
await build({
  ...common,
  entryPoints: entryPoints([...FAST_COMMANDS]),
  format: "cjs",
  splitting: false,
  outExtension: { ".js": ".cjs" },
  define: { "import.meta.url": "__kdumpkit_import_meta_url" },
  banner: { js: `"use strict";\nconst __kdumpkit_import_meta_url = require("node:url").pathToFileURL(__filename).href;` },
});
// Everything else (help, usage errors, the other commands) goes through yargs, loaded lazily by chunks.
await build({ ...common, entryPoints: entryPoints(["yargs-cli"]), format: "esm", splitting: true, chunkNames: "chunks/[name]-[hash]" });

// The bin: main.ts's dispatch over the files above, a few lines so that Node compiles little before the command.
const bin = join(cliDir, "kdumpkit.cjs");
writeFileSync(
  bin,
  `#!/usr/bin/env node
// Written by scripts/bundle-cli.mjs: the dispatch of src/cli/main.ts over the bundles in ./bin.
"use strict";
const argv = process.argv.slice(2);
const fast = new Set(${JSON.stringify([...FAST_COMMANDS])});
(async () => {
  if (!(fast.has(argv[0]) && (await require(\`./bin/\${argv[0]}.cjs\`).run(argv)))) await (await import("./bin/yargs-cli.js")).run();
})();
`,
);
// npm makes bins executable on install, a checkout needs it too.
chmodSync(bin, 0o755);
