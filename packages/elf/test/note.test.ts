import { ElfError, NT, encodeNote, encodeNotes, noteSize, parseNotes } from "@kdumpkit/elf";
import { describe, expect, it } from "vitest";

const le = true;

describe("notes", () => {
  it("uses the kernel's 4-byte padding: CORE note = 12 + 8 + desc", () => {
    expect(noteSize(5, 336)).toBe(356); // reference §1.2: a saved x86_64 CPU note is 356 bytes
    expect(noteSize(11, 4096)).toBe(12 + 12 + 4096);
    const b = encodeNote({ name: "CORE", type: NT.PRSTATUS, desc: new Uint8Array(3).fill(7) }, le);
    expect(Array.from(b)).toEqual([5, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0x43, 0x4f, 0x52, 0x45, 0, 0, 0, 0, 7, 7, 7, 0]);
  });

  it("reports a zero header (final_note) and stops there", () => {
    const b = encodeNotes([{ name: "CORE", type: 1, desc: new Uint8Array(8) }], le, { terminator: true });
    const seg = parseNotes(b, le, 1000);
    expect(seg.notes.length).toBe(1);
    expect(seg.notes[0]!.offset).toBe(1000);
    expect(seg.end).toEqual({ kind: "zero-header", offset: 1000 + 28 });
  });

  it("an all-zero crash_notes buffer gives no notes and a zero-header end", () => {
    expect(parseNotes(new Uint8Array(368), le)).toEqual({ notes: [], end: { kind: "zero-header", offset: 0 } });
  });

  it("n_namesz 0 with other fields set ends the walk as zero-namesz", () => {
    const b = new Uint8Array(24);
    new DataView(b.buffer).setUint32(4, 8, true);
    expect(parseNotes(b, le).end).toEqual({ kind: "zero-namesz", offset: 0 });
  });

  it("a note running past the buffer is reported as truncated, not thrown", () => {
    const b = encodeNote({ name: "VMCOREINFO", type: 0, desc: new Uint8Array(100) }, le);
    expect(parseNotes(b.subarray(0, 50), le).end).toEqual({ kind: "truncated", offset: 0, needed: 12 + 12 + 100 });
    expect(parseNotes(b.subarray(0, 5), le).end).toEqual({ kind: "truncated", offset: 0, needed: 12 });
  });

  it("decodes big-endian notes", () => {
    const b = encodeNotes([{ name: "CORE", type: NT.PRSTATUS, desc: Uint8Array.of(1, 2, 3, 4, 5) }, { name: "VMCOREINFO", type: 0, desc: new TextEncoder().encode("A=1\n") }], false);
    const seg = parseNotes(b, false);
    expect(seg.end.kind).toBe("end");
    expect(seg.notes.map((n) => [n.name, n.n_type, n.typeName, Array.from(n.desc)])).toEqual([
      ["CORE", 1, "NT_PRSTATUS", [1, 2, 3, 4, 5]],
      ["VMCOREINFO", 0, "VMCOREINFO", [65, 61, 49, 10]],
    ]);
  });

  it("E_BAD_NOTE for an empty name or a name with NUL", () => {
    for (const name of ["", "A\0B"]) {
      try {
        encodeNote({ name, type: 1, desc: new Uint8Array() }, le);
        throw new Error("accepted");
      } catch (e) {
        expect((e as ElfError).code).toBe("E_BAD_NOTE");
      }
    }
  });

  it("E_BAD_NOTE for an n_type that is not a u32 (setUint32 would wrap -1 to 0xffffffff)", () => {
    for (const type of [-1, 2 ** 32, 1.5]) {
      let code = "none";
      try {
        encodeNote({ name: "CORE", type, desc: new Uint8Array(0) }, le);
      } catch (e) {
        code = (e as ElfError).code;
      }
      expect(code).toBe("E_BAD_NOTE");
    }
  });

  it("a name without NUL is cut at n_namesz, not searched for past it", () => {
    const b = encodeNote({ name: "CORE", type: 1, desc: Uint8Array.of(0x41, 0, 0, 0) }, le);
    b[16] = 0x58; // the name's NUL becomes 'X': n_namesz 5 still bounds the name
    expect(parseNotes(b, le).notes[0]!.name).toBe("COREX");
  });
});
