// elfcorehdr hotplug benchmark (issue 2): one in-place memory add/remove event on an elfcorehdr
// prepared with headroom, beside a full rebuild of the same header, for (a) 64 CPUs + 256 memory
// ranges and (b) 8192 CPUs + 8192 memory ranges. Median µs per event.
//
// The peer figures are QUOTED from the kernel series' cover letter (../shared/seeds/002_*.txt,
// "Memory hotplug: existing solution ~1sec, proposed ~0.03ms", measured on POWER, one LMB), not
// measured here: the kernel path cannot run on this machine.
import { buildElfcorehdr, EM, Elfcorehdr, type ElfcorehdrSpec } from "../packages/elf/dist/index.js";
import type { Bench, BenchResult } from "./lib.js";
import { median } from "./lib.js";

const MiB = 1n << 20n;
const BLOCK = 128n * MiB; // a memory block (x86 block_size_bytes 0x8000000)

function spec(cpus: number, ranges: number): ElfcorehdrSpec {
  return {
    e_machine: EM.X86_64,
    cpus: Array.from({ length: cpus }, (_, cpu) => ({ cpu, crashNotesAddress: 0x2223d800n + BigInt(cpu) * 0x80000n })),
    noteBytes: 368,
    vmcoreinfo: { address: 0x2234c000n, size: 0x1024 },
    kernelText: { paddr: 0x16a00000n, vaddr: 0xffffffffaf200000n, size: 0x2c30000n },
    // ranges with one-block gaps, so that every range is its own PT_LOAD
    memory: Array.from({ length: ranges }, (_, i) => ({ start: BigInt(i) * 2n * BLOCK + MiB, end: BigInt(i) * 2n * BLOCK + BLOCK - 1n })),
    exclude: [{ start: 0n, end: MiB - 1n }],
    pageOffset: 0xffff888000000000n,
  };
}

function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1e3;
}

function measure(cpus: number, ranges: number, events: number, rebuilds: number) {
  const s = spec(cpus, ranges);
  // The block in the middle of the address space: its PT_LOAD sits mid-table, so each event
  // moves half of the PT_LOAD region.
  const mid = ranges >> 1;
  const block = { start: BigInt(mid) * 2n * BLOCK + MiB, end: BigInt(mid) * 2n * BLOCK + BLOCK - 1n };
  s.memory.splice(mid, 1);
  const h = Elfcorehdr.create(s, { maxCpus: cpus, maxMemoryRanges: ranges });
  const buffer = h.buffer;
  const update: number[] = [];
  for (let i = 0; i < events + 50; i++) {
    const t0 = nowUs();
    if (i % 2 === 0) h.addMemory(block);
    else h.removeMemory(block);
    const t = nowUs() - t0;
    if (i >= 50) update.push(t); // the first events warm the JIT up
  }
  if (h.buffer !== buffer) throw new Error("the buffer was reallocated");
  const full = { ...s, memory: [...s.memory] };
  const rebuild: number[] = [];
  for (let i = 0; i < rebuilds + 5; i++) {
    const t0 = nowUs();
    buildElfcorehdr(full);
    const t = nowUs() - t0;
    if (i >= 5) rebuild.push(t);
  }
  return { update: median(update), rebuild: median(rebuild), bytes: buffer.length, slots: h.capacity };
}

const bench: Bench = async (ctx) => {
  const results: BenchResult[] = [];
  const sizes = [
    { key: "small", cpus: 64, ranges: 256, events: 20000, rebuilds: 2000, target: 30, targetText: "≤ 30 µs" },
    { key: "large", cpus: 8192, ranges: 8192, events: 2000, rebuilds: 200, target: 1000, targetText: "≤ 1 ms (1000 µs)" },
  ];
  for (const z of sizes) {
    const events = Math.max(20, Math.round(z.events * ctx.scale));
    const rebuilds = Math.max(5, Math.round(z.rebuilds * ctx.scale));
    const m = measure(z.cpus, z.ranges, events, rebuilds);
    ctx.log(`${z.key}: ${z.cpus} CPUs + ${z.ranges} ranges, ${m.slots} slots, ${m.bytes} bytes; update ${m.update.toFixed(2)} µs, rebuild ${m.rebuild.toFixed(1)} µs`);
    const command = `npx tsx bench/run.ts --only elf (Elfcorehdr.create(${z.cpus} CPUs, ${z.ranges} ranges) then addMemory/removeMemory of one 128 MiB block; buildElfcorehdr)`;
    results.push({
      id: `elf.elfcorehdr.update.${z.key}`,
      value: m.update,
      unit: "µs per event (median)",
      peer: "Linux kernel in-place elfcorehdr update (POWER, seed 002)",
      peerValue: 30,
      command,
      target: z.targetText,
      meetsTarget: m.update <= z.target,
      note: `median of ${events} in-place memory add/remove events on one ${m.bytes}-byte buffer (${m.slots} phdr slots). Peer figure QUOTED from the kernel series' cover letter (~0.03 ms per memory hotplug on POWER, one LMB), not measured here.`,
    });
    results.push({
      id: `elf.elfcorehdr.rebuild.${z.key}`,
      value: m.rebuild,
      unit: "µs per event (median)",
      peer: "Linux kdump service reload on hotplug (POWER, seed 002)",
      peerValue: 1_000_000,
      command,
      note: `median of ${rebuilds} full buildElfcorehdr() calls for the same state (what a rebuild without headroom costs us). Peer figure QUOTED (~1 s for the existing kdump reload), not measured here; it includes reloading the whole kdump image, not only the header.`,
    });
  }
  return results;
};

export default bench;
