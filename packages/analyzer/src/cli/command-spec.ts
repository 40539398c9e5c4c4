// One description of each command, from which both front ends are built: the yargs command
// module (help, examples, validation messages) and a fast path that parses simple command lines
// with node:util parseArgs without loading yargs (~80 ms to import here, mostly string-width),
// so that `kdumpkit summary DUMP` starts in a few milliseconds.
import type { Argv, CommandModule } from "yargs";

/** One option of a command. */
export interface OptionSpec {
  type: "boolean" | "string";
  describe: string;
  /** Shown as the value's name in the help, e.g. FILE. */
  valueName?: string;
  demand?: boolean;
}

/** Parsed arguments handed to a command's `run`. */
export interface CommandArgs {
  dump: string;
  [option: string]: string | boolean | undefined;
}

/** A command as the CLI knows it. */
export interface CommandSpec {
  name: string;
  describe: string;
  options: Record<string, OptionSpec>;
  examples: [string, string][];
  /** Runs the command and returns the exit code (see exit-codes.ts). */
  run(args: CommandArgs): Promise<number>;
}

/** A yargs command module that also carries its spec for the fast path. */
export type SpecCommandModule = CommandModule<object, CommandArgs> & { spec: CommandSpec };

/** Builds the yargs command module of a spec. */
export function defineCommand(spec: CommandSpec): SpecCommandModule {
  return {
    spec,
    command: `${spec.name} <dump>`,
    describe: spec.describe,
    builder: (y: Argv) => {
      let b = y.positional("dump", { type: "string", describe: "the dump: a /proc/vmcore copy, an ELF core, or a bare elfcorehdr" });
      for (const [name, o] of Object.entries(spec.options)) {
        b = b.option(name, {
          type: o.type,
          describe: o.describe,
          ...(o.valueName ? { requiresArg: true } : {}),
          ...(o.demand ? { demandOption: true } : {}),
        });
      }
      for (const [command, description] of spec.examples) b = b.example(command, description);
      return b as unknown as Argv<CommandArgs>;
    },
    handler: async (argv) => {
      const { runCommand } = await import("./run-command.js");
      process.exitCode = await runCommand(spec, argv);
    },
  };
}
