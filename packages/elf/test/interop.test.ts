// Interop: files written by writeElfCore (LE and BE, ELF64, PN_XNUM included) read back by GNU
// readelf and elfutils eu-readelf; their output is parsed and compared field by field.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EM, type CoreSegmentInput, PT, type PrstatusArch, encodeNotes, encodePrstatus, parseElfFile, writeElfCore } from "@kdumpkit/elf";
import fc from "fast-check";
import { afterAll, expect, it } from "vitest";
import { describeWithPeers, peers } from "../../../test-support/peers.js";
import { parseReadelfOutput, readelfFlags, readelfType } from "./support/readelf-output.js";

const dir = mkdtempSync(join(tmpdir(), "kdumpkit-elf-interop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function run(tool: string, args: string[], bytes: Uint8Array): string {
  const path = join(dir, `f${n++}.elf`);
  writeFileSync(path, bytes);
  return execFileSync(tool, [...args, path], { encoding: "utf8", maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "pipe"] });
}

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const segmentArb = fc.record({
  p_type: fc.constantFrom(PT.LOAD, PT.LOAD, PT.NULL, PT.TLS),
  p_flags: fc.integer({ min: 0, max: 7 }),
  p_vaddr: u64,
  p_paddr: u64,
  p_offset: fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }),
  p_memsz: fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }),
  p_filesz: fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }),
  p_align: fc.constantFrom(0n, 1n, 4096n),
}).map((s) => ({ ...s, p_memsz: s.p_filesz + s.p_memsz })); // readelf rejects p_filesz > p_memsz
const noteArb = fc.record({
  name: fc.constantFrom("CORE", "VMCOREINFO", "QEMU", "LINUX", "XY"),
  type: fc.constantFrom(1, 3, 6, 0),
  desc: fc.uint8Array({ maxLength: 64 }),
});

const cases = fc.record({
  littleEndian: fc.boolean(),
  e_machine: fc.constantFrom(EM.X86_64, EM.AARCH64, EM.PPC64, EM.S390),
  notes: fc.array(noteArb, { minLength: 1, maxLength: 5 }),
  loads: fc.array(segmentArb, { maxLength: 12 }),
});

type Case = typeof cases extends fc.Arbitrary<infer T> ? T : never;
function build(c: Case): { bytes: Uint8Array; segments: CoreSegmentInput[] } {
  const segments: CoreSegmentInput[] = [{ p_type: PT.NOTE, data: encodeNotes(c.notes, c.littleEndian) }, ...c.loads];
  return { bytes: writeElfCore({ e_machine: c.e_machine, littleEndian: c.littleEndian, segments }), segments };
}

describeWithPeers("interop with GNU readelf", [peers.readelf], () => {
  it("readelf -h -l -n -W shows what was written (random LE/BE files)", () => {
    fc.assert(
      fc.property(cases, (c) => {
        const { bytes } = build(c);
        const ours = parseElfFile(bytes);
        const ref = parseReadelfOutput(run("readelf", ["-h", "-l", "-n", "-W"], bytes));
        expect(ref.header.get("Data")).toBe(c.littleEndian ? "2's complement, little endian" : "2's complement, big endian");
        expect(ref.header.get("Type")).toBe("CORE (Core file)");
        expect(ref.header.get("Class")).toBe("ELF64");
        expect(Number(ref.header.get("Number of program headers"))).toBe(1 + c.loads.length);
        expect(ref.header.get("Start of program headers")).toBe("64 (bytes into file)");
        expect(ref.phdrs.length).toBe(ours.programHeaders.length);
        ours.programHeaders.forEach((ph, i) => {
          const r = ref.phdrs[i]!;
          expect(r.type).toBe(readelfType(ph.p_type));
          expect([r.offset, r.vaddr, r.paddr, r.filesz, r.memsz, r.align]).toEqual([ph.p_offset, ph.p_vaddr, ph.p_paddr, ph.p_filesz, ph.p_memsz, ph.p_align]);
          expect(r.flags).toBe(readelfFlags(ph.p_flags));
        });
        c.loads.forEach((s, i) => {
          const r = ref.phdrs[i + 1]!;
          expect([r.offset, r.vaddr, r.paddr, r.filesz, r.memsz]).toEqual([s.p_offset, s.p_vaddr, s.p_paddr, s.p_filesz, s.p_memsz]);
        });
        expect(ref.noteSegments.length).toBe(1);
        expect(ref.noteSegments[0]!.notes.map((x) => [x.owner, x.size])).toEqual(c.notes.map((x) => [x.name, x.desc.length]));
      }),
      { seed: 20260101, numRuns: 15 },
    );
  });

  it("PN_XNUM: readelf prints 65535 (real count) and every program header", () => {
    for (const littleEndian of [true, false]) {
      const segments: CoreSegmentInput[] = [{ p_type: PT.NOTE, data: encodeNotes([{ name: "CORE", type: 1, desc: new Uint8Array(336) }], littleEndian) }];
      for (let i = 0; i < 70000; i++) segments.push({ p_type: PT.LOAD, p_flags: 7, p_paddr: BigInt(i) << 12n, p_vaddr: 0xffff888000000000n + (BigInt(i) << 12n), p_memsz: 4096n });
      const bytes = writeElfCore({ e_machine: EM.X86_64, littleEndian, segments });
      const ours = parseElfFile(bytes);
      expect(ours.header.e_phnum).toBe(0xffff);
      expect(ours.phnum).toBe(70001);
      expect(ours.sectionHeader0?.sh_info).toBe(70001);
      const ref = parseReadelfOutput(run("readelf", ["-h", "-l", "-n", "-W"], bytes));
      expect(ref.header.get("Number of program headers")).toBe("65535 (70001)");
      expect(ref.header.get("Number of section headers")).toBe("1");
      expect(ref.header.get("Start of section headers")).toBe(`${ours.header.e_shoff} (bytes into file)`);
      expect(ref.phdrs.length).toBe(70001);
      const last = ref.phdrs.at(-1)!;
      expect([last.paddr, last.vaddr, last.memsz]).toEqual([69999n << 12n, 0xffff888000000000n + (69999n << 12n), 4096n]);
      expect(ref.noteSegments[0]!.notes.map((x) => x.owner)).toEqual(["CORE"]);
    }
  });
});

