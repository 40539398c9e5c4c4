// Parses the text GNU readelf prints for `-h -l -n -W`, so tests can compare our reader and
// writer with it field by field.

export interface ReadelfPhdr {
  type: string;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
  flags: string;
  align: bigint;
}

export interface ReadelfNote {
  owner: string;
  size: number;
  description: string;
}

export interface ReadelfNoteSegment {
  offset: bigint;
  length: bigint;
  notes: ReadelfNote[];
}

export interface ReadelfOutput {
  header: Map<string, string>;
  phdrs: ReadelfPhdr[];
  noteSegments: ReadelfNoteSegment[];
}

const PHDR =
  /^\s+(\S+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s(.{3})\s(0x[0-9a-f]+|0)\s*$/;
const NOTES_AT = /^Displaying notes found at file offset (0x[0-9a-f]+) with length (0x[0-9a-f]+):/;
const NOTE = /^\s{2}(\S.*?)\s+(0x[0-9a-f]{8})\t(.*)$/;

export function parseReadelfOutput(text: string): ReadelfOutput {
  const header = new Map<string, string>();
  const phdrs: ReadelfPhdr[] = [];
  const noteSegments: ReadelfNoteSegment[] = [];
  let section: "none" | "header" | "phdrs" | "notes" = "none";
  for (const line of text.split("\n")) {
    if (line.startsWith("ELF Header:")) {
      section = "header";
      continue;
    }
    if (line.startsWith("Program Headers:")) {
      section = "phdrs";
      continue;
    }
    if (line.startsWith(" Section to Segment mapping")) {
      section = "none";
      continue;
    }
    const at = NOTES_AT.exec(line);
    if (at) {
      noteSegments.push({ offset: BigInt(at[1]!), length: BigInt(at[2]!), notes: [] });
      section = "notes";
      continue;
    }
    if (section === "header") {
      const m = /^\s+([^:]+):\s+(.*?)\s*$/.exec(line);
      if (m) header.set(m[1]!, m[2]!);
      else if (line.trim() === "") section = "none";
    } else if (section === "phdrs") {
      const m = PHDR.exec(line);
      if (m) {
        phdrs.push({
          type: m[1]!,
          offset: BigInt(m[2]!),
          vaddr: BigInt(m[3]!),
          paddr: BigInt(m[4]!),
          filesz: BigInt(m[5]!),
          memsz: BigInt(m[6]!),
          flags: m[7]!.trim(),
          align: BigInt(m[8]!),
        });
      }
    } else if (section === "notes") {
      const m = NOTE.exec(line);
      if (m && m[1] !== "Owner") noteSegments.at(-1)!.notes.push({ owner: m[1]!, size: Number.parseInt(m[2]!, 16), description: m[3]! });
    }
  }
  return { header, phdrs, noteSegments };
}

/** readelf's spelling of our p_type. */
export function readelfType(p_type: number): string {
  return ({ 0: "NULL", 1: "LOAD", 2: "DYNAMIC", 3: "INTERP", 4: "NOTE", 5: "SHLIB", 6: "PHDR", 7: "TLS" } as Record<number, string>)[p_type] ?? "?";
}

/** readelf's spelling of p_flags ("RWE", "R E", …). */
export function readelfFlags(p_flags: number): string {
  return `${p_flags & 4 ? "R" : " "}${p_flags & 2 ? "W" : " "}${p_flags & 1 ? "E" : " "}`.trim();
}
