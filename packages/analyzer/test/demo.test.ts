// The end-to-end demo (`pnpm demo`, scripts/demo.ts) runs on the built bin: it once failed on every
// run after the bin moved and no test noticed.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { repoRoot } from "../../../test-support/corpus.js";

it("scripts/demo.ts runs to the end with the verdicts it announces", () => {
  const tsx = join(repoRoot, "node_modules/.bin/tsx");
  const r = spawnSync(tsx, [join(repoRoot, "scripts/demo.ts")], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/offline at crash, note uninitialized \(expected; crash_notes read from memory\)/);
  expect(r.stdout).toMatch(/CPU 3: note saved in memory but missing from the dump: the elfcorehdr was stale/);
  expect(r.stdout).toMatch(/demo done in/);
  expect(r.stdout).not.toContain("\x1b["); // not a terminal: no colours
}, 60_000);
