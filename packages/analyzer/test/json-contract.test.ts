// Every command the README's "JSON contract" documents, run with --json through the built bin on the
// real kdump dump (dumpP.d31), and each document checked against the README's field list: the
// documented fields are present, nothing undocumented appears at the top level or in the rows, and
// 64-bit values are lowercase "0x…" strings (no number beyond 2^53). The field lists are read from
// the README itself, so the README and the CLI cannot drift apart unnoticed.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { corpusPath, decompressedCorpusPath, repoRoot } from "../../../test-support/corpus.js";
import { tempPath } from "./support/files.js";

const packageDir = join(repoRoot, "packages/analyzer");
const bin = join(packageDir, (JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { bin: { kdumpkit: string } }).bin.kdumpkit);
const readme = readFileSync(join(packageDir, "README.md"), "utf8");

/** The README bullet of one command in the "JSON contract" section (`- \`name\`: …` up to the next bullet). */
function contractBullet(command: string): string {
  const section = readme.slice(readme.indexOf("## JSON contract"), readme.indexOf("\n## ", readme.indexOf("## JSON contract") + 1));
  const start = section.indexOf(`\n- \`${command}\`:`);
  if (start < 0) throw new Error(`README's JSON contract has no bullet for ${command}`);
  const end = section.indexOf("\n- `", start + 1);
  return section.slice(start, end < 0 ? undefined : end);
}

/** Every word inside backquotes in a README bullet (field names, row shapes `{ a, b }`, and enum values). */
function backquoted(text: string): Set<string> {
  return new Set([...text.matchAll(/`([^`]+)`/g)].flatMap((m) => m[1]!.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []));
}

/** Fields every document has (the section's first paragraph). */
const COMMON = ["schemaVersion", "command", "file"];

function kdumpkit(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Paths (`a.b[].c`) of every number above 2^53 and every "0x" string that is not lowercase hex. */
function badNumbers(value: unknown, path = ""): string[] {
  if (typeof value === "number") return Number.isSafeInteger(value) || !Number.isInteger(value) ? [] : [path];
  if (typeof value === "string") return value.startsWith("0x") && !/^0x[0-9a-f]+$/.test(value) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v) => badNumbers(v, `${path}[]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => badNumbers(v, `${path}.${k}`));
  return [];
}

const HEX = /^0x[0-9a-f]+$/;

let dumpP: string;
let systemMap: string;
const docs = new Map<string, Record<string, unknown>>();

beforeAll(async () => {
  dumpP = await decompressedCorpusPath("vmcore/dumpP.d31.elf.xz");
  systemMap = await decompressedCorpusPath("vmcore/System.map-6.12.117+deb12-amd64.xz");
  const runs: Record<string, string[]> = {
    summary: ["summary", dumpP],
    notes: ["notes", dumpP],
    cpus: ["cpus", dumpP, "--system-map", systemMap, "--registers"],
    vmcoreinfo: ["vmcoreinfo", dumpP],
    memory: ["memory", dumpP],
    check: ["check", dumpP, "--system-map", systemMap],
    read: ["read", dumpP, "--phys", "0x1000000", "--length", "64"],
    dmesg: ["dmesg", dumpP, "--tail", "3"],
    collect: ["collect", dumpP, tempPath("contract-collect.elf")],
  };
  for (const [command, args] of Object.entries(runs)) {
    const r = kdumpkit(...args, "--json");
    if (r.status !== 0) throw new Error(`kdumpkit ${args.join(" ")} --json: exit ${r.status}: ${r.stderr}`);
    docs.set(command, JSON.parse(r.stdout) as Record<string, unknown>);
  }
}, 120_000);

