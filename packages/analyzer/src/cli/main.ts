#!/usr/bin/env node
// The `kdumpkit` command. Each command lives in its own module under ./commands and loads what it
// needs (canvas, decompressors) lazily, so that starting the CLI stays cheap.
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { commands } from "./commands/index.js";
import { EXIT } from "./exit-codes.js";

const cli = yargs(hideBin(process.argv))
  .scriptName("kdumpkit")
  .usage("$0 <command> [options]\n\nAnalyze Linux crash dumps and the binary formats of kdump.")
  .strict()
  .demandCommand(1, "Name a command; `kdumpkit --help` lists them.")
  .recommendCommands()
  .help()
  .alias("h", "help")
  .version()
  .epilogue(
    "Exit codes: 0 clean, 1 findings (check), 2 bad input or usage.\nDocumentation: packages/analyzer/README.md",
  )
  .fail((message, error, y) => {
    if (error) throw error;
    void y;
    process.stderr.write(`kdumpkit: ${message}\n`);
    process.exit(EXIT.BAD_INPUT);
  });

for (const command of commands) cli.command(command);

await cli.parseAsync();
