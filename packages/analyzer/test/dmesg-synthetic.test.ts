// The printk readers on buffers written by the test-side writer (test/support/printk-ring.ts):
// every descriptor state, wrapped blocks, empty lines, truncated text_len, caller ids, the legacy
// log_buf, and corrupted rings that must give a coded error instead of a hang or a huge read.
import { AnalyzerError, dmesgFromMemory, formatDmesg, formatDmesgBytes, type DmesgOptions } from "@kdumpkit/analyzer";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { buildLegacyLog, buildLocklessRing, DESCS, ID_MASK, type RingRecord, type RingSpec } from "./support/printk-ring.js";

fc.configureGlobal({ seed: 20261121, numRuns: 60 });

function read(spec: RingSpec, options: DmesgOptions = {}) {
  const ring = buildLocklessRing(spec);
  return { ring, report: dmesgFromMemory(ring.memory, ring.vmcoreinfo, "synthetic", options) };
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof AnalyzerError) return e.code;
    throw e;
  }
  return undefined;
}

describe("lockless ring: record selection", () => {
  it("keeps committed and finalized descriptors, counts reserved, reusable and recycled ones", () => {
    const records: RingRecord[] = [
      { text: "finalized", state: 2 },
      { text: "committed", state: 1 },
      { text: "reserved (writer stopped)", state: 0 },
      { text: "reusable", state: 3 },
      { text: "recycled", stateId: 12345n },
      { text: "last", state: 2 },
    ];
    const { report } = read({ countBits: 4, sizeBits: 10, records });
    expect(report.records.map((r) => r.text)).toEqual(["finalized", "committed", "last"]);
    expect(report.skipped).toEqual({ reserved: 1, reusable: 1, missed: 1, failed: 0, badBlock: 0 });
    expect(report.total).toBe(3);
    expect(report.format).toBe("lockless");
  });

  it("ids wrap through DESC_ID_MASK and lpos values through 2^64", () => {
    const { report, ring } = read({ countBits: 3, sizeBits: 9, firstId: ID_MASK - 1n, firstLpos: (1n << 64n) - 24n, records: [{ text: "a" }, { text: "b" }, { text: "c" }, { text: "d" }] });
    expect(ring.ids).toEqual([ID_MASK - 1n, ID_MASK, 0n, 1n]);
    expect(ring.blocks.some((b) => b !== undefined && b.next < b.begin)).toBe(true);
    expect(report.records.map((r) => r.text)).toEqual(["a", "b", "c", "d"]);
    expect(report.ring).toMatchObject({ headId: "0x1", tailId: `0x${(ID_MASK - 1n).toString(16)}`, descriptors: 8, dataSize: 512 });
  });

  it("a block that would cross the end of the ring is read from its start, after the 8-byte id (drgn PR #635)", () => {
    // 64-byte ring, tail at 32: the first block (8 + 16 → 24 bytes) ends at 56; the next needs 24 bytes and wraps.
    const { report, ring } = read({ countBits: 2, sizeBits: 6, firstLpos: 32n, records: [{ text: "x".repeat(16) }, { text: "wrapped text" }] });
    const wrapped = ring.blocks[1]!;
    expect(wrapped).toEqual({ begin: 56n, next: 88n });
    expect(report.records.map((r) => r.text)).toEqual(["x".repeat(16), "wrapped text"]);
    expect(report.skipped.badBlock).toBe(0);
  });

  it("a block that ends exactly at the end of the ring is a regular block", () => {
    const { report, ring } = read({ countBits: 2, sizeBits: 6, firstLpos: 0n, records: [{ text: "y".repeat(40) }, { text: "the end!" }] });
    expect(ring.blocks[1]).toEqual({ begin: 48n, next: 64n });
    expect(report.records.map((r) => r.text)).toEqual(["y".repeat(40), "the end!"]);
    expect(report.skipped.badBlock).toBe(0);
  });

  it("empty-line records: kept in the report, dropped by makedumpfile's form, `[ts] ` in the kernel's", () => {
    const { report } = read({ countBits: 3, sizeBits: 8, records: [{ text: "before", tsNsec: 1_000_000_000n }, { text: "", dataless: 3, tsNsec: 2_000_500_000n }, { text: "lost", dataless: 1 }, { text: "after", tsNsec: 3_000_000_000n }] });
    expect(report.records.map((r) => [r.text, r.emptyLine])).toEqual([["before", false], ["", true], ["after", false]]);
    expect(report.skipped.failed).toBe(1);
    expect(formatDmesg(report.records)).toBe("[    1.000000] before\n[    3.000000] after\n");
    expect(formatDmesg(report.records, { style: "kernel" })).toBe("[    1.000000] before\n[    2.000500] \n[    3.000000] after\n");
  });

  it("a text_len larger than the block is cut at the block's end and flagged", () => {
    // "abc" in a 16-byte block (8 id + 3 text + 5 padding): makedumpfile clamps to next - begin = 8 bytes.
    const { report } = read({ countBits: 2, sizeBits: 8, records: [{ text: "abc", textLen: 200 }, { text: "ok" }] });
    expect(report.records[0]!.truncated).toBe(true);
    expect(report.records[0]!.text).toBe("abc\0\0\0\0\0");
    expect(report.truncated).toBe(1);
    expect(formatDmesg(report.records.slice(0, 1))).toBe("[    0.000000] abc\\x00\\x00\\x00\\x00\\x00\n");
  });

  it("caller ids: T<pid> and C<cpu> (bit 31), printed like makedumpfile ≥ 1.7.3 and the kernel", () => {
    const { report } = read({ countBits: 2, sizeBits: 8, records: [{ text: "task", callerId: 275, tsNsec: 17_436_254_123n }, { text: "irq", callerId: 0x80000002 }] });
    expect(report.records.map((r) => r.callerId)).toEqual(["T275", "C2"]);
    expect(formatDmesg(report.records, { callerId: true })).toBe("[   17.436254] [    T275] task\n[    0.001234] [      C2] irq\n");
    expect(formatDmesg(report.records, { callerId: true, style: "kernel" })).toBe("[   17.436254][  T275] task\n[    0.001234][    C2] irq\n");
    expect(formatDmesg(report.records)).toBe("[   17.436254] task\n[    0.001234] irq\n");
  });

  it("without OFFSET(printk_info.caller_id) the caller id is null", () => {
    const { report } = read({ countBits: 2, sizeBits: 8, records: [{ text: "t" }], vmcoreinfo: { "OFFSET(printk_info.caller_id)": null } });
    expect(report.records[0]!.callerId).toBeNull();
  });

  it("level, facility, sequence numbers, and the --level / --tail filters", () => {
    const records: RingRecord[] = [0, 3, 6, 7, 4].map((level, i) => ({ text: `l${level}`, level, facility: i === 4 ? 1 : 0 }));
    const { report } = read({ countBits: 3, sizeBits: 9, firstSeq: 1000n, records });
    expect(report.records.map((r) => [r.level, r.facility, r.seq])).toEqual([[0, 0, 1000], [3, 0, 1001], [6, 0, 1002], [7, 0, 1003], [4, 1, 1004]]);
    expect([report.firstSeq, report.lastSeq, report.dropped]).toEqual([1000, 1004, 1000]);
    const ring = buildLocklessRing({ countBits: 3, sizeBits: 9, records });
    const errors = dmesgFromMemory(ring.memory, ring.vmcoreinfo, "s", { maxLevel: 4 });
    expect(errors.records.map((r) => r.text)).toEqual(["l0", "l3", "l4"]);
    expect(errors.filtered).toBe(2);
    expect(dmesgFromMemory(ring.memory, ring.vmcoreinfo, "s", { maxLevel: 6, tail: 2 }).records.map((r) => r.text)).toEqual(["l6", "l4"]);
    expect(codeOf(() => dmesgFromMemory(ring.memory, ring.vmcoreinfo, "s", { maxLevel: 8 }))).toBe("E_BAD_ARGUMENT");
  });
});