// The README's field list of each command, written out: each must be in the README bullet and in the document.
const DOCUMENTED: Record<string, { top: string[]; rows?: Record<string, string[]> }> = {
  summary: {
    top: ["format", "arch", "byteOrder", "elfClass", "machine", "pageSize", "osRelease", "buildId", "crashTime", "kernelOffset", "loads", "bytesCovered", "bytesInFile", "noteCounts", "nrCpus", "elfcorehdr", "problems"],
    rows: { loads: ["phdrIndex", "paddr", "vaddr", "size", "fileSize", "duplicateOf"], problems: ["code", "severity", "message", "offset", "address", "phdrIndex"] },
  },
  notes: {
    top: ["notes", "verdicts", "bareElfcorehdr"],
    rows: { notes: ["segment", "phdrIndex", "offset", "address", "owner", "type", "typeName", "size", "verdict", "detail", "pid", "pc", "sp"] },
  },
  cpus: {
    top: ["cpus", "prPidMeaning", "crashingCpu", "crashingCpuSource", "masks", "nrCpuIds", "nrCpus", "symbols", "kaslrOffset", "kaslrSource", "notices", "findings"],
    rows: { cpus: ["cpu", "cpuFrom", "inDump", "note", "possible", "present", "online", "crashNotes", "noteIndex", "pid", "prPid", "pc", "sp", "registers?", "crashing", "verdictCode", "verdict", "severity"] },
  },
  vmcoreinfo: { top: ["present", "raw", "lines", "osRelease", "buildId", "pageSize", "crashTime", "kernelOffset", "symbols", "offsets", "sizes", "lengths", "numbers", "other"] },
  memory: {
    top: ["bareElfcorehdr", "loads", "covered", "holes", "bytesCovered", "bytesInFile", "iomem", "findings"],
    rows: { loads: ["phdrIndex", "paddr", "end", "vaddr", "size", "fileSize", "fileOffset", "readable", "duplicateOf", "refused"], holes: ["start", "end", "size"] },
  },
  check: { top: ["findings", "counts", "worst", "exitCode", "scan"], rows: { findings: ["check", "severity", "message", "address"] } },
  read: { top: ["space", "address", "length", "data"] },
  dmesg: {
    top: ["format", "ring", "logBuf", "total", "firstSeq", "lastSeq", "dropped", "skipped", "truncated", "filtered", "records", "problems"],
    rows: { records: ["seq", "timestampNs", "level", "facility", "callerId", "text", "textEncoding", "emptyLine", "truncated"] },
  },
  collect: { top: ["out", "excludeZero", "pageSize", "pagesWritten", "pagesExcluded", "bytes", "phnum", "skipped"] },
};

/** 64-bit values of each document that must be "0x…" strings. */
const HEX_FIELDS: Record<string, (doc: any) => unknown[]> = {
  summary: (d) => [d.kernelOffset, ...d.loads.flatMap((l: any) => [l.paddr, l.vaddr, l.size, l.fileSize])],
  notes: (d) => d.notes.filter((n: any) => n.pc !== null).flatMap((n: any) => [n.pc, n.sp]),
  cpus: (d) => [d.kaslrOffset, ...d.cpus.flatMap((c: any) => [c.pc, c.sp, c.crashNotes?.address, ...Object.values(c.registers ?? {})].filter((v) => v != null)), ...d.symbols.map((s: any) => s.address)],
  vmcoreinfo: (d) => [d.kernelOffset, ...Object.values(d.symbols)],
  memory: (d) => d.loads.flatMap((l: any) => [l.paddr, l.end, l.vaddr, l.size, l.fileSize]).concat(d.holes.flatMap((h: any) => [h.start, h.end, h.size])),
  check: (d) => d.findings.map((f: any) => f.address).filter((a: unknown) => a !== null),
  read: (d) => [d.address],
  dmesg: (d) => [d.ring.address],
  collect: () => [],
};

