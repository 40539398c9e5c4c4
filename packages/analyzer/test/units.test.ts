// Small pure helpers: cpumask decoding, cpu lists, range arithmetic, makedumpfile's nr_cpus walk.
import { decodeCpumask, formatCpuList, makedumpfileNrCpus, mergeRanges, parseCpuList, subtractRanges } from "@kdumpkit/analyzer";
import { encodeNotes, encodePrstatus } from "@kdumpkit/elf";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";

fc.configureGlobal({ seed: 20261121, numRuns: 100 });

describe("cpumask", () => {
  test.prop([fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 40 })])("decode(encode(set)) is the set; the /sys list round-trips", (cpus) => {
    const bytes = new Uint8Array(32);
    for (const c of cpus) bytes[c >> 3]! |= 1 << (c & 7);
    const sorted = [...cpus].sort((a, b) => a - b);
    expect(decodeCpumask(bytes, true, 8, 256)).toEqual(sorted);
    expect(parseCpuList(formatCpuList(cpus))).toEqual(sorted);
  });
  it("stops at nr_cpu_ids and reads big-endian words", () => {
    const be = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0b1011]);
    expect(decodeCpumask(be, false, 8, 64)).toEqual([0, 1, 3]);
    expect(decodeCpumask(be, false, 8, 2)).toEqual([0, 1]);
    expect(formatCpuList([0, 2, 3, 4, 7])).toBe("0,2-4,7");
  });
});

describe("ranges", () => {
  const r = (s: number, e: number) => ({ start: BigInt(s), end: BigInt(e) });
  it("merge and subtract", () => {
    expect(mergeRanges([r(5, 8), r(0, 2), r(2, 3)])).toEqual([r(0, 3), r(5, 8)]);
    expect(subtractRanges([r(0, 10)], [r(2, 3), r(5, 12)])).toEqual([r(0, 2), r(3, 5)]);
  });
  test.prop([fc.array(fc.tuple(fc.nat(1000), fc.nat(100)), { maxLength: 8 }), fc.array(fc.tuple(fc.nat(1000), fc.nat(100)), { maxLength: 8 })])(
    "a − b covers exactly the points of a not in b",
    (as, bs) => {
      const A = as.map(([s, l]) => r(s, s + l));
      const B = bs.map(([s, l]) => r(s, s + l));
      const out = subtractRanges(A, B);
      const inside = (rs: { start: bigint; end: bigint }[], p: number) => rs.some((x) => BigInt(p) >= x.start && BigInt(p) < x.end);
      for (let p = 0; p < 1100; p += 7) expect(inside(out, p)).toBe(inside(A, p) && !inside(B, p));
    },
  );
});

describe("makedumpfile nr_cpus", () => {
  it("counts CORE/NT_PRSTATUS, skips empty headers and continues after them", () => {
    const prstatus = { name: "CORE", type: 1, desc: encodePrstatus({ pr_pid: 1 }, "x86_64") };
    const bytes = encodeNotes([prstatus, { name: "CORE", type: 2, desc: new Uint8Array(8) }], true, { terminator: true });
    const withGap = new Uint8Array([...bytes, ...encodeNotes([prstatus, { name: "VMCOREINFO", type: 0, desc: new Uint8Array(4) }], true)]);
    expect(makedumpfileNrCpus(bytes, true)).toBe(1);
    // The kernel would stop at the 12 zero bytes; makedumpfile walks on and finds the second one.
    expect(makedumpfileNrCpus(withGap, true)).toBe(2);
  });
});

describe("makedumpfile nr_cpus: the name test of get_pt_note_info (reference §4.1)", () => {
  const desc = encodePrstatus({ pr_pid: 1 }, "x86_64");
  // One note by hand: header, name bytes padded to 4, desc.
  const note = (namesz: number, name: number[], type = 1) => {
    const nameBytes = new Uint8Array(Math.ceil(namesz / 4) * 4);
    nameBytes.set(name.slice(0, nameBytes.length));
    const header = new Uint8Array(12);
    const v = new DataView(header.buffer);
    v.setUint32(0, namesz, true);
    v.setUint32(4, desc.length, true);
    v.setUint32(8, type, true);
    return new Uint8Array([...header, ...nameBytes, ...desc]);
  };
  const CORE = [0x43, 0x4f, 0x52, 0x45, 0];
  it("compares the 5 bytes \"CORE\\0\" whatever n_namesz (1..15) says", () => {
    expect(makedumpfileNrCpus(note(8, CORE), true)).toBe(1);
    expect(makedumpfileNrCpus(note(12, CORE), true)).toBe(1);
  });
  it("skips n_namesz above 15 (its 15-byte name buffer) and names that are not CORE\\0", () => {
    expect(makedumpfileNrCpus(note(16, CORE), true)).toBe(0);
    expect(makedumpfileNrCpus(note(6, [...CORE.slice(0, 4), 0x58, 0]), true)).toBe(0);
    expect(makedumpfileNrCpus(note(5, CORE, 2), true)).toBe(0);
  });
});
