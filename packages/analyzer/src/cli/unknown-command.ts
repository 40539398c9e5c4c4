// The message for a command line whose first word names no command. yargs' strict mode with
// recommendCommands printed only "Did you mean notes?" (for any word, however far from every name)
// and never said the command was unknown nor which commands exist.
import type { CommandModule } from "yargs";

/** First word of each command's `command` string (`"capture <header> <out>"` → `capture`), with its description. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function commandNames(commands: CommandModule<any, any>[]): { name: string; aliases: string[]; describe: string }[] {
  return commands.map((c) => {
    const [first, ...others] = (Array.isArray(c.command) ? c.command : [c.command ?? ""]).map((s: string) => s.split(" ")[0]!);
    const aliases = [...others, ...(Array.isArray(c.aliases) ? c.aliases : c.aliases ? [c.aliases] : [])];
    return { name: first ?? "", aliases, describe: typeof c.describe === "string" ? c.describe : "" };
  });
}

/** Levenshtein distance, for the "did you mean" hint. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/**
 * The message for `word` when it names no command, or undefined when it does (or is an option).
 * A "did you mean" hint only for a near miss (a third of the word's letters at most): "foo" is not a
 * misspelt "fdt".
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function unknownCommandMessage(word: string | undefined, commands: CommandModule<any, any>[]): string | undefined {
  if (word === undefined || word.startsWith("-")) return undefined;
  const known = commandNames(commands);
  if (known.some((c) => c.name === word || c.aliases.includes(word))) return undefined;
  const width = Math.max(...known.map((c) => c.name.length));
  const best = known.map((c) => ({ name: c.name, d: distance(word, c.name) })).sort((x, y) => x.d - y.d)[0];
  const hint = best && best.d <= Math.max(1, Math.floor(word.length / 3)) ? ` Did you mean ${best.name}?` : "";
  return (
    `kdumpkit: unknown command "${word}".${hint}\nCommands:\n` +
    known.map((c) => `  ${c.name.padEnd(width)}  ${c.describe}`).join("\n") +
    "\nRun `kdumpkit COMMAND --help` for a command's options.\n"
  );
}
