// Every error code of the package on malformed input, limits, and mutated headers (typed errors only).
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { EM, PT } from "@kdumpkit/elf";
import { DEFAULT_LIMITS, KdumpkitError, bufferSource, captureVmcore, openDump, openFileSource, readU64 } from "@kdumpkit/vmcore";
import { testNote, writeTestCore } from "./support/elf-writer.js";
import { codeOf } from "./support/error-code.js";

fc.configureGlobal({ seed: 0x4b44554e, numRuns: 200 });

const info = new TextEncoder().encode("OSRELEASE=6.12.0\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffff82000000\nNUMBER(phys_base)=0\n");
const sample = () =>
  writeTestCore({
    phdrs: [
      { p_type: PT.NOTE, data: Uint8Array.from([...testNote("CORE", 1, new Uint8Array(336)), ...testNote("VMCOREINFO", 0, info)]) },
      { p_type: PT.LOAD, p_paddr: 0x1000n, p_vaddr: 0xffff888000001000n, data: new Uint8Array(0x2000).fill(7) },
      { p_type: PT.LOAD, p_paddr: 0x10000n, p_memsz: 0x3000n, data: new Uint8Array(0x1000).fill(9) },
    ],
  });

describe("open", () => {
  it("reads a valid sample: notes, VMCOREINFO, zero tails", () => {
    const dump = openDump(bufferSource(sample()));
    expect(dump.notes.map((n) => n.name)).toEqual(["CORE", "VMCOREINFO"]);
    expect(dump.vmcoreinfo?.osRelease).toBe("6.12.0");
    expect(dump.readPhysical(0x10ffen, 4)).toEqual(Uint8Array.of(9, 9, 0, 0));
  });

  it("ELF32 and big-endian dumps open too", () => {
    for (const [elfClass, littleEndian] of [[32, true], [32, false], [64, false]] as const) {
      const bytes = writeTestCore({ elfClass, littleEndian, e_machine: EM.PPC64, phdrs: [{ p_type: PT.LOAD, p_paddr: 0x2000n, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }] });
      const dump = openDump(bufferSource(bytes));
      expect(dump.header.ident.elfClass).toBe(elfClass);
      expect(dump.littleEndian).toBe(littleEndian);
      expect(dump.arch).toBe(littleEndian ? "ppc64le" : "ppc64");
      expect(dump.pageSize).toBe(65536);
      expect(readU64(dump, 0x2000n, "physical")).toBe(littleEndian ? 0x0807060504030201n : 0x0102030405060708n);
    }
  });

  it("E_NOT_A_DUMP: not ELF, bad class, not ET_CORE, e_phentsize too small", () => {
    expect(codeOf(() => openDump(bufferSource(new TextEncoder().encode("hello, this is not a dump at all"))))).toBe("E_NOT_A_DUMP");
    const badClass = sample();
    badClass[4] = 3;
    expect(codeOf(() => openDump(bufferSource(badClass)))).toBe("E_NOT_A_DUMP");
    expect(codeOf(() => openDump(bufferSource(writeTestCore({ e_type: 2, phdrs: [] }))))).toBe("E_NOT_A_DUMP");
    const smallEntry = sample();
    new DataView(smallEntry.buffer).setUint16(54, 40, true);
    expect(codeOf(() => openDump(bufferSource(smallEntry)))).toBe("E_NOT_A_DUMP");
    expect(codeOf(() => openDump(bufferSource(new Uint8Array(4))))).toBe("E_NOT_A_DUMP");
  });

  it("E_TRUNCATED: the program header table passes the end of the file", () => {
    expect(codeOf(() => openDump(bufferSource(sample().subarray(0, 64 + 56 + 10))))).toBe("E_TRUNCATED");
  });

  it("E_BAD_SEGMENT: a PT_LOAD outside the file is reported at open and its reads refused", () => {
    const bytes = writeTestCore({ phdrs: [{ p_type: PT.LOAD, p_paddr: 0x1000n, p_offset: 0x100000n, p_filesz: 0x1000n, p_memsz: 0x1000n }, { p_type: PT.LOAD, p_paddr: 0x8000n, p_filesz: 0x20n, p_memsz: 0x10n, p_offset: 0n }] });
    const dump = openDump(bufferSource(bytes));
    expect(dump.problems.map((p) => [p.code, p.phdrIndex])).toEqual([["E_BAD_SEGMENT", 0], ["E_BAD_SEGMENT", 1]]);
    expect(dump.loads.every((l) => !l.readable)).toBe(true);
    expect(codeOf(() => dump.readPhysical(0x1800n, 8))).toBe("E_BAD_SEGMENT");
    expect(codeOf(() => dump.readPhysical(0x8000n, 1))).toBe("E_BAD_SEGMENT");
    expect(dump.readableRanges()).toEqual([]);
  });

  it("E_TRUNCATED problem for a PT_NOTE that runs past the file; the part inside is parsed", () => {
    const good = testNote("CORE", 1, new Uint8Array(336));
    const bytes = writeTestCore({ phdrs: [{ p_type: PT.NOTE, data: good, p_filesz: BigInt(good.length + 100) }] });
    const dump = openDump(bufferSource(bytes));
    expect(dump.problems[0]).toMatchObject({ code: "E_TRUNCATED", severity: "error", phdrIndex: 0 });
    expect(dump.notes).toHaveLength(1);
  });

  it("E_LIMIT names the limit: program headers, notes, note bytes", () => {
    const many = writeTestCore({ phdrs: Array.from({ length: 20 }, (_, i) => ({ p_type: PT.LOAD, p_paddr: BigInt(i * 0x1000), data: new Uint8Array(16) })) });
    expect(() => openDump(bufferSource(many), { limits: { maxProgramHeaders: 10 } })).toThrow(/E_LIMIT: limit maxProgramHeaders \(10\)/);
    const notes = writeTestCore({ phdrs: [{ p_type: PT.NOTE, data: Uint8Array.from(Array.from({ length: 5 }, () => [...testNote("CORE", 1, new Uint8Array(8))]).flat()) }] });
    expect(() => openDump(bufferSource(notes), { limits: { maxNotes: 4 } })).toThrow(/limit maxNotes \(4\)/);
    expect(() => openDump(bufferSource(notes), { limits: { maxNoteBytes: 16 } })).toThrow(/limit maxNoteBytes \(16\)/);
    expect(codeOf(() => openDump(bufferSource(notes), { limits: { maxNotes: 4 } }))).toBe("E_LIMIT");
    expect(DEFAULT_LIMITS.maxProgramHeaders).toBeGreaterThanOrEqual(65536);
  });

  it("E_LIMIT before reading a hostile PN_XNUM count", () => {
    const bytes = writeTestCore({ phdrs: [] });
    const withShdr = new Uint8Array(bytes.length + 64);
    withShdr.set(bytes);
    const v = new DataView(withShdr.buffer);
    v.setUint16(56, 0xffff, true); // PN_XNUM
    v.setBigUint64(40, BigInt(bytes.length), true); // e_shoff
    v.setUint32(bytes.length + 44, 50_000_000, true); // sh_info: 50 million phdrs
    expect(() => openDump(bufferSource(withShdr))).toThrow(/E_LIMIT: limit maxProgramHeaders/);
  });

  it("E_NO_VMCOREINFO, E_UNSUPPORTED_ARCH for virtual reads without the means", () => {
    const bare = openDump(bufferSource(writeTestCore({ phdrs: [{ p_type: PT.LOAD, p_paddr: 0n, data: new Uint8Array(16) }] })));
    expect(codeOf(() => bare.readVirtual(0xffffffff81000000n, 8))).toBe("E_NO_VMCOREINFO");
    const arm = openDump(bufferSource(writeTestCore({ e_machine: EM.AARCH64, phdrs: [] })));
    expect(codeOf(() => arm.translate(0xffff800000000000n))).toBe("E_NO_VMCOREINFO");
    const s390 = openDump(bufferSource(writeTestCore({ e_machine: EM.S390, littleEndian: false, phdrs: [] })));
    expect(codeOf(() => s390.translate(0x1000n))).toBe("E_UNSUPPORTED_ARCH");
  });

  it("E_IO for a missing file, E_INVALID_ARGUMENT for bad lengths and closed sources, E_TRUNCATED past the end", () => {
    expect(codeOf(() => openFileSource("/nonexistent/kdumpkit/dump"))).toBe("E_IO");
    const dump = openDump(bufferSource(sample()));
    expect(codeOf(() => dump.readPhysical(0x1000n, -1))).toBe("E_INVALID_ARGUMENT");
    expect(codeOf(() => dump.source.read(dump.source.size - 2, 4))).toBe("E_TRUNCATED");
    dump.close();
    expect(codeOf(() => dump.source.read(0, 4))).toBe("E_INVALID_ARGUMENT");
  });

  it("E_TOO_LARGE: a capture whose PT_NOTE claims 2^60 bytes", () => {
    const hdr = writeTestCore({ phdrs: [{ p_type: PT.NOTE, p_offset: 0x1000n, p_filesz: 1n << 60n, p_memsz: 1n << 60n }] });
    expect(codeOf(() => captureVmcore(hdr, { read: () => new Uint8Array(0) }))).toBe("E_TOO_LARGE");
  });
});

describe("mutated headers", () => {
  const base = sample();
  const headerEnd = 64 + 3 * 56 + 400;
  test.prop([fc.array(fc.tuple(fc.integer({ min: 0, max: headerEnd - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: base.length })])(
    "give typed errors only, never RangeError/TypeError, and reads stay inside the file",
    (edits, cut) => {
      const bytes = base.slice(0, Math.max(cut, 1));
      for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
      const probe = (fn: () => unknown) => {
        try {
          fn();
        } catch (error) {
          if (!(error instanceof KdumpkitError)) throw error;
        }
      };
      probe(() => {
        const dump = openDump(bufferSource(bytes));
        for (const a of [0n, 0x1000n, 0x2ff8n, 0x10000n, 0x12000n]) probe(() => dump.readPhysical(a, 16));
        probe(() => dump.readVirtual(0xffff888000001000n, 16));
        probe(() => dump.readVirtual(0xffffffff81000000n, 16));
        probe(() => {
          let n = 0;
          for (const _ of dump.pages()) if (++n > 100) break; // a hostile p_memsz may describe 2^52 bytes of zeros
        });
      });
    },
  );
});
