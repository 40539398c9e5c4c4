// Capture-kernel emulation against a real kernel's output and against readelf.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EM, ElfError, PT, buildElfcorehdr, parseElfHeader, parseProgramHeaders } from "@kdumpkit/elf";
import { VmcoreError, captureVmcore, openDump } from "@kdumpkit/vmcore";
import { decompressedCorpusPath, readCorpusBytes, readCorpusText } from "../../../test-support/corpus.js";
import { describeWithPeers, peers } from "../../../test-support/peers.js";
import { codeOf } from "./support/error-code.js";
import { patternBytes, sparseOldMemory, testNote, writeTestCore } from "./support/elf-writer.js";

const withFinalNote = (b: Uint8Array) => Uint8Array.from([...b, ...new Uint8Array(12)]);
const dir = mkdtempSync(join(tmpdir(), "kdumpkit-capture-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function phdrsOf(header: Uint8Array) {
  const ehdr = parseElfHeader(header);
  return parseProgramHeaders(header.subarray(Number(ehdr.e_phoff)), ehdr.ident, ehdr.e_phnum);
}

describe("the real elfcorehdr of dumpP (kernel 6.12, CPU 1 offline)", async () => {
  const raw = readCorpusBytes("vmcore/dumpP.elfcorehdr-raw.bin");
  // The notes as the real capture kernel merged them survive verbatim in makedumpfile's -E output.
  const d31 = openDump(await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz"));
  const seg = d31.noteSegments[0]!;
  const realNotes = d31.source.read(seg.fileOffset!, seg.size!);
  d31.close();
  const [cpu0, cpu2, vmcoreinfo] = seg.notes.map((n) => realNotes.subarray(n.offset - seg.fileOffset!, n.offset - seg.fileOffset! + 12 + ((n.n_namesz + 3) & ~3) + ((n.n_descsz + 3) & ~3)));
  const old = sparseOldMemory([
    { address: 0x2223d800n, bytes: withFinalNote(cpu0!) }, // CPU 0: its crash_notes, then final_note's 12 zero bytes
    { address: 0x222bd800n, bytes: new Uint8Array(0x170) }, // CPU 1 was offline: never written
    { address: 0x2233d800n, bytes: withFinalNote(cpu2!) },
    { address: 0x2234c000n, bytes: Uint8Array.from([...vmcoreinfo!, ...new Uint8Array(0x1024 - vmcoreinfo!.length)]) },
  ]);
  const vmcore = captureVmcore(raw, old);

  it("drops CPU 1's zeroed notes as the kernel does, and merges the rest byte for byte", () => {
    expect(vmcore.droppedNotes).toEqual([{ phdrIndex: 1, address: 0x222bd800n, reason: "Warning: Zero PT_NOTE entries found" }]);
    expect(vmcore.notes.subarray(0, realNotes.length)).toEqual(realNotes);
    expect(vmcore.notes.length).toBe(4096);
  });

  it("lays out the program headers exactly as the real /proc/vmcore (readelf of dumpP.elf)", () => {
    const text = readCorpusText("vmcore/dumpP.readelf.txt");
    const rows = [...text.matchAll(/^\s+(NOTE|LOAD)\s+(0x[0-9a-f]+) (0x[0-9a-f]+) (0x[0-9a-f]+) (0x[0-9a-f]+) (0x[0-9a-f]+)/gm)].map((m) => ({
      type: m[1], offset: BigInt(m[2]!), vaddr: BigInt(m[3]!), paddr: BigInt(m[4]!), filesz: BigInt(m[5]!), memsz: BigInt(m[6]!),
    }));
    expect(rows).toHaveLength(4);
    const ours = phdrsOf(vmcore.header).map((p) => ({ type: p.p_type === PT.NOTE ? "NOTE" : "LOAD", offset: p.p_offset, vaddr: p.p_vaddr, paddr: p.p_paddr, filesz: p.p_filesz, memsz: p.p_memsz }));
    expect(ours).toEqual(rows);
    expect(phdrsOf(vmcore.header)[0]!.p_align).toBe(4n);
    expect(vmcore.size).toBe(649129984); // dumpP.SUMMARY.md: the real file's size
  });

  it("serves old memory at the PT_LOAD offsets", () => {
    expect(vmcore.read(0x2000, 64)).toEqual(patternBytes(0x16a00000n, 64));
    // Across the boundary between the first and second range.
    const at = 0x2c32000 - 32;
    expect(vmcore.read(at, 64)).toEqual(Uint8Array.from([...patternBytes(0x16a00000n + 0x2c30000n - 32n, 32), ...patternBytes(0x100000n, 32)]));
    expect(vmcore.read(vmcore.size - 10, 100)).toHaveLength(10);
  });
});

const LE = true;
function prstatus(pid: number): Uint8Array {
  const d = new Uint8Array(336);
  new DataView(d.buffer).setUint32(32, pid, LE);
  return d;
}

/** A small crashed machine: 4 CPUs (1 and 3 never saved notes), VMCOREINFO, kernel text inside RAM, a RAM range not page aligned. */
function smallScenario() {
  const cpuNotes = [0x7000n, 0x7400n, 0x7800n, 0x7c00n];
  const vmcoreinfoAt = 0x8000n;
  const info = new TextEncoder().encode("OSRELEASE=6.12.0-test\nPAGESIZE=4096\n");
  const infoNote = testNote("VMCOREINFO", 0, info);
  const loads = [
    { paddr: 0x1800n, memsz: 0x1000n, vaddr: 0xffff888000001800n }, // not page aligned: page rounding shows
    { paddr: 0x100000n, memsz: 0x300000n, vaddr: 0xffff888000100000n },
    { paddr: 0x200000n, memsz: 0x20000n, vaddr: 0xffffffff81000000n }, // kernel text, inside RAM
  ];
  // Built by @kdumpkit/elf exactly as the kernel prepares it (PT_NOTE per possible CPU, VMCOREINFO, kernel text, RAM).
  const hdr = buildElfcorehdr({
    e_machine: EM.X86_64,
    cpus: cpuNotes.map((crashNotesAddress, cpu) => ({ cpu, crashNotesAddress })),
    noteBytes: 0x170,
    vmcoreinfo: { address: vmcoreinfoAt, size: 0x1024 },
    kernelText: { paddr: loads[2]!.paddr, vaddr: loads[2]!.vaddr, size: loads[2]!.memsz },
    memory: loads.slice(0, 2).map((l) => ({ start: l.paddr, end: l.paddr + l.memsz - 1n })),
    pageOffset: 0xffff888000000000n,
  });
  const old = sparseOldMemory([
    { address: cpuNotes[0]!, bytes: withFinalNote(testNote("CORE", 1, prstatus(101))) },
    { address: cpuNotes[1]!, bytes: new Uint8Array(0x170) }, // offline at crash time
    { address: cpuNotes[2]!, bytes: withFinalNote(testNote("CORE", 1, prstatus(103))) },
    { address: cpuNotes[3]!, bytes: new Uint8Array(0x170) }, // unplugged
    { address: vmcoreinfoAt, bytes: withFinalNote(infoNote) },
  ]);
  return { hdr, old, loads };
}

describeWithPeers("capture round trip, checked with readelf", [peers.readelf], () => {
  it("one PT_NOTE with exactly the initialized CPUs' notes and VMCOREINFO; PT_LOAD bytes equal old memory", async () => {
    const { hdr, old, loads } = smallScenario();
    const vmcore = captureVmcore(hdr, old);
    expect(vmcore.droppedNotes.map((d) => d.phdrIndex)).toEqual([1, 3]);
    const path = join(dir, "vmcore");
    const progress: number[] = [];
    await vmcore.writeTo(path, (done, total) => {
      expect(total).toBe(vmcore.size);
      progress.push(done);
    });
    expect(progress.at(-1)).toBe(vmcore.size);
    expect(progress.every((p, i) => i === 0 || p > progress[i - 1]!)).toBe(true);

    const out = execFileSync("readelf", ["-W", "-l", "-n", path], { encoding: "utf8" });
    expect(out.match(/^\s+NOTE\s/gm)).toHaveLength(1);
    expect(out.match(/^\s+LOAD\s/gm)).toHaveLength(3);
    const owners = [...out.matchAll(/^\s+(CORE|VMCOREINFO)\s+0x([0-9a-f]+)/gm)].map((m) => `${m[1]}:${parseInt(m[2]!, 16)}`);
    expect(owners).toEqual(["CORE:336", "CORE:336", "VMCOREINFO:36"]);
    // kdump layout: in-page offset of each PT_LOAD's data equals its address's (page rounding, §2.4).
    for (const m of out.matchAll(/^\s+LOAD\s+0x([0-9a-f]+) 0x[0-9a-f]+ 0x([0-9a-f]+)/gm)) {
      expect(parseInt(m[1]!, 16) % 4096).toBe(parseInt(m[2]!, 16) % 4096);
    }

    const dump = openDump(path);
    try {
      expect(dump.notes.map((n) => n.name)).toEqual(["CORE", "CORE", "VMCOREINFO"]);
      expect(dump.vmcoreinfo?.osRelease).toBe("6.12.0-test");
      for (const l of loads) {
        // Buffer.equals: vitest's deep equality is slow on megabytes.
        expect(Buffer.from(dump.readPhysical(l.paddr, Number(l.memsz))).equals(old.read(l.paddr, Number(l.memsz))), `PT_LOAD at ${l.paddr}`).toBe(true);
      }
      expect(() => dump.readPhysical(0x2800n, 1)).toThrow(VmcoreError);
    } finally {
      dump.close();
    }
  });
});

describe("capture errors", () => {
  it("E_NOT_A_DUMP when the header is not sane (the kernel's checks)", () => {
    const { hdr, old } = smallScenario();
    for (const [offset, value, width] of [[0, 0, 1], [16, 2, 2], [52, 60, 2], [54, 32, 2], [56, 0, 2]] as const) {
      const bad = hdr.slice();
      const v = new DataView(bad.buffer);
      if (width === 1) bad[offset] = value;
      else v.setUint16(offset, value, true);
      expect(() => captureVmcore(bad, old), `offset ${offset}`).toThrow(expect.objectContaining({ code: "E_NOT_A_DUMP" }));
    }
  });

  it("E_TRUNCATED when the phdr table is cut", () => {
    const { hdr, old } = smallScenario();
    expect(() => captureVmcore(hdr.subarray(0, 100), old)).toThrow(expect.objectContaining({ code: "E_TRUNCATED" }));
  });

  it("reports an over-long note as the kernel does, keeping the ones before it", () => {
    const note = testNote("CORE", 1, prstatus(1));
    const hdr = writeTestCore({ phdrs: [{ p_type: PT.NOTE, p_offset: 0x1000n, p_filesz: 0x170n, p_memsz: 0x170n }] });
    const big = new Uint8Array(0x170);
    big.set(note.subarray(0, 0x164));
    new DataView(big.buffer).setUint32(0x164, 5, true); // a second note header whose size passes p_memsz
    const v = captureVmcore(hdr, sparseOldMemory([{ address: 0x1000n, bytes: big }]));
    expect(v.droppedNotes[0]!.reason).toMatch(/Exceeded p_memsz/);
    expect(phdrsOf(v.header)[0]!.p_filesz).toBe(0x164n);
  });

  it("a note header cut by p_memsz (4..11 bytes left, n_namesz set) is dropped with the kernel's warning", () => {
    const note = testNote("CORE", 1, prstatus(1)); // 0x164 bytes
    for (const left of [4, 8, 11]) {
      const memsz = 0x164 + left;
      const hdr = writeTestCore({ phdrs: [{ p_type: PT.NOTE, p_offset: 0x1000n, p_filesz: BigInt(memsz), p_memsz: BigInt(memsz) }] });
      const bytes = new Uint8Array(memsz);
      bytes.set(note);
      new DataView(bytes.buffer).setUint32(0x164, 5, true); // n_namesz of a next note that cannot fit
      if (left >= 8) new DataView(bytes.buffer).setUint32(0x168, 7, true);
      const v = captureVmcore(hdr, sparseOldMemory([{ address: 0x1000n, bytes }]));
      expect(v.droppedNotes, `${left} bytes left`).toEqual([
        { phdrIndex: 0, address: 0x1164n, reason: `Warning: Exceeded p_memsz, dropping PT_NOTE entry n_namesz=0x5, n_descsz=0x${left >= 8 ? 7 : 0}` },
      ]);
      expect(phdrsOf(v.header)[0]!.p_filesz).toBe(0x164n);
    }
  });

  it("E_IO when old memory returns fewer note bytes than p_memsz (no raw RangeError)", () => {
    const hdr = writeTestCore({ phdrs: [{ p_type: PT.NOTE, p_offset: 0x1000n, p_filesz: 0x170n, p_memsz: 0x170n }] });
    const short = { read: (_a: bigint, n: number) => new Uint8Array(n - 1) };
    expect(codeOf(() => captureVmcore(hdr, short))).toBe("E_IO");
  });

  it("E_NOT_A_DUMP when EI_VERSION is not EV_CURRENT", () => {
    const { hdr, old } = smallScenario();
    const bad = hdr.slice();
    bad[6] = 2;
    expect(codeOf(() => captureVmcore(bad, old))).toBe("E_NOT_A_DUMP");
  });

  it("a failing old-memory read leaves no file behind", async () => {
    const { hdr } = smallScenario();
    const { old } = smallScenario();
    const failing = { read: (a: bigint, n: number) => { if (a >= 0x200000n) throw new Error("EFAULT"); return old.read(a, n); } };
    const vmcore = captureVmcore(hdr, failing);
    const path = join(dir, "failing");
    await expect(vmcore.writeTo(path)).rejects.toThrow("EFAULT");
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes("failing"))).toEqual([]);
  });

  it("a typed error from the caller's old memory passes through unwrapped (no file left)", async () => {
    const { hdr, old } = smallScenario();
    const typed = new ElfError("E_OUT_OF_BOUNDS", "old memory image does not cover 0x200000", { address: 0x200000n });
    const failing = { read: (a: bigint, n: number) => { if (a >= 0x200000n) throw typed; return old.read(a, n); } };
    const path = join(dir, "typed-failure");
    await expect(captureVmcore(hdr, failing).writeTo(path)).rejects.toBe(typed);
    expect(readdirSync(dir).filter((f) => f.includes("typed-failure"))).toEqual([]);
  });

  it("old memory failing mid-stream: E_IO with the failure as cause, the existing destination unchanged, no temporary file", async () => {
    const { hdr, old } = smallScenario();
    // Serves the first N bytes of old memory, then fails like an unplugged DIMM (-EFAULT).
    const failAfter = (limit: number) => {
      let served = 0;
      return {
        read(a: bigint, n: number): Uint8Array {
          if (served + n > limit) throw new Error(`EFAULT after ${served} bytes`);
          served += n;
          return old.read(a, n);
        },
      };
    };
    const whole = captureVmcore(hdr, old, { chunkSize: 4096 });
    const limit = Math.floor((whole.size - whole.header.length - whole.notes.length) / 2);
    const vmcore = captureVmcore(hdr, failAfter(limit), { chunkSize: 4096 });
    const path = join(dir, "mid-stream.vmcore");
    const before = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    writeFileSync(path, before);
    let progress = 0;
    const failure = await vmcore.writeTo(path, (done) => (progress = done)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(VmcoreError);
    expect(failure).toMatchObject({ code: "E_IO", cause: expect.objectContaining({ message: expect.stringMatching(/^EFAULT after/) }) });
    expect(progress).toBeGreaterThan(whole.header.length + whole.notes.length); // it failed midway, not at the start
    expect(progress).toBeLessThan(whole.size);
    expect(readFileSync(path)).toEqual(Buffer.from(before));
    expect(readdirSync(dir).filter((f) => f.includes("mid-stream"))).toEqual(["mid-stream.vmcore"]);
    // Without a previous file, none appears.
    rmSync(path);
    await expect(captureVmcore(hdr, failAfter(limit), { chunkSize: 4096 }).writeTo(path)).rejects.toMatchObject({ code: "E_IO" });
    expect(readdirSync(dir).filter((f) => f.includes("mid-stream"))).toEqual([]);
    // The same capture over working memory writes the whole file, byte for byte.
    await whole.writeTo(path);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(whole.read(0, whole.size)))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes("mid-stream"))).toEqual(["mid-stream.vmcore"]);
  });
});


