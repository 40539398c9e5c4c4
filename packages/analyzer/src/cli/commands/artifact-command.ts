// Shared by the commands that write artifacts (hotplug, capture, collect): yargs modules whose
// handler goes through runCommand, so errors print and exit exactly like every other command.
// They take two positionals (input and output), which the one-positional fast path does not parse.
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { CommandArgs } from "../command-spec.js";

/** Runs `body` as command `name` through runCommand (typed error → one stderr line, exit 2). */
export async function runArtifactCommand(name: string, args: object, body: (args: CommandArgs) => Promise<number>): Promise<void> {
  const { runCommand } = await import("../run-command.js");
  process.exitCode = await runCommand({ name, describe: "", options: {}, examples: [], run: body }, args as CommandArgs);
}

/** Writes under a temporary name in the same folder, then renames: `path` is whole or untouched. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** A list option (repeatable, comma-separated) as strings. */
export function listArg(value: unknown): string[] {
  if (value === undefined || value === false) return [];
  const values = Array.isArray(value) ? value : [value];
  return values.flatMap((v) => String(v).split(",")).map((s) => s.trim()).filter((s) => s !== "");
}