describe("makedumpfile text form", () => {
  it("continuation lines are indented to the prefix; control and high bytes become \\xNN like a signed char", () => {
    const text = new Uint8Array([...new TextEncoder().encode("line one\nline two\ttab\r"), 0x01, 0x7f, 0xc3, 0xa9, 0xff]);
    const { report } = read({ countBits: 2, sizeBits: 8, records: [{ text, tsNsec: 123_456_789_012n }] });
    expect(report.records[0]!.textEncoding).toBe("latin1");
    expect(formatDmesg(report.records)).toBe("[  123.456789] line one\n               line two\ttab\r\\x01\\x7f\\xffffffc3\\xffffffa9\\xffffffff\n");
    expect(formatDmesg(report.records, { signedChar: false })).toContain("\\x01\\x7f\\xc3\\xa9\\xff\n");
    // The kernel's form copies the bytes as they are (compare bytes: they are not valid UTF-8).
    const kernel = Buffer.from(formatDmesgBytes(report.records, { style: "kernel" }));
    expect(kernel.equals(Buffer.concat([Buffer.from("[  123.456789] line one\n[  123.456789] line two\ttab\r"), Buffer.from([0x01, 0x7f, 0xc3, 0xa9, 0xff, 0x0a])]))).toBe(true);
  });

  it("timestamps of more than 99999 s widen the field instead of cutting it", () => {
    const { report } = read({ countBits: 1, sizeBits: 6, records: [{ text: "late", tsNsec: 123_456_000_001_000n }] });
    expect(formatDmesg(report.records)).toBe("[123456.000001] late\n");
  });
});

