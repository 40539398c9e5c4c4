// Plain-text tables for the human output.

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Visible width of a cell (ANSI colour codes take no room). */
function width(s: string): number {
  return s.replace(ANSI, "").length;
}

/**
 * Lays out `rows` under `headers`, columns separated by two spaces; columns listed in `right` are
 * right-aligned (numbers). The last column is not padded.
 */
export function table(headers: string[], rows: string[][], right: number[] = []): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        if (i === cells.length - 1 && !right.includes(i)) return c;
        const pad = " ".repeat(widths[i]! - width(c));
        return right.includes(i) ? pad + c : c + pad;
      })
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** `key: value` lines with the keys aligned. */
export function keyValues(pairs: [string, string][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(w + 1)} ${v}`).join("\n");
}

/** Bytes as a short human size: 4.0 KiB, 768 MiB. */
export function humanSize(bytes: number | bigint): string {
  let n = Number(bytes);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${n >= 100 ? n.toFixed(0) : n.toFixed(1)} ${units[u]}`;
}
