// Every AnalyzerError code, provoked by malformed input, asserting the exact code.
import { AnalyzerError, cpus, lookupSystemMap, openInput, parseIomem, readMemory, resolveSymbols, vmcoreinfo } from "@kdumpkit/analyzer";
import { parseVmcoreinfo } from "@kdumpkit/elf";
import { describe, expect, it } from "vitest";
import { corpusPath } from "../../../test-support/corpus.js";
import { tempFile } from "./support/files.js";
import { crash, RAM_A, systemMapText } from "./support/synthetic-kernel.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AnalyzerError);
    return (error as AnalyzerError).code;
  }
  return undefined;
}

describe("analyzer error codes", () => {
  it("E_BAD_SYSTEM_MAP: a map that is not nm output, with the offset of the bad line", () => {
    expect(codeOf(() => lookupSystemMap("this is not a map\n", ["x"]))).toBe("E_BAD_SYSTEM_MAP");
    const bad = "ffffffff81000000 T _text\nffffffff8100zz00 D crash_notes\n";
    let caught: AnalyzerError | undefined;
    try {
      lookupSystemMap(bad, ["crash_notes"]);
    } catch (e) {
      caught = e as AnalyzerError;
    }
    expect(caught?.code).toBe("E_BAD_SYSTEM_MAP");
    expect(caught?.offset).toBe(bad.indexOf("ffffffff8100zz00"));
  });

  it("lookupSystemMap ignores names that only end a longer symbol or appear twice", () => {
    const map = "ffffffff81000000 T _text\nffffffff81000010 D my_crash_notes\nffffffff81000020 B crash_notes\nffffffff81000030 B crash_notes\n";
    expect(lookupSystemMap(map, ["crash_notes", "absent"]).get("crash_notes")?.address).toBe(0xffffffff81000020n);
    expect(lookupSystemMap(map, ["absent"]).size).toBe(0);
  });

  it("E_SYSTEM_MAP_MISMATCH: a map of another build (its _stext disagrees after KASLR)", () => {
    const info = parseVmcoreinfo("OSRELEASE=x\nPAGESIZE=4096\nSYMBOL(_stext)=ffffffff82000000\nKERNELOFFSET=1000000\n");
    const shifted = systemMapText().replace("ffffffff81000000 T _stext", "ffffffff81001000 T _stext");
    expect(codeOf(() => resolveSymbols(["crash_notes"], info, shifted))).toBe("E_SYSTEM_MAP_MISMATCH");
    expect(resolveSymbols(["crash_notes"], info, systemMapText()).get("crash_notes")?.address).toBe(0xffffffff82001800n);
  });

  it("E_BAD_IOMEM: malformed line, reversed range, listing read without privileges", () => {
    expect(codeOf(() => parseIomem("00001000-0009fbff : System RAM\nnonsense\n"))).toBe("E_BAD_IOMEM");
    expect(codeOf(() => parseIomem("00002000-00001000 : System RAM\n"))).toBe("E_BAD_IOMEM");
    expect(codeOf(() => parseIomem("00000000-00000000 : System RAM\n00000000-00000000 : Reserved\n"))).toBe("E_BAD_IOMEM");
  });

  it("E_BAD_ARGUMENT and E_NO_MEMORY from read; vmcoreinfo of a bare elfcorehdr is E_NO_MEMORY", async () => {
    const c = crash({ possible: 1, present: [0], online: [0], headerCpus: [0], headerMemory: [RAM_A], ramAtCrash: [RAM_A], crashCpu: 0 });
    const dump = await openInput(tempFile("errors.vmcore", c.vmcore));
    expect(codeOf(() => readMemory(dump, { length: 16 }))).toBe("E_BAD_ARGUMENT");
    expect(codeOf(() => readMemory(dump, { physical: 0x100000n, virtual: 0xffffffff82000000n, length: 16 }))).toBe("E_BAD_ARGUMENT");
    expect(codeOf(() => readMemory(dump, { physical: 0x100000n, length: 0 }))).toBe("E_BAD_ARGUMENT");
    const bare = await openInput(corpusPath("vmcore/dumpP.elfcorehdr-raw.bin"));
    expect(codeOf(() => readMemory(bare, { physical: 0x100000n, length: 16 }))).toBe("E_NO_MEMORY");
    expect(codeOf(() => vmcoreinfo(bare))).toBe("E_NO_MEMORY");
    // cpus on a bare header describes the slots instead of failing.
    expect(cpus(bare).cpus.map((r) => r.verdictCode)).toEqual(["elfcorehdr-slot", "elfcorehdr-slot", "elfcorehdr-slot"]);
  });

  it("addresses outside PT_LOAD fail with @kdumpkit/vmcore's E_NOT_IN_DUMP", async () => {
    const c = crash({ possible: 1, present: [0], online: [0], headerCpus: [0], headerMemory: [RAM_A], ramAtCrash: [RAM_A], crashCpu: 0 });
    const dump = await openInput(tempFile("outside.vmcore", c.vmcore));
    expect(() => readMemory(dump, { physical: 0x10000000n, length: 16 })).toThrow(expect.objectContaining({ code: "E_NOT_IN_DUMP" }));
    expect(readMemory(dump, { physical: RAM_A.start, length: 16 }).data).toHaveLength(32);
  });
});
