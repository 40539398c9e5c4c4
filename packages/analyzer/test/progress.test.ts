// The progress bar: silent on a pipe and during the first second, drawn on a terminal afterwards.
import { describe, expect, it } from "vitest";
import { progressBar } from "../src/render/progress.js";

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 80, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream };
}

describe("progressBar", () => {
  it("draws on a terminal once the delay has passed, and clears at the end", () => {
    const { writes, stream } = fakeStream(true);
    const bar = progressBar("scanning", stream, 0);
    bar.update(50, 100);
    bar.done();
    expect(writes[0]).toMatch(/^\rscanning \[#+\.+\]  50%$/);
    expect(writes[1]).toBe("\r\x1b[K");
  });
  it("stays silent on a pipe and before the delay", () => {
    const pipe = fakeStream(false);
    const bar = progressBar("scanning", pipe.stream, 0);
    bar.update(1, 2);
    bar.done();
    expect(pipe.writes).toEqual([]);
    const early = fakeStream(true);
    const slow = progressBar("scanning", early.stream, 60_000);
    slow.update(1, 2);
    slow.done();
    expect(early.writes).toEqual([]);
  });
});
