import { parseArgs } from "node:util";
import type { CommandArgs, CommandSpec } from "./command-spec.js";

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
