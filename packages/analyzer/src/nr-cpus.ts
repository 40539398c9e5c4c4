import type { Dump } from "@kdumpkit/vmcore";

/** `sizeof("VMCOREINFO_XEN")`: makedumpfile reads this many name bytes and skips notes whose n_namesz is larger. */
const NAME_BUFFER = 15;
/** "CORE\0": makedumpfile compares `KEXEC_CORE_NOTE_NAME_BYTES` (5) bytes, the NUL included. */
const CORE_NUL = [0x43, 0x4f, 0x52, 0x45, 0] as const;

/**
 * makedumpfile's `nr_cpus` (reference §4.1, elf_info.c get_pt_note_info): walk one PT_NOTE segment
 * and count the notes of type NT_PRSTATUS whose name buffer starts with "CORE\0". Notes with
 * `n_namesz` 0 or above 15 are skipped but the walk goes on (12 + roundup4(namesz) +
 * roundup4(descsz) bytes), unlike the kernel's walk. Like makedumpfile, only the first 5 bytes after
 * the header are compared, whatever `n_namesz` (1–15) says: a name "CORE" padded with NULs to 8
 * bytes counts too. makedumpfile keeps only the LAST PT_NOTE of the file, so pass that segment's bytes.
 */
export function makedumpfileNrCpus(segment: Uint8Array, littleEndian: boolean): number {
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  let count = 0;
  let offset = 0;
  while (offset + 12 <= segment.length) {
    const namesz = view.getUint32(offset, littleEndian);
    const descsz = view.getUint32(offset + 4, littleEndian);
    const type = view.getUint32(offset + 8, littleEndian);
    if (namesz !== 0 && namesz <= NAME_BUFFER && type === 1 && offset + 12 + CORE_NUL.length <= segment.length) {
      if (CORE_NUL.every((byte, i) => segment[offset + 12 + i] === byte)) count++;
    }
    offset += 12 + roundup4(namesz) + roundup4(descsz);
  }
  return count;
}

/**
 * makedumpfile's `nr_cpus` of an opened dump: the walk above over the last PT_NOTE of an ELF dump;
 * for other formats (kdump-compressed, whose header already carries makedumpfile's `nr_cpus` and
 * which @kdumpkit/vmcore checks against its notes) the count of CORE/NT_PRSTATUS notes of that segment.
 */
export function dumpNrCpus(dump: Dump): number {
  const last = dump.noteSegments[dump.noteSegments.length - 1];
  if (!last) return 0;
  if (last.fileOffset !== undefined && last.size !== undefined && dump.format === "elf") {
    try {
      return makedumpfileNrCpus(dump.source.read(last.fileOffset, last.size), dump.littleEndian);
    } catch {
      // An unreadable segment: fall back to the parsed notes.
    }
  }
  return last.notes.filter((n) => n.name === "CORE" && n.n_type === 1).length;
}

function roundup4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