describe("lockless ring: round trip of random logs (writer → reader)", () => {
  const record = fc.record({
    text: fc.string({ maxLength: 60 }).map((s) => s.replace(/\0/g, "")),
    tsNsec: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    level: fc.integer({ min: 0, max: 7 }),
    callerId: fc.integer({ min: 0, max: 0xffffffff }),
  });
  test.prop([fc.array(record, { minLength: 1, maxLength: 40 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: ID_MASK })])(
    "every record comes back with its text, time, level and caller, whatever the starting id and lpos",
    (records, firstLpos, firstId) => {
      const { report } = read({ countBits: 6, sizeBits: 12, firstLpos: firstLpos & ~7n, firstId, records: records.map((r) => ({ ...r, text: r.text })) });
      expect(report.skipped).toEqual({ reserved: 0, reusable: 0, missed: 0, failed: 0, badBlock: 0 });
      expect(report.records.map((r) => [r.text, r.timestampNs, r.level])).toEqual(records.map((r) => [r.text, r.tsNsec.toString(), r.level]));
      expect(report.records.map((r) => r.callerId)).toEqual(records.map((r) => (r.callerId & 0x80000000 ? `C${r.callerId & 0x7fffffff}` : `T${r.callerId}`)));
    },
  );
});

describe("lockless ring: corrupted memory gives a coded error, never a hang or a giant read", () => {
  const base: RingSpec = { countBits: 3, sizeBits: 8, records: [{ text: "one" }, { text: "two" }] };

  it("absurd count_bits → E_BAD_PRINTK_BUFFER before any array is read", () => {
    const ring = buildLocklessRing({ ...base, header: { countBits: 60 } });
    let error: unknown;
    try {
      dmesgFromMemory(ring.memory, ring.vmcoreinfo, "s");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AnalyzerError);
    expect((error as AnalyzerError).code).toBe("E_BAD_PRINTK_BUFFER");
    expect((error as AnalyzerError).address).toBeDefined();
    expect(ring.memory.maxRead).toBeLessThanOrEqual(88);
  });

  it("absurd size_bits → E_BAD_PRINTK_BUFFER", () => {
    expect(codeOf(() => read({ ...base, header: { sizeBits: 45 } }))).toBe("E_BAD_PRINTK_BUFFER");
  });

  it("a ring above the limits → E_PRINTK_LIMIT (limits are options)", () => {
    expect(codeOf(() => read({ ...base, header: { countBits: 24 } }))).toBe("E_PRINTK_LIMIT");
    expect(codeOf(() => read(base, { limits: { maxDescriptors: 4 } }))).toBe("E_PRINTK_LIMIT");
    expect(codeOf(() => read(base, { limits: { maxTextBytes: 128 } }))).toBe("E_PRINTK_LIMIT");
  });

  it("tail..head spanning more ids than descriptors, or ids with state bits → E_BAD_PRINTK_BUFFER (makedumpfile would loop for 2^62 ids)", () => {
    expect(codeOf(() => read({ ...base, firstId: 0n, header: { headId: 1n << 40n } }))).toBe("E_BAD_PRINTK_BUFFER");
    expect(codeOf(() => read({ ...base, firstId: 0n, header: { headId: (1n << 63n) | 1n } }))).toBe("E_BAD_PRINTK_BUFFER");
  });

  it("a block lpos outside the text ring's tail..head → skipped and reported, or E_BAD_PRINTK_BUFFER with strict", () => {
    const ring = buildLocklessRing({ ...base, firstLpos: 0x1000n });
    ring.descs.setBigUint64(((Number(ring.ids[0]! % 8n)) * 24) + 8, 0x9000n, true);
    ring.descs.setBigUint64(((Number(ring.ids[0]! % 8n)) * 24) + 16, 0x9010n, true);
    const lenient = dmesgFromMemory(ring.memory, ring.vmcoreinfo, "s");
    expect(lenient.records.map((r) => r.text)).toEqual(["two"]);
    expect(lenient.skipped.badBlock).toBe(1);
    expect(lenient.problems[0]!.message).toMatch(/outside the text ring/);
    expect(lenient.problems[0]!.address).toBe(`0x${(DESCS + BigInt(Number(ring.ids[0]! % 8n) * 24)).toString(16)}`);
    expect(codeOf(() => dmesgFromMemory(ring.memory, ring.vmcoreinfo, "s", { strict: true }))).toBe("E_BAD_PRINTK_BUFFER");
  });

  it("a block spanning several wraps, or one whose data holds another id → skipped as inconsistent", () => {
    const ring = buildLocklessRing({ ...base, firstLpos: 0n, header: { tailLpos: 0n, headLpos: 0x10000n } });
    const d0 = Number(ring.ids[0]! % 8n) * 24;
    ring.descs.setBigUint64(d0 + 16, 0x1000n, true); // next four wraps ahead of begin
    ring.data[16] = ring.data[16]! ^ 0xff; // corrupt the second block's id (it starts at 16)
    const r = dmesgFromMemory(ring.memory, ring.vmcoreinfo, "s");
    expect(r.records).toEqual([]);
    expect(r.skipped.badBlock).toBe(2);
  });

  it("offsets that do not fit their structure, or missing keys → E_BAD_PRINTK_BUFFER / E_NO_PRINTK_SYMBOLS", () => {
    expect(codeOf(() => read({ ...base, vmcoreinfo: { "OFFSET(printk_info.caller_id)": 200 } }))).toBe("E_BAD_PRINTK_BUFFER");
    expect(codeOf(() => read({ ...base, vmcoreinfo: { "SIZE(prb_desc)": null } }))).toBe("E_NO_PRINTK_SYMBOLS");
    const ring = buildLocklessRing(base);
    expect(codeOf(() => dmesgFromMemory(ring.memory, undefined, "s"))).toBe("E_NO_PRINTK_SYMBOLS");
  });
});

