// A progress bar on stderr for long scans: shown only on a terminal and only once the work has
// taken more than a second, so short runs and pipes stay quiet.

/** Returns an onProgress callback, and `done()` to clear the bar. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr, delayMs = 1000): { update: (done: number, total: number) => void; done: () => void } {
  const start = Date.now();
  let last = 0;
  let shown = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (!stream.isTTY || now - start < delayMs || now - last < 100) return;
      last = now;
      shown = true;
      const fraction = total > 0 ? Math.min(1, done / total) : 0;
      const columns = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 20));
      const filled = Math.round(fraction * columns);
      stream.write(`\r${label} [${"#".repeat(filled)}${".".repeat(columns - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`);
    },
    done() {
      if (shown) stream.write("\r\x1b[K");
    },
  };
}
