// A test-side ELF core writer (as drgn's tests do): small, explicit, independent of the code under
// test, so that fixtures are described in the test instead of stored as opaque blobs.

export interface TestPhdr {
  p_type: number;
  p_flags?: number;
  /** Absolute offset; when omitted the data is appended after the table and the offset is computed. */
  p_offset?: bigint;
  p_vaddr?: bigint;
  p_paddr?: bigint;
  p_filesz?: bigint;
  p_memsz?: bigint;
  p_align?: bigint;
  /** Bytes stored in the file for this segment (p_filesz defaults to its length). */
  data?: Uint8Array;
}

export interface TestCore {
  elfClass?: 32 | 64;
  littleEndian?: boolean;
  e_machine?: number;
  e_type?: number;
  phdrs: TestPhdr[];
  /** Put the phdr table here (default right after the Ehdr). */
  e_phoff?: number;
}

/** Writes an ELF core: Ehdr, phdr table, then each segment's data in order. */
export function writeTestCore(core: TestCore): Uint8Array {
  const c64 = (core.elfClass ?? 64) === 64;
  const le = core.littleEndian ?? true;
  const ehsize = c64 ? 64 : 52;
  const phsize = c64 ? 56 : 32;
  const phoff = core.e_phoff ?? ehsize;
  let dataAt = phoff + core.phdrs.length * phsize;
  const placed = core.phdrs.map((p) => {
    const offset = p.p_offset ?? BigInt(p.data ? dataAt : 0);
    if (p.p_offset === undefined && p.data) dataAt += p.data.length;
    return offset;
  });
  let size = dataAt;
  core.phdrs.forEach((p, i) => {
    if (p.data) size = Math.max(size, Number(placed[i]!) + p.data.length);
  });
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, c64 ? 2 : 1, le ? 1 : 2, 1], 0);
  v.setUint16(16, core.e_type ?? 4, le);
  v.setUint16(18, core.e_machine ?? 62, le);
  v.setUint32(20, 1, le);
  if (c64) {
    v.setBigUint64(32, BigInt(phoff), le);
    v.setUint16(52, ehsize, le);
    v.setUint16(54, phsize, le);
    v.setUint16(56, core.phdrs.length, le);
  } else {
    v.setUint32(28, phoff, le);
    v.setUint16(40, ehsize, le);
    v.setUint16(42, phsize, le);
    v.setUint16(44, core.phdrs.length, le);
  }
  core.phdrs.forEach((p, i) => {
    const o = phoff + i * phsize;
    const filesz = p.p_filesz ?? BigInt(p.data?.length ?? 0);
    const memsz = p.p_memsz ?? filesz;
    if (c64) {
      v.setUint32(o, p.p_type, le);
      v.setUint32(o + 4, p.p_flags ?? 0, le);
      v.setBigUint64(o + 8, placed[i]!, le);
      v.setBigUint64(o + 16, p.p_vaddr ?? 0n, le);
      v.setBigUint64(o + 24, p.p_paddr ?? 0n, le);
      v.setBigUint64(o + 32, filesz, le);
      v.setBigUint64(o + 40, memsz, le);
      v.setBigUint64(o + 48, p.p_align ?? 0n, le);
    } else {
      v.setUint32(o, p.p_type, le);
      v.setUint32(o + 4, Number(placed[i]!), le);
      v.setUint32(o + 8, Number(p.p_vaddr ?? 0n), le);
      v.setUint32(o + 12, Number(p.p_paddr ?? 0n), le);
      v.setUint32(o + 16, Number(filesz), le);
      v.setUint32(o + 20, Number(memsz), le);
      v.setUint32(o + 24, p.p_flags ?? 0, le);
      v.setUint32(o + 28, Number(p.p_align ?? 0n), le);
    }
    if (p.data) out.set(p.data, Number(placed[i]!));
  });
  return out;
}

/** A note with the kernel's 4-byte padding (test-side encoder). */
export function testNote(name: string, type: number, desc: Uint8Array, le = true): Uint8Array {
  const nameBytes = new TextEncoder().encode(`${name}\0`);
  const pad = (n: number) => (n + 3) & ~3;
  const out = new Uint8Array(12 + pad(nameBytes.length) + pad(desc.length));
  const v = new DataView(out.buffer);
  v.setUint32(0, nameBytes.length, le);
  v.setUint32(4, desc.length, le);
  v.setUint32(8, type, le);
  out.set(nameBytes, 12);
  out.set(desc, 12 + pad(nameBytes.length));
  return out;
}

/** Deterministic bytes for physical address `a` (distinct per page and offset; addresses below 2^53). */
export function patternByte(a: bigint): number {
  return patternOf(Number(a));
}

function patternOf(a: number): number {
  const x = (a % 0x100000000) ^ Math.floor(a / 0x100000000);
  return (Math.imul(x | 0, 2654435761) >>> 24) & 0xff;
}

export function patternBytes(address: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const base = Number(address);
  for (let i = 0; i < length; i++) out[i] = patternOf(base + i);
  return out;
}

/** Old memory: pattern bytes everywhere, with explicit contents at some addresses. */
export function sparseOldMemory(overrides: { address: bigint; bytes: Uint8Array }[]) {
  return {
    read(address: bigint, length: number): Uint8Array {
      const out = patternBytes(address, length);
      for (const o of overrides) {
        const start = o.address > address ? o.address : address;
        const end = o.address + BigInt(o.bytes.length) < address + BigInt(length) ? o.address + BigInt(o.bytes.length) : address + BigInt(length);
        if (start < end) out.set(o.bytes.subarray(Number(start - o.address), Number(end - o.address)), Number(start - address));
      }
      return out;
    },
  };
}
