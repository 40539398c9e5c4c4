#!/usr/bin/env node
// The `kdumpkit` command. Each command lives in its own module under ./commands and loads what it
// needs (canvas, decompressors) lazily, so that starting the CLI stays cheap. A plain command line
// for one of the analyzer's commands is parsed without yargs and without loading the other
// command modules (see fast-path.ts); help, errors and other commands go through yargs.
// The bin users run is not this file but its bundle (scripts/bundle-cli.mjs), which does the same
// dispatch with one prebuilt file per fast command.
import { FAST_COMMANDS, runFastCommand } from "./fast-path.js";

const argv = process.argv.slice(2);
const name = argv[0];
if (!(name !== undefined && FAST_COMMANDS.has(name) && (await runFastCommand(await import(`./commands/${name}.js`), argv)))) {
  const [{ commands }, { runYargs }] = await Promise.all([import("./commands/index.js"), import("./yargs-cli.js")]);
  await runYargs(commands);
}
