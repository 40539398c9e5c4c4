// The real dumps of ../shared/corpus/vmcore: hashes taken by other tools, holes, virtual reads.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { type Dump, VmcoreError, openDump, readCString, readU64 } from "@kdumpkit/vmcore";
import { corpusPath, decompressedCorpusPath, readCorpusJson } from "../../../test-support/corpus.js";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function expectCode(fn: () => unknown, code: string): VmcoreError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(VmcoreError);
    expect((error as VmcoreError).code).toBe(code);
    return error as VmcoreError;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

// struct new_utsname: six char[65] (include/uapi/linux/utsname.h).
const UTS_FIELDS = ["sysname", "nodename", "release", "version", "machine", "domainname"] as const;
function readUtsname(dump: Dump): Record<(typeof UTS_FIELDS)[number], string> {
  const info = dump.vmcoreinfo!;
  // OFFSET(uts_namespace.name) is exported since 2.6.x; in 6.12 `name` is the first member anyway.
  const base = info.symbols.get("init_uts_ns")! + (info.offsets.get("uts_namespace.name") ?? 0n);
  const out = {} as Record<(typeof UTS_FIELDS)[number], string>;
  UTS_FIELDS.forEach((f, i) => (out[f] = readCString(dump, base + BigInt(i * 65), 65, "virtual")));
  return out;
}

interface Truth {
  phys_samples_4096: { paddr: string; sha256: string }[];
  pt_load_count: number;
  nt_prstatus_count: number;
  derived_from_elf: { init_uts_ns: Record<string, string>; page_offset_base: string; linux_banner: { vaddr: string; paddr: string; text: string } };
  vmcoreinfo: Record<string, string | null>;
}

describe("dumpA (QEMU dump-guest-memory, 5-level paging)", () => {
  let dump: Dump;
  const truth = readCorpusJson<Truth>("vmcore/dumpA.truth.json");
  beforeAll(async () => {
    dump = openDump(await decompressedCorpusPath("vmcore/dumpA.elf.xz"));
    return () => dump.close();
  });

  it("opens: 4 PT_LOADs, notes, VMCOREINFO, x86_64, 4 KiB pages, no problems", () => {
    expect(dump.loads).toHaveLength(truth.pt_load_count);
    expect(dump.arch).toBe("x86_64");
    expect(dump.pageSize).toBe(4096);
    expect(dump.notes.filter((n) => n.name === "CORE" && n.n_type === 1)).toHaveLength(truth.nt_prstatus_count);
    expect(dump.vmcoreinfo?.osRelease).toBe(truth.vmcoreinfo.OSRELEASE);
    expect(dump.problems.filter((p) => p.severity === "error")).toEqual([]);
  });

  it("physical pages hash as listed in the truth file", () => {
    expect(truth.phys_samples_4096.length).toBeGreaterThan(5);
    for (const s of truth.phys_samples_4096) {
      expect(sha256(dump.readPhysical(BigInt(s.paddr), 4096)), s.paddr).toBe(s.sha256);
    }
  });

  it("refuses reads in holes, naming the first uncovered address", () => {
    // 0xa0000..0xc0000 is the legacy VGA hole between the first two PT_LOADs.
    expect(expectCode(() => dump.readPhysical(0xa0000n, 16), "E_NOT_IN_DUMP").address).toBe(0xa0000n);
    // A read straddling the end of the first PT_LOAD fails at the first byte past it.
    expect(expectCode(() => dump.readPhysical(0x9fff0n, 64), "E_NOT_IN_DUMP").address).toBe(0xa0000n);
    expectCode(() => dump.readPhysical(0x20000000n, 1), "E_NOT_IN_DUMP");
    expect(dump.isPhysicalCovered(0xa0000n, 1)).toBe(false);
    expect(dump.isPhysicalCovered(0x9f000n, 4096)).toBe(true);
  });

  it("translates 5-level addresses: init_uts_ns holds the utsname drgn could not read", () => {
    const t = dump.translator();
    expect(t.describe().levels).toBe(5);
    const uts = readUtsname(dump);
    expect(uts.release).toBe(dump.vmcoreinfo!.osRelease);
    expect(uts).toEqual(Object.fromEntries(UTS_FIELDS.map((f) => [f, truth.derived_from_elf.init_uts_ns[f]])));
    expect(dump.translate(dump.vmcoreinfo!.symbols.get("init_uts_ns")!)).toBe(BigInt(truth.derived_from_elf.init_uts_ns.paddr!));
  });

  it("the page walk agrees with the kernel-image fast path", () => {
    const t = dump.translator();
    for (const sym of ["init_uts_ns", "_stext", "init_top_pgt", "prb"]) {
      const va = dump.vmcoreinfo!.symbols.get(sym)!;
      expect(t.walk(va).physicalAddress, sym).toBe(t.translate(va));
    }
    const banner = truth.derived_from_elf.linux_banner;
    const text = new TextDecoder().decode(dump.readVirtual(BigInt(banner.vaddr), banner.text.length));
    expect(text).toBe(banner.text);
  });

  it("finds page_offset_base in the page tables; direct-map reads equal physical reads", () => {
    const t = dump.translator();
    expect(t.describe().page_offset_base).toBe(truth.derived_from_elf.page_offset_base);
    const base = BigInt(truth.derived_from_elf.page_offset_base);
    for (const s of truth.phys_samples_4096.slice(0, 5)) {
      const pa = BigInt(s.paddr);
      expect(t.walk(base + pa).physicalAddress).toBe(pa);
      expect(sha256(dump.readVirtual(base + pa, 4096))).toBe(s.sha256);
    }
    // SYMBOL(mem_section) is a direct-map pointer: its walk lands in RAM.
    const ms = dump.vmcoreinfo!.symbols.get("mem_section")!;
    expect(t.walk(ms).physicalAddress).toBe(ms - base);
  });

  it("refuses non-canonical and unmapped virtual addresses", () => {
    expectCode(() => dump.translate(0x0100000000000000n), "E_NO_TRANSLATION");
    // The lowest user page is never mapped in init_top_pgt.
    expectCode(() => dump.translator().walk(0x1000n), "E_NO_TRANSLATION");
  });
});

