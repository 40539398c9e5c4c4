// Shared by the commands that write artifacts (hotplug, capture, collect): yargs modules whose
// handler goes through runCommand, so errors print and exit exactly like every other command.
// They take two positionals (input and output), which the one-positional fast path does not parse.
import type { CommandArgs } from "../command-spec.js";

export { writeFileAtomic } from "../../internal/write-file-atomic.js";

/** Runs `body` as command `name` through runCommand (typed error → one stderr line, exit 2). */
export async function runArtifactCommand(name: string, args: object, body: (args: CommandArgs) => Promise<number>): Promise<void> {
  const { runCommand } = await import("../run-command.js");
  process.exitCode = await runCommand({ name, describe: "", options: {}, examples: [], run: body }, args as CommandArgs);
}


/** A list option (repeatable, comma-separated) as strings. */
export function listArg(value: unknown): string[] {
  if (value === undefined || value === false) return [];
  const values = Array.isArray(value) ? value : [value];
  return values.flatMap((v) => String(v).split(",")).map((s) => s.trim()).filter((s) => s !== "");
}
