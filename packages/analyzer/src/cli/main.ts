#!/usr/bin/env node
// The `kdumpkit` command. Each command lives in its own module under ./commands and loads what it
// needs (canvas, decompressors) lazily, so that starting the CLI stays cheap. A plain command line
// is parsed without yargs (see fast-path.ts); help, errors and other commands go through yargs.
import type { SpecCommandModule } from "./command-spec.js";
import { commands } from "./commands/index.js";
import { fastParse } from "./fast-path.js";

const specs = commands.flatMap((c) => ((c as Partial<SpecCommandModule>).spec ? [(c as SpecCommandModule).spec] : []));
const fast = fastParse(specs, process.argv.slice(2));
if (fast) {
  const { runCommand } = await import("./run-command.js");
  process.exitCode = await runCommand(fast.spec, fast.args);
} else {
  const { runYargs } = await import("./yargs-cli.js");
  await runYargs(commands);
}
