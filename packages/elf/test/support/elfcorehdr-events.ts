// Fixtures for the Elfcorehdr tests: an x86_64 spec with dumpP's addresses, and random hotplug
// events: 128 MiB memory blocks added or removed (a remove may start a few MiB into its block, so
// that it splits a range), CPUs 0..15 added or removed.
import { EM, type Elfcorehdr, type ElfcorehdrSpec } from "@kdumpkit/elf";
import fc from "fast-check";

const MiB = 1n << 20n;

/** x86_64, `cpus` CPUs 0..n-1 at a 0x80000 percpu stride, kernel text, `ranges` RAM ranges of 127 MiB every 256 MiB from 1 MiB. */
export function x86Spec(cpus: number, ranges: number): ElfcorehdrSpec {
  return {
    e_machine: EM.X86_64,
    cpus: Array.from({ length: cpus }, (_, cpu) => ({ cpu, crashNotesAddress: 0x2223d800n + BigInt(cpu) * 0x80000n })),
    noteBytes: 368,
    vmcoreinfo: { address: 0x2234c000n, size: 0x1024 },
    kernelText: { paddr: 0x16a00000n, vaddr: 0xffffffffaf200000n, size: 0x2c30000n },
    memory: Array.from({ length: ranges }, (_, i) => ({ start: BigInt(i) * 256n * MiB + MiB, end: BigInt(i) * 256n * MiB + 128n * MiB - 1n })),
    exclude: [{ start: 0n, end: MiB - 1n }],
    pageOffset: 0xffff888000000000n,
  };
}

export type HotplugTestEvent =
  | { kind: "add"; block: number; len: number }
  | { kind: "remove"; block: number; len: number; off: number }
  | { kind: "cpu+"; cpu: number }
  | { kind: "cpu-"; cpu: number };

/** One event; `maxLen` blocks at most. */
export function hotplugEventArb(maxLen: number): fc.Arbitrary<HotplugTestEvent> {
  return fc.oneof(
    fc.record({ kind: fc.constant("add" as const), block: fc.integer({ min: 0, max: 63 }), len: fc.integer({ min: 1, max: maxLen }) }),
    fc.record({ kind: fc.constant("remove" as const), block: fc.integer({ min: 0, max: 63 }), len: fc.integer({ min: 1, max: maxLen }), off: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ kind: fc.constant("cpu+" as const), cpu: fc.integer({ min: 0, max: 15 }) }),
    fc.record({ kind: fc.constant("cpu-" as const), cpu: fc.integer({ min: 0, max: 15 }) }),
  );
}

/** Applies `e` to `h` (throws what the editor throws). */
export function applyTestEvent(h: Elfcorehdr, e: HotplugTestEvent): void {
  if (e.kind === "add") h.addMemory({ start: BigInt(e.block) * 128n * MiB, end: BigInt(e.block + e.len) * 128n * MiB - 1n });
  else if (e.kind === "remove") h.removeMemory({ start: BigInt(e.block) * 128n * MiB + BigInt(e.off) * MiB, end: BigInt(e.block + e.len) * 128n * MiB - 1n });
  else if (e.kind === "cpu+") h.addCpu({ cpu: e.cpu, crashNotesAddress: 0x40000000n + BigInt(e.cpu) * 4096n });
  else h.removeCpu(e.cpu);
}