// fs/proc/vmcore.c's ELF32 path (kdump-formats §2.7) mirrors the ELF64 one with Elf32 sizes: a
// 32-bit kexec_load user's elfcorehdr. Expected values are worked out by hand from §2.3–§2.4 and
// read back with readelf, in both byte orders.
describeWithPeers("capture of an ELF32 elfcorehdr, checked with readelf", [peers.readelf], () => {
  for (const [littleEndian, e_machine, label] of [[true, EM.I386, "i386, little-endian"], [false, 20 /* EM_PPC */, "ppc32, big-endian"]] as const) {
    it(`${label}: Elf32 header and phdr sizes, notes merged, PT_LOADs page-rounded`, async () => {
      const cpu0 = testNote("CORE", 1, new Uint8Array(144).fill(0x5a), littleEndian); // 12 + 8 + 144 = 164 bytes
      const info = testNote("VMCOREINFO", 0, new TextEncoder().encode("OSRELEASE=6.1.0-elf32\nPAGESIZE=4096\n"), littleEndian);
      const hdr = writeTestCore({
        elfClass: 32,
        littleEndian,
        e_machine,
        phdrs: [
          { p_type: PT.NOTE, p_offset: 0x7000n, p_memsz: 0x100n }, // CPU 0: one note, then final_note
          { p_type: PT.NOTE, p_offset: 0x7400n, p_memsz: 0x100n }, // CPU 1: never written
          { p_type: PT.NOTE, p_offset: 0x8000n, p_memsz: 0x400n }, // VMCOREINFO
          // The elfcorehdr's PT_LOAD p_offset is the physical address (the kernel reads it, not p_paddr).
          { p_type: PT.LOAD, p_offset: 0x1800n, p_paddr: 0x1800n, p_vaddr: 0xc0001800n, p_filesz: 0x1000n, p_memsz: 0x1000n },
          { p_type: PT.LOAD, p_offset: 0x100000n, p_paddr: 0x100000n, p_vaddr: 0xc0100000n, p_filesz: 0x20000n, p_memsz: 0x20000n },
        ],
      });
      const old = sparseOldMemory([
        { address: 0x7000n, bytes: withFinalNote(cpu0) },
        { address: 0x7400n, bytes: new Uint8Array(0x100) },
        { address: 0x8000n, bytes: withFinalNote(info) },
      ]);
      const vmcore = captureVmcore(hdr, old);
      expect(vmcore.droppedNotes).toEqual([{ phdrIndex: 1, address: 0x7400n, reason: "Warning: Zero PT_NOTE entries found" }]);
      // e_phnum 5 - 3 PT_NOTEs + 1 = 3; header region roundup(52 + 3 * 32) = 4096; notes region 4096;
      // [0x1000, 0x3000) then [0x100000, 0x120000) back to back from 8192.
      expect(vmcore.size).toBe(8192 + 0x2000 + 0x20000);
      const path = join(dir, `elf32-${littleEndian ? "le" : "be"}.vmcore`);
      await vmcore.writeTo(path);

      const out = execFileSync("readelf", ["-W", "-h", "-l", "-n", path], { encoding: "utf8" });
      expect(out).toMatch(/Class:\s+ELF32/);
      expect(out).toMatch(littleEndian ? /little endian/ : /big endian/);
      expect(out).toMatch(/Number of program headers:\s+3\b/);
      const rows = [...out.matchAll(/^\s+(NOTE|LOAD)\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+)/gm)].map((m) =>
        [m[1], ...m.slice(2).map((x) => parseInt(x!, 16))],
      );
      expect(rows).toEqual([
        ["NOTE", 4096, 0, 0, 164 + info.length, 164 + info.length],
        ["LOAD", 8192 + 0x800, 0xc0001800, 0x1800, 0x1000, 0x1000],
        ["LOAD", 8192 + 0x2000, 0xc0100000, 0x100000, 0x20000, 0x20000],
      ]);
      const owners = [...out.matchAll(/^\s+(CORE|VMCOREINFO)\s+0x([0-9a-f]+)/gm)].map((m) => `${m[1]}:${parseInt(m[2]!, 16)}`);
      expect(owners).toEqual(["CORE:144", `VMCOREINFO:${info.length - 24}`]);

      // The file's bytes at each PT_LOAD's offset are old memory at its address (raw file reads, not our reader).
      const file = readFileSync(path);
      expect(Buffer.from(file.subarray(8192 + 0x800, 8192 + 0x1800)).equals(Buffer.from(patternBytes(0x1800n, 0x1000)))).toBe(true);
      expect(Buffer.from(file.subarray(8192, 8192 + 0x800)).equals(Buffer.from(patternBytes(0x1000n, 0x800)))).toBe(true); // page rounding copies the head
      expect(Buffer.from(file.subarray(8192 + 0x2000)).equals(Buffer.from(patternBytes(0x100000n, 0x20000)))).toBe(true);
    });
  }
});
