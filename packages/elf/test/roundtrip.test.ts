// Round trips with fast-check (seeded): write → read → equal.
import { EM, PT, encodeNotes, encodePrstatus, formatVmcoreinfo, parseElfFile, parseNotes, parsePrstatus, parseVmcoreinfo, prstatusLayout, writeElfCore } from "@kdumpkit/elf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const nameArb = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes("\0"));
const noteArb = fc.record({ name: nameArb, type: fc.integer({ min: 0, max: 0xffffffff }), desc: fc.uint8Array({ maxLength: 100 }) });

describe("round trips", () => {
  it("random note sets: encodeNotes → parseNotes", () => {
    fc.assert(
      fc.property(fc.array(noteArb, { maxLength: 8 }), fc.boolean(), fc.boolean(), (notes, le, terminator) => {
        const seg = parseNotes(encodeNotes(notes, le, { terminator }), le);
        expect(seg.end.kind).toBe(terminator ? "zero-header" : "end");
        expect(seg.notes.map((n) => ({ name: n.name, type: n.n_type, desc: Array.from(n.desc) }))).toEqual(
          notes.map((n) => ({ name: n.name, type: n.type, desc: Array.from(n.desc) })),
        );
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  it("random phdr tables (ELF64/ELF32, LE/BE, small and PN_XNUM-sized): writeElfCore → parseElfFile", () => {
    const seg = (bits: bigint) =>
      fc.record({
        p_type: fc.integer({ min: 0, max: 0xffffffff }).filter((t) => t !== PT.NOTE),
        p_flags: fc.integer({ min: 0, max: 0xffffffff }),
        p_offset: fc.bigInt({ min: 0n, max: (1n << bits) - 1n }),
        p_vaddr: fc.bigInt({ min: 0n, max: (1n << bits) - 1n }),
        p_paddr: fc.bigInt({ min: 0n, max: (1n << bits) - 1n }),
        p_filesz: fc.bigInt({ min: 0n, max: (1n << bits) - 1n }),
        p_memsz: fc.bigInt({ min: 0n, max: (1n << bits) - 1n }),
        p_align: fc.bigInt({ min: 0n, max: (1n << bits) - 1n }),
      });
    const arb = fc.oneof(
      fc.record({ elfClass: fc.constant(64 as const), le: fc.boolean(), segs: fc.array(seg(64n), { maxLength: 30 }) }),
      fc.record({ elfClass: fc.constant(32 as const), le: fc.boolean(), segs: fc.array(seg(32n), { maxLength: 30 }) }),
    );
    fc.assert(
      fc.property(arb, fc.uint8Array({ minLength: 1, maxLength: 40 }), ({ elfClass, le, segs }, data) => {
        const bytes = writeElfCore({ elfClass, littleEndian: le, e_machine: EM.PPC64, segments: [...segs, { p_type: PT.LOAD, data }] });
        const f = parseElfFile(bytes);
        expect(f.header.ident.elfClass).toBe(elfClass);
        expect(f.programHeaders.slice(0, -1)).toEqual(segs);
        const last = f.programHeaders.at(-1)!;
        expect(Array.from(bytes.subarray(Number(last.p_offset), Number(last.p_offset + last.p_filesz)))).toEqual(Array.from(data));
      }),
      { seed: 12, numRuns: 100 },
    );
    // PN_XNUM at the boundary: 65534 stays plain, 65535 switches to extended numbering.
    for (const count of [65534, 65535]) {
      const f = parseElfFile(writeElfCore({ e_machine: EM.X86_64, segments: Array.from({ length: count }, (_, i) => ({ p_type: PT.LOAD, p_paddr: BigInt(i) })) }));
      expect(f.phnum).toBe(count);
      expect(f.header.e_phnum).toBe(count === 65535 ? 0xffff : 65534);
      expect(f.programHeaders.at(-1)!.p_paddr).toBe(BigInt(count - 1));
    }
  });

  it("random prstatus per architecture: encode → parse", () => {
    const arb = fc.constantFrom("x86_64", "aarch64", "ppc64", "ppc64le", "s390x" as const).chain((arch) =>
      fc.record({
        arch: fc.constant(arch),
        pid: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        cursig: fc.integer({ min: -32768, max: 32767 }),
        sigpend: u64,
        utime: fc.record({ sec: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), usec: fc.bigInt({ min: 0n, max: 999999n }) }),
        regs: fc.tuple(...prstatusLayout(arch).registers.map((r) => fc.bigInt({ min: 0n, max: (1n << BigInt(r.size * 8)) - 1n }))),
      }),
    );
    fc.assert(
      fc.property(arb, ({ arch, pid, cursig, sigpend, utime, regs }) => {
        const names = prstatusLayout(arch).registers.map((r) => r.name);
        const registers = Object.fromEntries(names.map((n, i) => [n, regs[i]!]));
        const p = parsePrstatus(encodePrstatus({ pr_pid: pid, pr_cursig: cursig, pr_sigpend: sigpend, pr_utime: utime, registers }, arch), arch);
        expect([p.pr_pid, p.pr_cursig, p.pr_sigpend, p.pr_utime]).toEqual([pid, cursig, sigpend, utime]);
        expect(p.registers).toEqual(registers);
        expect(Object.keys(p.registers)).toEqual(names);
      }),
      { seed: 13, numRuns: 100 },
    );
  });

  it("random VMCOREINFO texts: kernel-format text → parse → typed maps, and back to the same text", () => {
    const ident = fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/);
    const entry = fc.oneof(
      fc.tuple(fc.constant("SYMBOL"), ident, u64).map(([k, n, v]) => ({ line: `${k}(${n})=${v.toString(16)}`, k, n, v })),
      fc.tuple(fc.constant("OFFSET"), ident, fc.bigInt({ min: 0n, max: 1n << 40n })).map(([k, n, v]) => ({ line: `${k}(${n}.f)=${v}`, k, n: `${n}.f`, v })),
      fc.tuple(fc.constant("SIZE"), ident, fc.bigInt({ min: 0n, max: 1n << 40n })).map(([k, n, v]) => ({ line: `${k}(${n})=${v}`, k, n, v })),
      fc.tuple(fc.constant("LENGTH"), ident, fc.bigInt({ min: 0n, max: 1n << 40n })).map(([k, n, v]) => ({ line: `${k}(${n})=${v}`, k, n, v })),
      fc.tuple(fc.constant("NUMBER"), ident, fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })).map(([k, n, v]) => ({ line: `${k}(${n})=${v}`, k, n, v })),
      fc.tuple(fc.constant("NUMBER"), ident, u64).map(([k, n, v]) => ({ line: `${k}(${n})=0x${v.toString(16)}`, k, n, v })),
      fc.tuple(fc.constant("OTHER"), fc.stringMatching(/^CONFIG_[A-Z]{1,10}$/), fc.constant(0n)).map(([k, n, v]) => ({ line: `${n}=y`, k, n, v })),
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !/[\n\0]/.test(s)), (entries, release) => {
        const text = [`OSRELEASE=${release}`, "PAGESIZE=4096", ...entries.map((e) => e.line), "CRASHTIME=1795291728", ""].join("\n");
        const info = parseVmcoreinfo(text);
        expect(formatVmcoreinfo(info)).toBe(text);
        expect(info.osRelease).toBe(release);
        expect(info.pageSize).toBe(4096);
        expect(info.crashTime).toBe(1795291728n);
        const last = new Map<string, { k: string; v: bigint }>();
        for (const e of entries) last.set(`${e.k}:${e.n}`, e);
        for (const [key, e] of last) {
          const name = key.slice(key.indexOf(":") + 1);
          const map = { SYMBOL: info.symbols, OFFSET: info.offsets, SIZE: info.sizes, LENGTH: info.lengths, NUMBER: info.numbers }[e.k as "SYMBOL"];
          if (map) expect(map.get(name)).toBe(e.v);
          else expect(info.other.get(name)).toBe("y");
        }
      }),
      { seed: 14, numRuns: 150 },
    );
  });
});
