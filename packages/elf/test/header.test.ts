import { ElfError, KdumpkitError, PN_XNUM, parseElfFile, parseElfHeader, parseProgramHeaders, parseSectionHeader, toSafeNumber } from "@kdumpkit/elf";
import { describe, expect, it } from "vitest";
import { readCorpusBytes } from "../../../test-support/corpus.js";

// The kernel-made elfcorehdr from the corpus is the base of these malformed inputs.
const raw = () => readCorpusBytes("vmcore/dumpP.elfcorehdr-raw.bin");

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ElfError);
    expect(e).toBeInstanceOf(KdumpkitError);
    return (e as ElfError).code;
  }
  throw new Error("no error thrown");
}

describe("parseElfHeader", () => {
  it("decodes the kernel's elfcorehdr header (values from readelf -h)", () => {
    const h = parseElfHeader(raw());
    expect(h.ident).toEqual({ elfClass: 64, littleEndian: true, version: 1, osabi: 0, abiversion: 0 });
    expect([h.e_type, h.e_machine, h.e_version, h.e_phoff, h.e_shoff, h.e_ehsize, h.e_phentsize, h.e_phnum, h.e_shentsize, h.e_shnum]).toEqual([
      4, 62, 1, 64n, 0n, 64, 56, 7, 0, 0,
    ]);
  });

  it("E_TRUNCATED: fewer bytes than e_ident or Ehdr, with the offset", () => {
    expect(code(() => parseElfHeader(raw().subarray(0, 10)))).toBe("E_TRUNCATED");
    expect(code(() => parseElfHeader(raw().subarray(0, 63)))).toBe("E_TRUNCATED");
    try {
      parseElfHeader(raw().subarray(0, 40));
    } catch (e) {
      expect((e as ElfError).offset).toBe(0);
    }
  });

  it("E_BAD_MAGIC / E_BAD_CLASS / E_BAD_DATA / E_BAD_VERSION name the byte", () => {
    const cases: [number, number, string][] = [
      [1, 0x46, "E_BAD_MAGIC"],
      [4, 3, "E_BAD_CLASS"],
      [5, 0, "E_BAD_DATA"],
      [6, 2, "E_BAD_VERSION"],
    ];
    for (const [at, value, expected] of cases) {
      const b = raw();
      b[at] = value;
      let err: ElfError | undefined;
      try {
        parseElfHeader(b);
      } catch (e) {
        err = e as ElfError;
      }
      expect(err?.code).toBe(expected);
      expect(err?.offset).toBe(at);
    }
  });

  it("reads ELF32 big-endian headers", () => {
    const b = new Uint8Array(52);
    b.set([0x7f, 0x45, 0x4c, 0x46, 1, 2, 1]);
    const v = new DataView(b.buffer);
    v.setUint16(16, 4);
    v.setUint16(18, 20);
    v.setUint32(28, 52);
    v.setUint16(42, 32);
    v.setUint16(44, 3);
    const h = parseElfHeader(b);
    expect([h.ident.elfClass, h.ident.littleEndian, h.e_type, h.e_machine, h.e_phoff, h.e_phentsize, h.e_phnum]).toEqual([32, false, 4, 20, 52n, 32, 3]);
  });
});