describe("legacy log_buf (Linux 3.5 … 5.9)", () => {
  it("walks log_first_idx → log_next_idx across the end-of-buffer marker", () => {
    const records = ["first", "second line", "third", "fourth record text", "fifth"].map((text, i) => ({ text, tsNsec: BigInt(i + 1) * 1_000_001_000n, level: i % 8 }));
    const { memory, vmcoreinfo } = buildLegacyLog({ length: 256, firstIdx: 160, records });
    const r = dmesgFromMemory(memory, vmcoreinfo, "legacy");
    expect(r.format).toBe("legacy");
    expect(r.records.map((x) => x.text)).toEqual(records.map((x) => x.text));
    expect(r.records.map((x) => x.level)).toEqual(records.map((x) => x.level));
    expect(r.records.map((x) => x.seq)).toEqual([null, null, null, null, null]);
    expect(formatDmesg(r.records.slice(0, 2))).toBe("[    1.000001] first\n[    2.000002] second line\n");
    expect(r.logBuf).toMatchObject({ length: 256, firstIdx: 160, nextIdx: 60 });
  });

  it("a text_len beyond the record is cut", () => {
    const { memory, vmcoreinfo } = buildLegacyLog({ length: 256, firstIdx: 0, records: [{ text: "abcd", textLen: 999 }] });
    const r = dmesgFromMemory(memory, vmcoreinfo, "legacy");
    expect(r.records[0]).toMatchObject({ text: "abcd", truncated: true });
  });

  it("indices outside log_buf, records running past its end, or a walk that never ends → E_BAD_PRINTK_BUFFER", () => {
    const records = [{ text: "a" }, { text: "b" }];
    let l = buildLegacyLog({ length: 128, firstIdx: 0, records, overrides: { firstIdx: 4096 } });
    expect(codeOf(() => dmesgFromMemory(l.memory, l.vmcoreinfo, "s"))).toBe("E_BAD_PRINTK_BUFFER");
    l = buildLegacyLog({ length: 128, firstIdx: 0, records });
    new DataView(l.buf.buffer).setUint16(8, 4000, true);
    expect(codeOf(() => dmesgFromMemory(l.memory, l.vmcoreinfo, "s"))).toBe("E_BAD_PRINTK_BUFFER");
    // next_idx inside a record: the walk steps over it and can never reach it.
    l = buildLegacyLog({ length: 128, firstIdx: 0, records, overrides: { nextIdx: 6 } });
    expect(codeOf(() => dmesgFromMemory(l.memory, l.vmcoreinfo, "s"))).toBe("E_BAD_PRINTK_BUFFER");
    l = buildLegacyLog({ length: 128, firstIdx: 0, records, overrides: { length: 1 << 30 } });
    expect(codeOf(() => dmesgFromMemory(l.memory, l.vmcoreinfo, "s"))).toBe("E_PRINTK_LIMIT");
  });
});
