// ANSI colours for the text output, only when stdout is a terminal and NO_COLOR is unset.

/** The colour functions; identity functions when colour is off. */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

const plain: Style = { bold: (s) => s, dim: (s) => s, red: (s) => s, yellow: (s) => s, green: (s) => s, cyan: (s) => s };
const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const coloured: Style = { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), cyan: wrap(36, 39) };

/** Colours for a stream: on only for a TTY without NO_COLOR (https://no-color.org). */
export function styleFor(stream: { isTTY?: boolean }): Style {
  return stream.isTTY && !process.env.NO_COLOR ? coloured : plain;
}

/** Colour of a severity word. */
export function severityColour(style: Style, severity: string): (s: string) => string {
  return severity === "error" ? style.red : severity === "warning" ? style.yellow : severity === "ok" ? style.green : style.dim;
}
