// The full yargs front end: help, examples, validation. Loaded only when the fast path declines.
import type { CommandModule } from "yargs";
import { EXIT } from "./exit-codes.js";
import { unknownCommandMessage } from "./unknown-command.js";

/**
 * The analyzer package's version, from its package.json found above the running script. yargs' own
 * lookup starts from its caller's folder, which in the bundled bin (dist/cli/bin) found nothing: it
 * printed "unknown".
 */
function packageVersion(): string {
  const { readFileSync, realpathSync } = process.getBuiltinModule("node:fs");
  const { dirname, join } = process.getBuiltinModule("node:path");
  let dir = dirname(realpathSync(process.argv[1] ?? "."));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "@kdumpkit/analyzer" && pkg.version) return pkg.version;
    } catch {
      // no package.json here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}

/** Parses process.argv with yargs and runs the chosen command. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function runYargs(commands: CommandModule<any, any>[]): Promise<void> {
  // Imported here, not at the top: in the bundled bin (scripts/bundle-cli.mjs) a top-level import of
  // an external package would be hoisted into the entry file and load yargs on every start.
  const [{ default: yargs }, { hideBin }] = await Promise.all([import("yargs"), import("yargs/helpers")]);
  const argv = hideBin(process.argv);
  const unknown = unknownCommandMessage(argv[0], commands);
  if (unknown !== undefined) {
    process.stderr.write(unknown);
    process.exit(EXIT.BAD_INPUT);
  }
  const cli = yargs(argv)
    .scriptName("kdumpkit")
    .usage("$0 <command> DUMP [options]\n\nAnalyze Linux crash dumps and the binary formats of kdump.")
    .strict()
    .demandCommand(1, "Name a command; `kdumpkit --help` lists them.")
    .recommendCommands()
    .help()
    .alias("h", "help")
    .version(packageVersion())
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .epilogue(
      "Every command takes --json (schemaVersion, 64-bit values as \"0x…\" strings).\n" +
        "Exit codes: 0 clean, 1 findings, 2 bad input or usage.\nDocumentation: packages/analyzer/README.md",
    )
    .fail((message, error) => {
      if (error) throw error;
      process.stderr.write(`kdumpkit: ${message}\n`);
      process.exit(EXIT.BAD_INPUT);
    });
  for (const command of commands) cli.command(command);
  await cli.parseAsync();
}
