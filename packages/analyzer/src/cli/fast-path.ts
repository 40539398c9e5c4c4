import { parseArgs } from "node:util";
import type { CommandArgs, CommandSpec, SpecCommandModule } from "./command-spec.js";

/**
 * Commands whose module (./commands/<name>.js) exports a spec the fast path can run. The bundled
 * bin (scripts/bundle-cli.mjs) builds one file per name here, dist/cli/bin/<name>.js.
 */
export const FAST_COMMANDS: ReadonlySet<string> = new Set(["summary", "notes", "cpus", "vmcoreinfo", "memory", "check", "read", "dmesg"]);

/**
 * Parses `argv` for one of `specs` without yargs when it is a plain command line (a known command,
 * one dump, known options). Returns undefined whenever yargs should decide: help, version, unknown
 * options, missing values, a missing required option — so every message and error still comes from yargs.
 */
export function fastParse(specs: CommandSpec[], argv: string[]): { spec: CommandSpec; args: CommandArgs } | undefined {
  const [name, ...rest] = argv;
  const spec = specs.find((s) => s.name === name);
  if (!spec) return undefined;
  if (rest.some((a) => a === "--help" || a === "-h" || a === "--version" || a === "--")) return undefined;
  const options: Record<string, { type: "boolean" | "string" }> = {};
  for (const [key, o] of Object.entries(spec.options)) options[key] = { type: o.type };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch {
    return undefined;
  }
  if (parsed.positionals.length !== 1) return undefined;
  for (const [key, o] of Object.entries(spec.options)) {
    const value = parsed.values[key];
    if (o.demand && value === undefined) return undefined;
    if (o.type === "string" && value === "") return undefined;
  }
  return { spec, args: { ...(parsed.values as Record<string, string | boolean>), dump: parsed.positionals[0]! } };
}

/**
 * Runs `argv` (without node and the script) through the fast path with the command exported by
 * `module` (a ./commands/<name>.js module), setting process.exitCode. Returns false, having run
 * nothing, when yargs should handle the command line instead (see fastParse).
 */
export async function runFastCommand(module: Record<string, unknown>, argv: string[]): Promise<boolean> {
  const spec = Object.values(module as Record<string, Partial<SpecCommandModule>>).find((m) => m.spec)?.spec;
  const fast = spec ? fastParse([spec], argv) : undefined;
  if (!fast) return false;
  const { runCommand } = await import("./run-command.js");
  process.exitCode = await runCommand(fast.spec, fast.args);
  return true;
}