describe("dumpP.d31 (kdump /proc/vmcore filtered by makedumpfile -E -d 31)", () => {
  let dump: Dump;
  const truth = readCorpusJson<Truth>("vmcore/dumpP.truth.json");
  const samples = readCorpusJson<{ loads: { paddr: string; vaddr: string; size: string }[]; samples: { paddr: string; length: number; sha256: string }[]; holes: string[] }>(
    "vmcore/dumpP.d31.samples.json",
  );
  beforeAll(async () => {
    dump = openDump(await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz"));
    return () => dump.close();
  });

  it("opens with the PT_LOADs listed beside it", () => {
    expect(dump.loads.map((l) => ({ paddr: `0x${l.paddr.toString(16)}`, vaddr: `0x${l.vaddr.toString(16)}`, size: `0x${l.memsz.toString(16)}` }))).toEqual(samples.loads);
    expect(dump.notes.filter((n) => n.n_type === 1)).toHaveLength(2);
  });

  it("reports the kernel-text PT_LOADs as duplicates of RAM, served by the RAM PT_LOADs", () => {
    const overlaps = dump.problems.filter((p) => p.code === "E_OVERLAP");
    expect(overlaps.map((p) => p.severity)).toEqual(["info", "info", "info"]);
    expect(dump.loads.filter((l) => !l.readable).map((l) => l.index)).toEqual([1, 2, 3]);
    expect(dump.loads.filter((l) => !l.readable).map((l) => l.refusal?.servedBy)).toEqual([9, 10, 11]);
    expect(dump.problems.filter((p) => p.severity === "error")).toEqual([]);
  });

  it("names each duplicate by its row in readelf's listing (phdr N, kernel text) and the RAM row that serves it", () => {
    // Program-header rows of the stored `readelf -l`, in table order: row i is phdr i.
    const listing = readFileSync(corpusPath("vmcore/dumpP.d31.readelf.txt"), "utf8").split("\n");
    const rows = listing.slice(listing.findIndex((l) => l.startsWith("Program Headers:")) + 2).map((l) => /^\s+([A-Z]+)\s+\S+\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+\S+\s+(0x[0-9a-f]+)/.exec(l));
    const phdrs = rows.slice(0, rows.indexOf(null)).map((m) => ({ type: m![1]!, vaddr: BigInt(m![2]!), paddr: BigInt(m![3]!), memsz: BigInt(m![4]!) }));
    expect(phdrs[0]!.type).toBe("NOTE"); // so phdr N is the N-th PT_LOAD, not the (N+1)-th
    const re = /^phdr (\d+) \(kernel text, paddr (0x[0-9a-f]+) \+ (0x[0-9a-f]+)\) duplicates RAM that phdr (\d+) covers; reads use phdr (\d+) \(normal for kdump\)$/;
    const infos = dump.problems.filter((p) => p.code === "E_OVERLAP");
    expect(infos).toHaveLength(3);
    for (const p of infos) {
      const m = re.exec(p.message);
      expect(m, p.message).not.toBeNull();
      const [dup, ram] = [phdrs[Number(m![1])]!, phdrs[Number(m![4])]!];
      expect(Number(m![1])).toBe(p.phdrIndex);
      expect([dup.type, dup.paddr, dup.memsz]).toEqual(["LOAD", BigInt(m![2]!), BigInt(m![3]!)]);
      expect(dup.vaddr >= 0xffffffff80000000n).toBe(true); // the kernel image map
      expect(ram.type).toBe("LOAD");
      expect(ram.paddr <= dup.paddr && dup.paddr + dup.memsz <= ram.paddr + ram.memsz).toBe(true);
      expect(ram.vaddr < 0xffffffff80000000n).toBe(true); // the direct map
      expect(m![5]).toBe(m![4]);
    }
  });

  it("page hashes match the samples file", () => {
    expect(samples.samples.length).toBeGreaterThan(10);
    for (const s of samples.samples) expect(sha256(dump.readPhysical(BigInt(s.paddr), s.length)), s.paddr).toBe(s.sha256);
  });

  it("holes fail with E_NOT_IN_DUMP", () => {
    for (const h of samples.holes) expect(expectCode(() => dump.readPhysical(BigInt(h), 4096), "E_NOT_IN_DUMP").address).toBe(BigInt(h));
  });

  it("excluded pages (p_filesz < p_memsz) read as zeros", () => {
    const seg = dump.loads.find((l) => l.filesz < l.memsz && l.readable)!;
    const page = dump.readPhysical(seg.paddr + seg.filesz, 4096);
    expect(page.every((b) => b === 0)).toBe(true);
  });

  it("readVirtual(SYMBOL(init_uts_ns)) gives the utsname whose release is OSRELEASE", () => {
    const uts = readUtsname(dump);
    expect(uts.release).toBe(dump.vmcoreinfo!.osRelease);
    expect(uts.machine).toBe("x86_64");
    expect(uts.version).toBe(truth.derived_from_elf.init_uts_ns.version);
  });

  it("a direct-map address from a PT_LOAD's p_vaddr reads the same bytes as its physical address, also by page walk", () => {
    const t = dump.translator();
    for (const s of samples.samples.slice(0, 8)) {
      const pa = BigInt(s.paddr);
      const load = dump.loads.find((l) => l.vaddr < 0xffffffff80000000n && l.paddr <= pa && pa < l.paddr + l.memsz)!;
      const va = load.vaddr + (pa - load.paddr);
      expect(sha256(dump.readVirtual(va, 4096))).toBe(s.sha256);
      expect(t.walk(va).physicalAddress).toBe(pa);
    }
    expect(t.describe().page_offset_base).toBe(truth.derived_from_elf.page_offset_base);
  });

  it("kernel-image addresses outside the mapped image are walked, never computed by formula (KASLR: nothing below _text)", () => {
    const t = dump.translator();
    const text = dump.loads.filter((l) => l.vaddr >= 0xffffffff80000000n);
    const start = text[0]!.vaddr;
    const end = text.reduce((e, l) => (l.vaddr + l.memsz > e ? l.vaddr + l.memsz : e), start);
    // The unrandomized _text: with phys_base < 0 the formula would give a negative "physical" address.
    const below = expectCode(() => dump.readVirtual(0xffffffff81000000n, 64), "E_NO_TRANSLATION");
    expect(below.message).not.toMatch(/-0x/);
    // Around both ends of the image, the translation equals the page walk's (or fails the same way).
    for (const va of [start - 4096n, start, start + 0x123456n, end - 8n, end, end + 0x200000n, 0xffffffffbfff0000n]) {
      let fast: string;
      let walked: string;
      try { fast = dump.translate(va).toString(16); } catch (e) { fast = (e as VmcoreError).code; }
      try { walked = t.walk(va).physicalAddress.toString(16); } catch (e) { walked = (e as VmcoreError).code; }
      expect(fast, `0x${va.toString(16)}`).toBe(walked);
    }
  });

  it("reads the prb pointer (a kernel-image variable) through both paths", () => {
    const prb = dump.vmcoreinfo!.symbols.get("prb")!;
    const ptr = readU64(dump, prb, "virtual");
    expect(ptr).toBe(readU64(dump, dump.translator().walk(prb).physicalAddress, "physical"));
    expect(ptr >> 40n).toBe(0xffffffn);
  });

  it("readableRanges are merged and sorted", () => {
    const ranges = dump.readableRanges();
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start > ranges[i - 1]!.end).toBe(true);
    expect(ranges[0]!.start).toBe(0x100000n);
  });
});