describe("parseElfFile errors", () => {
  it("E_OUT_OF_BOUNDS when the phdr table is cut off", () => {
    expect(code(() => parseElfFile(raw().subarray(0, 64 + 56 * 3), { outsideNotes: "skip" }))).toBe("E_OUT_OF_BOUNDS");
  });

  it("E_BAD_HEADER for e_phentsize smaller than Elf64_Phdr", () => {
    const b = raw();
    new DataView(b.buffer, b.byteOffset).setUint16(54, 40, true);
    expect(code(() => parseElfFile(b, { outsideNotes: "skip" }))).toBe("E_BAD_HEADER");
  });

  it("E_BAD_HEADER for PN_XNUM without a section header 0", () => {
    const b = raw();
    new DataView(b.buffer, b.byteOffset).setUint16(56, PN_XNUM, true);
    expect(code(() => parseElfFile(b, { outsideNotes: "skip" }))).toBe("E_BAD_HEADER");
  });

  it("E_TOO_LARGE for an e_phoff above 2^53", () => {
    const b = raw();
    new DataView(b.buffer, b.byteOffset).setBigUint64(32, 1n << 60n, true);
    expect(code(() => parseElfFile(b, { outsideNotes: "skip" }))).toBe("E_TOO_LARGE");
  });

  it("E_OUT_OF_BOUNDS for a section header offset past the end when the phdr count lives there (PN_XNUM)", () => {
    const b = raw();
    const view = new DataView(b.buffer, b.byteOffset);
    view.setBigUint64(40, 4096n, true);
    view.setUint16(56, PN_XNUM, true);
    expect(code(() => parseElfFile(b, { outsideNotes: "skip" }))).toBe("E_OUT_OF_BOUNDS");
  });

  it("E_TRUNCATED when section header 0 is cut off", () => {
    const b = raw();
    new DataView(b.buffer, b.byteOffset).setBigUint64(40, 440n, true);
    expect(code(() => parseSectionHeader(b.subarray(440), parseElfHeader(b).ident))).toBe("E_TRUNCATED");
  });

  it("E_INVALID_ARGUMENT for a negative phdr count", () => {
    expect(code(() => parseProgramHeaders(raw(), parseElfHeader(raw()).ident, -1))).toBe("E_INVALID_ARGUMENT");
  });
});

describe("toSafeNumber", () => {
  it("passes values up to 2^53-1 and throws E_TOO_LARGE above", () => {
    expect(toSafeNumber(2n ** 53n - 1n, "x")).toBe(Number.MAX_SAFE_INTEGER);
    expect(code(() => toSafeNumber(2n ** 53n, "x", 12))).toBe("E_TOO_LARGE");
    expect(code(() => toSafeNumber(-1n, "x"))).toBe("E_TOO_LARGE");
  });
});

describe("parseElfFile and the section header table", () => {
  // A core with a section table (as a PN_XNUM writer or QEMU leaves one), then cut short.
  function withSectionTableAt(shoff: bigint, phnum?: number): Uint8Array {
    const bytes = raw().slice();
    const view = new DataView(bytes.buffer);
    view.setBigUint64(40, shoff, true); // e_shoff
    view.setUint16(58, 64, true); // e_shentsize
    view.setUint16(60, 1, true); // e_shnum
    if (phnum !== undefined) view.setUint16(56, phnum, true); // e_phnum
    return bytes;
  }

  it("tolerates a section table past the end when e_phnum does not depend on it, with a warning", () => {
    const file = parseElfFile(withSectionTableAt(0x10000n), { outsideNotes: "skip" });
    expect(file.phnum).toBe(7);
    expect(file.programHeaders).toHaveLength(7);
    expect(file.sectionHeader0).toBeUndefined();
    expect(file.warnings).toEqual([expect.stringMatching(/section header 0 at 65536 is past the end/)]);
  });

  it("E_OUT_OF_BOUNDS when e_phnum is PN_XNUM and section 0 (the real count) is past the end", () => {
    expect(code(() => parseElfFile(withSectionTableAt(0x10000n, PN_XNUM), { outsideNotes: "skip" }))).toBe("E_OUT_OF_BOUNDS");
    // a section table that starts inside but ends past the buffer is no better
    expect(code(() => parseElfFile(withSectionTableAt(BigInt(raw().length - 10), PN_XNUM), { outsideNotes: "skip" }))).toBe("E_OUT_OF_BOUNDS");
  });

  it("has no warnings for a well-formed file", () => {
    expect(parseElfFile(raw(), { outsideNotes: "skip" }).warnings).toEqual([]);
  });
});
