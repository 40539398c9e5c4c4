// The name test of the notes verdict: n_namesz counts the NUL (reference §3.1) and owners are
// compared with their NUL (makedumpfile compares "CORE\0", §4.1), so a name that is not terminated
// exactly at n_namesz - 1 is malformed. Notes are written by hand here: encodeNote refuses such names.
import { parseNotes, encodePrstatus } from "@kdumpkit/elf";
import { describe, expect, it } from "vitest";
import { segmentRows } from "../src/notes.js";

const desc = encodePrstatus({ pr_pid: 7 }, "x86_64");

/** One note: header, `name` bytes padded to 4, desc. */
function note(namesz: number, name: number[]): Uint8Array {
  const nameBytes = new Uint8Array(Math.ceil(namesz / 4) * 4);
  nameBytes.set(name.slice(0, nameBytes.length));
  const header = new Uint8Array(12);
  const v = new DataView(header.buffer);
  v.setUint32(0, namesz, true);
  v.setUint32(4, desc.length, true);
  v.setUint32(8, 1, true);
  return new Uint8Array([...header, ...nameBytes, ...desc]);
}

const CORE = [0x43, 0x4f, 0x52, 0x45];
const rowsOf = (bytes: Uint8Array) => segmentRows(parseNotes(bytes, true, 0x100), 0, "x86_64");

describe("notes: the owner name must end with its NUL at n_namesz - 1", () => {
  it("\"CORE\\0\" in n_namesz 5 is valid (the control case)", () => {
    const [row] = rowsOf(note(5, [...CORE, 0]));
    expect(row).toMatchObject({ owner: "CORE", verdict: "valid", pid: 7, offset: 0x100 });
  });
  it("n_namesz 4 holding \"CORE\" with no NUL is malformed", () => {
    const [row] = rowsOf(note(4, CORE));
    expect(row!.verdict).toBe("malformed");
    expect(row!.detail).toMatch(/n_namesz 4 holds no NUL/);
  });
  it("n_namesz 8 holding \"CORE\\0\\0\\0\\0\" disagrees with the name's length: malformed", () => {
    const [row] = rowsOf(note(8, [...CORE, 0, 0, 0, 0]));
    expect(row!.verdict).toBe("malformed");
    expect(row!.detail).toMatch(/n_namesz 8 disagrees .* takes 5 bytes/);
  });
  it("a second, valid note after a malformed one is still judged on its own", () => {
    const rows = rowsOf(new Uint8Array([...note(4, CORE), ...note(5, [...CORE, 0])]));
    expect(rows.map((r) => r.verdict)).toEqual(["malformed", "valid"]);
  });
});