describeWithPeers("interop with elfutils eu-readelf", [peers.euReadelf], () => {
  it("eu-readelf -h -l shows the header and program headers (random LE/BE files)", () => {
    fc.assert(
      fc.property(cases, (c) => {
        const { bytes } = build(c);
        const ours = parseElfFile(bytes);
        const ref = parseReadelfOutput(run("eu-readelf", ["-h", "-l"], bytes));
        expect(ref.header.get("Data")).toBe(c.littleEndian ? "2's complement, little endian" : "2's complement, big endian");
        expect(Number(ref.header.get("Number of program headers entries"))).toBe(1 + c.loads.length);
        ours.programHeaders.forEach((ph, i) => {
          const r = ref.phdrs[i]!;
          expect([r.type, r.offset, r.vaddr, r.paddr, r.filesz, r.memsz, r.align]).toEqual([
            readelfType(ph.p_type), ph.p_offset, ph.p_vaddr, ph.p_paddr, ph.p_filesz, ph.p_memsz, ph.p_align,
          ]);
        });
      }),
      { seed: 20260102, numRuns: 10 },
    );
  });

  it("eu-readelf -h reads PN_XNUM from section 0's sh_info", () => {
    const segments: CoreSegmentInput[] = Array.from({ length: 65600 }, (_, i) => ({ p_type: PT.LOAD, p_paddr: BigInt(i) }));
    const bytes = writeElfCore({ e_machine: EM.S390, littleEndian: false, segments });
    const ref = parseReadelfOutput(run("eu-readelf", ["-h"], bytes));
    expect(ref.header.get("Number of program headers entries")).toBe("65535 (65600 in [0].sh_info)");
  });

  // eu-readelf decodes NT_PRSTATUS itself: an independent check of each architecture's layout.
  const arches: [PrstatusArch, number, boolean, string, string, RegExp, RegExp][] = [
    ["x86_64", EM.X86_64, true, "rip", "rsp", /rip:\s+0x1122334455667788/, /rsp:\s+0x0000aaaabbbbcccc/],
    ["aarch64", EM.AARCH64, true, "pc", "sp", /pc: 0x1122334455667788/, /sp:\s+0x0000aaaabbbbcccc/],
    ["ppc64", EM.PPC64, false, "nip", "gpr1", /nip: 0x1122334455667788/, /r1:\s+187650270809292/],
    ["ppc64le", EM.PPC64, true, "nip", "gpr1", /nip: 0x1122334455667788/, /r1:\s+187650270809292/],
    ["s390x", EM.S390, false, "psw_addr", "gpr15", /pswa:\s+0x1122334455667788/, /r15:\s+187650270809292/],
  ];
  for (const [arch, em, le, pc, sp, pcRe, spRe] of arches) {
    it(`eu-readelf -n decodes our ${arch} NT_PRSTATUS`, () => {
      const desc = encodePrstatus({ pr_pid: 4242, pr_ppid: 7, registers: { [pc]: 0x1122334455667788n, [sp]: 0xaaaabbbbccccn } }, arch);
      const bytes = writeElfCore({ e_machine: em, littleEndian: le, segments: [{ p_type: PT.NOTE, data: encodeNotes([{ name: "CORE", type: 1, desc }], le) }] });
      const out = run("eu-readelf", ["-n"], bytes);
      expect(out).toMatch(/CORE\s+\d+\s+PRSTATUS/);
      expect(out).toContain("pid: 4242, ppid: 7, pgrp: 0, sid: 0");
      expect(out).toMatch(pcRe);
      expect(out).toMatch(spRe);
    });
  }
});
