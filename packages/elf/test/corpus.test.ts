// Real samples: the ELF dumps of ../shared/corpus/vmcore read by our reader must match the
// readelf output and the ground-truth JSON stored beside them.
import { closeSync, openSync, readSync } from "node:fs";
import {
  NT,
  PT,
  parseElfFile,
  parsePrstatus,
  parseVmcoreinfo,
  prstatusArchForMachine,
  ptName,
} from "@kdumpkit/elf";
import { beforeAll, describe, expect, it } from "vitest";
import { decompressedCorpusPath, readCorpusJson, readCorpusText } from "../../../test-support/corpus.js";
import { parseReadelfOutput, readelfFlags } from "./support/readelf-output.js";

/** Reads only the first `length` bytes (dumpA is ~0.5 GB decompressed). */
function readHead(path: string, length: number): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const buf = new Uint8Array(length);
    const n = readSync(fd, buf, 0, length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

const samples = [
  { name: "dumpA", xz: "vmcore/dumpA.elf.xz", readelf: "vmcore/dumpA.readelf.txt", truth: "vmcore/dumpA.truth.json" },
  { name: "dumpP.d31", xz: "vmcore/dumpP.d31.elf.xz", readelf: "vmcore/dumpP.d31.readelf.txt", truth: undefined },
] as const;

for (const sample of samples) {
  describe(`corpus ${sample.name}`, () => {
    let head: Uint8Array;
    beforeAll(async () => {
      head = readHead(await decompressedCorpusPath(sample.xz), 64 * 1024);
    });

    it("header and program headers match readelf", () => {
      const file = parseElfFile(head);
      const ref = parseReadelfOutput(readCorpusText(sample.readelf));
      expect(file.header.e_phoff).toBe(BigInt(Number.parseInt(ref.header.get("Start of program headers")!, 10)));
      expect(file.header.e_shoff).toBe(BigInt(Number.parseInt(ref.header.get("Start of section headers")!, 10)));
      expect(file.header.e_ehsize).toBe(Number.parseInt(ref.header.get("Size of this header")!, 10));
      expect(file.header.e_shnum).toBe(Number(ref.header.get("Number of section headers")));
      expect(file.phnum).toBe(Number(ref.header.get("Number of program headers")));
      expect(file.programHeaders.length).toBe(ref.phdrs.length);
      file.programHeaders.forEach((ph, i) => {
        const r = ref.phdrs[i]!;
        expect(ptName(ph.p_type)).toBe(`PT_${r.type}`);
        expect([ph.p_offset, ph.p_vaddr, ph.p_paddr, ph.p_filesz, ph.p_memsz, ph.p_align]).toEqual([
          r.offset, r.vaddr, r.paddr, r.filesz, r.memsz, r.align,
        ]);
        expect(readelfFlags(ph.p_flags)).toBe(r.flags);
      });
    });

    it("notes match readelf (owner, size, offset, length)", () => {
      const file = parseElfFile(head);
      const ref = parseReadelfOutput(readCorpusText(sample.readelf));
      expect(file.noteSegments.length).toBe(ref.noteSegments.length);
      file.noteSegments.forEach((seg, i) => {
        const r = ref.noteSegments[i]!;
        expect(BigInt(seg.fileOffset!)).toBe(r.offset);
        expect(BigInt(seg.size!)).toBe(r.length);
        expect(seg.end.kind).toBe("end");
        expect(seg.notes.map((n) => [n.name, n.n_descsz])).toEqual(r.notes.map((n) => [n.owner, n.size]));
        for (const [k, n] of seg.notes.entries()) {
          if (r.notes[k]!.description.startsWith("NT_PRSTATUS")) expect(n.typeName).toBe("NT_PRSTATUS");
        }
      });
    });

    if (sample.truth) {
      it("notes, registers and VMCOREINFO match the truth JSON", () => {
        const truth = readCorpusJson(sample.truth);
        const file = parseElfFile(head);
        const notes = file.noteSegments.flatMap((s) => s.notes);
        expect(notes.map((n) => ({ name: n.name, type: n.n_type, descsz: n.n_descsz, file_offset: `0x${n.offset.toString(16)}` }))).toEqual(
          truth.notes,
        );
        const arch = prstatusArchForMachine(file.header.e_machine, file.header.ident.littleEndian)!;
        const prs = notes.filter((n) => n.name === "CORE" && n.n_type === NT.PRSTATUS).map((n) => parsePrstatus(n.desc, arch));
        expect(prs.length).toBe(truth.nt_prstatus_count);
        prs.forEach((p, i) => {
          const t = truth.nt_prstatus[i];
          expect(p.pr_pid).toBe(t.pr_pid);
          expect(p.pr_cursig).toBe(t.pr_cursig);
          for (const [reg, value] of Object.entries(t.regs as Record<string, string>)) expect(p.registers[reg]).toBe(BigInt(value));
          expect(p.pc).toBe(BigInt(t.regs.rip));
          expect(p.sp).toBe(BigInt(t.regs.rsp));
        });
        const vmci = notes.find((n) => n.name === "VMCOREINFO")!;
        const info = parseVmcoreinfo(vmci.desc);
        for (const [key, value] of Object.entries(truth.vmcoreinfo as Record<string, string | null>)) {
          const line = info.lines.find((l) => l.key === key);
          // null in the truth means "key absent" (dumpA has no CRASHTIME).
          expect(line?.value ?? null, key).toBe(value);
        }
        expect(info.osRelease).toBe(truth.vmcoreinfo.OSRELEASE);
        expect(info.pageSize).toBe(4096);
        expect(info.numbers.get("pgtable_l5_enabled")).toBe(1n);
        expect(info.kernelOffset).toBe(BigInt(`0x${truth.vmcoreinfo.KERNELOFFSET}`));
        expect(info.lines.length).toBe(truth.vmcoreinfo_keys);
        expect(file.programHeaders.filter((p) => p.p_type === PT.LOAD).length).toBe(truth.pt_load_count);
      });
    }
  });
}

describe("corpus dumpP.d31 against dumpP.truth.json", () => {
  it("the filtered dump keeps the kernel's notes: PRSTATUS registers and VMCOREINFO match the full dump's truth", async () => {
    const truth = readCorpusJson("vmcore/dumpP.truth.json");
    const file = parseElfFile(readHead(await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz"), 64 * 1024));
    const notes = file.noteSegments.flatMap((s) => s.notes);
    expect(notes.map((n) => ({ name: n.name, type: n.n_type, descsz: n.n_descsz }))).toEqual(
      truth.notes.map((n: { name: string; type: number; descsz: number }) => ({ name: n.name, type: n.type, descsz: n.descsz })),
    );
    const prs = notes.filter((n) => n.typeName === "NT_PRSTATUS").map((n) => parsePrstatus(n.desc, "x86_64"));
    expect(prs.map((p) => p.pr_pid)).toEqual(truth.nt_prstatus.map((t: { pr_pid: number }) => t.pr_pid));
    prs.forEach((p, i) => {
      for (const [reg, value] of Object.entries(truth.nt_prstatus[i].regs as Record<string, string>)) expect(p.registers[reg]).toBe(BigInt(value));
    });
    const info = parseVmcoreinfo(notes.find((n) => n.typeName === "VMCOREINFO")!.desc);
    expect(info.crashTime).toBe(BigInt(truth.vmcoreinfo.CRASHTIME));
    expect(info.numbers.get("phys_base")).toBe(BigInt(truth.vmcoreinfo["NUMBER(phys_base)"]));
    expect(info.lines.length).toBe(truth.vmcoreinfo_keys);
  });
});

describe("corpus dumpP.elfcorehdr-raw.bin", () => {
  it("reads the kernel's elfcorehdr like readelf (PT_NOTE offsets are physical addresses)", async () => {
    const { readCorpusBytes } = await import("../../../test-support/corpus.js");
    const raw = readCorpusBytes("vmcore/dumpP.elfcorehdr-raw.bin");
    expect(() => parseElfFile(raw)).toThrowError(expect.objectContaining({ code: "E_OUT_OF_BOUNDS" }));
    const file = parseElfFile(raw, { outsideNotes: "skip" });
    expect(file.phnum).toBe(7);
    expect(file.noteSegments).toEqual([]);
    expect(file.programHeaders.map((p) => ptName(p.p_type))).toEqual(["PT_NOTE", "PT_NOTE", "PT_NOTE", "PT_NOTE", "PT_LOAD", "PT_LOAD", "PT_LOAD"]);
  });
});