describe("--json documents on dumpP.d31 match the README's JSON contract", () => {
  for (const [command, fields] of Object.entries(DOCUMENTED)) {
    it(`${command}`, () => {
      const doc = docs.get(command)!;
      const bullet = contractBullet(command);
      const named = backquoted(bullet);
      expect(doc.schemaVersion).toBe(1);
      expect(doc.command).toBe(command);
      // The list above is the README's: every name is in the bullet, and in the document.
      for (const field of fields.top) expect(named, `README bullet of ${command} names ${field}`).toContain(field);
      for (const field of fields.top) expect(doc, `${command} --json has ${field}`).toHaveProperty(field);
      // Nothing undocumented at the top level.
      for (const key of Object.keys(doc)) expect([...COMMON, ...named], `${command} --json field ${key} is documented`).toContain(key);
      for (const [array, rowFields] of Object.entries(fields.rows ?? {})) {
        const rows = doc[array] as Record<string, unknown>[];
        expect(rows.length, `${command}.${array} has rows on dumpP`).toBeGreaterThan(0);
        // `name?`: documented as optional (present only when it applies, e.g. registers of a saved note).
        const names = rowFields.map((f) => f.replace(/\?$/, ""));
        for (const field of names) expect(named, `README bullet of ${command} names ${array}[].${field}`).toContain(field);
        for (const row of rows) {
          for (const field of rowFields.filter((f) => !f.endsWith("?"))) expect(row, `${command}.${array}[] has ${field}`).toHaveProperty(field);
          for (const key of Object.keys(row)) expect(names, `${command}.${array}[].${key} is documented`).toContain(key);
        }
      }
      expect(badNumbers(doc)).toEqual([]);
      const hexValues = HEX_FIELDS[command]!(doc);
      for (const value of hexValues) expect(value).toMatch(HEX);
    });
  }

  it("summary of a bare elfcorehdr: the elfcorehdr object and its rows as documented", () => {
    const r = kdumpkit("summary", corpusPath("vmcore/dumpP.elfcorehdr-raw.bin"), "--json");
    expect(r.status).toBe(0);
    const e = (JSON.parse(r.stdout) as { elfcorehdr: Record<string, any> }).elfcorehdr;
    const named = backquoted(contractBullet("summary"));
    const top = ["e_machine", "e_phnum", "fileSize", "noteSlots", "loads", "phdrCapacity", "neededSlots", "freeSlots", "freeSlotsZeroed", "recovery"];
    expect(Object.keys(e).sort()).toEqual([...top].sort());
    const rows = { noteSlots: ["phdrIndex", "kind", "cpuOrdinal", "address", "size"], loads: ["phdrIndex", "kind", "paddr", "vaddr", "size", "readFrom", "duplicateOf"] };
    for (const name of [...top, ...rows.noteSlots, ...rows.loads]) expect(named, `README names elfcorehdr field ${name}`).toContain(name);
    for (const [array, fields] of Object.entries(rows)) for (const row of e[array]) expect(Object.keys(row).sort()).toEqual([...fields].sort());
    for (const slot of e.noteSlots) expect(slot.address).toMatch(HEX);
    for (const load of e.loads) for (const v of [load.paddr, load.vaddr, load.size, load.readFrom]) expect(v).toMatch(HEX);
  });

  it("notes: offset is always the file offset (number or null), address the physical address (\"0x…\" or null)", () => {
    const dumpNotes = (docs.get("notes") as { notes: Record<string, unknown>[] }).notes;
    for (const n of dumpNotes) {
      expect(typeof n.offset).toBe("number");
      expect(n.address).toBeNull();
    }
    const r = kdumpkit("notes", corpusPath("vmcore/dumpP.elfcorehdr-raw.bin"), "--json");
    expect(r.status).toBe(0);
    const bare = JSON.parse(r.stdout) as { bareElfcorehdr: boolean; notes: Record<string, unknown>[] };
    expect(bare.bareElfcorehdr).toBe(true);
    expect(bare.notes.length).toBeGreaterThan(0);
    const names = backquoted(contractBullet("notes"));
    for (const n of bare.notes) {
      expect(n.offset).toBeNull();
      expect(n.address).toMatch(HEX);
      for (const key of Object.keys(n)) expect(names, `notes[].${key} is documented`).toContain(key);
    }
  });

  it("the values agree with the dump's ground truth where the README names them", () => {
    const truth = JSON.parse(readFileSync(corpusPath("vmcore/dumpP.truth.json"), "utf8"));
    const s = docs.get("summary")! as any;
    expect(s.arch).toBe("x86_64");
    expect(s.nrCpus).toBe(truth.nt_prstatus_count);
    const c = docs.get("cpus")! as any;
    expect(c.crashingCpu).toBe(2);
    expect(c.cpus.map((r: any) => r.note)).toEqual(["initialized", "uninitialized", "initialized"]);
    const r = docs.get("read")! as any;
    expect(r.length).toBe(64);
    expect(r.data).toHaveLength(128);
  });
});
