// runCommand's one-line error report: the address or offset of a typed error appears in the line,
// once — added only when the error's own message does not name it already.
import { KdumpkitError } from "@kdumpkit/elf";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CommandSpec } from "../src/cli/command-spec.js";
import { runCommand } from "../src/cli/run-command.js";

class TestError extends KdumpkitError {
  readonly code = "E_TEST";
}

async function stderrOf(error: Error): Promise<string> {
  let out = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const spec = { name: "read", run: async () => Promise.reject(error) } as unknown as CommandSpec;
  expect(await runCommand(spec, {} as never)).toBe(2);
  return out;
}

afterEach(() => vi.restoreAllMocks());

describe("runCommand error line", () => {
  it("does not repeat an address the message names", async () => {
    const line = await stderrOf(new TestError("physical address 0x1000 is not covered by any PT_LOAD", { address: 0x1000n }));
    expect(line).toBe("kdumpkit read: E_TEST: physical address 0x1000 is not covered by any PT_LOAD\n");
  });

  it("adds the address or offset when the message lacks it (0x1000 is not 0x10000)", async () => {
    expect(await stderrOf(new TestError("not covered at 0x10000", { address: 0x1000n }))).toBe("kdumpkit read: E_TEST: not covered at 0x10000 (address 0x1000)\n");
    expect(await stderrOf(new TestError("truncated header", { offset: 64 }))).toBe("kdumpkit read: E_TEST: truncated header (offset 64)\n");
    expect(await stderrOf(new TestError("truncated header at offset 64", { offset: 64 }))).toBe("kdumpkit read: E_TEST: truncated header at offset 64\n");
  });
});
