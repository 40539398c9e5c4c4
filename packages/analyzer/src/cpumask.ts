/**
 * Decodes a kernel `struct cpumask` (a bitmap of `unsigned long` words, bit n of the whole bitmap =
 * CPU n) into the CPU numbers set, limited to `nrCpuIds` bits.
 */
export function decodeCpumask(bytes: Uint8Array, littleEndian: boolean, wordSize: 4 | 8, nrCpuIds: number): number[] {
  const cpus: number[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const limit = Math.min(nrCpuIds, bytes.length * 8);
  for (let word = 0; word * wordSize < bytes.length && word * wordSize * 8 < limit; word++) {
    const value = wordSize === 8 ? view.getBigUint64(word * 8, littleEndian) : BigInt(view.getUint32(word * 4, littleEndian));
    if (value === 0n) continue;
    for (let bit = 0; bit < wordSize * 8; bit++) {
      const cpu = word * wordSize * 8 + bit;
      if (cpu >= limit) break;
      if ((value >> BigInt(bit)) & 1n) cpus.push(cpu);
    }
  }
  return cpus;
}

/** Formats CPU numbers the way /sys/devices/system/cpu/online does: `0,2-5`; empty for none. */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** Parses a /sys cpu list (`0,2-5`) into CPU numbers; the inverse of {@link formatCpuList}. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(",")) {
    if (part === "") continue;
    const [a, b] = part.split("-");
    const from = Number(a);
    const to = b === undefined ? from : Number(b);
    for (let cpu = from; cpu <= to; cpu++) out.push(cpu);
  }
  return out;
}
