// The JSON contract shared by every report: a schema version and 64-bit values as "0x…" strings.

/** Version of the JSON documents the reports produce; bumped when a field changes meaning or goes away. */
export const SCHEMA_VERSION = 1;

/** A 64-bit value as it appears in every report: lowercase hex with a `0x` prefix. */
export type Hex = `0x${string}`;

/** Formats a 64-bit value (bigint or safe integer) as a `"0x…"` string, the report convention. */
export function hex(value: bigint | number): Hex {
  return `0x${value.toString(16)}`;
}

/** Parses a `"0x…"` string (or a decimal string) from a report or the command line back into a bigint. */
export function parseHex(text: string): bigint {
  return BigInt(text.trim());
}
