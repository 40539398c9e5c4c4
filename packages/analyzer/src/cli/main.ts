#!/usr/bin/env node
// The `kdumpkit` command. Each command lives in its own module under ./commands and loads what it
// needs (canvas, decompressors) lazily, so that starting the CLI stays cheap. A plain command line
// for one of the analyzer's commands is parsed without yargs and without loading the other
// command modules (see fast-path.ts); help, errors and other commands go through yargs.
import type { SpecCommandModule } from "./command-spec.js";
import { fastParse } from "./fast-path.js";

/** Commands whose module (./commands/<name>.js) exports a spec the fast path can run. */
const FAST_COMMANDS = new Set(["summary", "notes", "cpus", "vmcoreinfo", "memory", "check", "read", "dmesg"]);

const argv = process.argv.slice(2);
let ran = false;
if (argv[0] !== undefined && FAST_COMMANDS.has(argv[0])) {
  const module = (await import(`./commands/${argv[0]}.js`)) as Record<string, Partial<SpecCommandModule>>;
  const spec = Object.values(module).find((m) => m.spec)?.spec;
  const fast = spec ? fastParse([spec], argv) : undefined;
  if (fast) {
    const { runCommand } = await import("./run-command.js");
    process.exitCode = await runCommand(fast.spec, fast.args);
    ran = true;
  }
}
if (!ran) {
  const [{ commands }, { runYargs }] = await Promise.all([import("./commands/index.js"), import("./yargs-cli.js")]);
  await runYargs(commands);
}
