/**
 * makedumpfile's `nr_cpus` (reference §4.1, elf_info.c get_pt_note_info): walk one PT_NOTE segment,
 * count notes named "CORE" of type NT_PRSTATUS. Notes with `n_namesz` 0 or above 15 are skipped but
 * the walk goes on (12 + roundup4(namesz) + roundup4(descsz) bytes), unlike the kernel's walk.
 * makedumpfile keeps only the LAST PT_NOTE of the file, so pass that segment's bytes.
 */
export function makedumpfileNrCpus(segment: Uint8Array, littleEndian: boolean): number {
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  let count = 0;
  let offset = 0;
  while (offset + 12 <= segment.length) {
    const namesz = view.getUint32(offset, littleEndian);
    const descsz = view.getUint32(offset + 4, littleEndian);
    const type = view.getUint32(offset + 8, littleEndian);
    if (namesz === 5 && type === 1 && offset + 17 <= segment.length) {
      const name = segment.subarray(offset + 12, offset + 17);
      if (name[0] === 0x43 && name[1] === 0x4f && name[2] === 0x52 && name[3] === 0x45 && name[4] === 0) count++;
    }
    offset += 12 + roundup4(namesz) + roundup4(descsz);
  }
  return count;
}

function roundup4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
