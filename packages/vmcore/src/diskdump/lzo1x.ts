// LZO1X decompression (the bitstream liblzo2's lzo1x_1_compress writes, which is what
// `makedumpfile -l` stores per page). Written from the format's description (the instruction set
// also documented in the Linux kernel's Documentation/staging/lzo.rst); every input byte and every
// output byte is bounds-checked, and the output must fill `out` exactly.

/** Why an LZO1X stream was refused. */
export class Lzo1xError extends Error {}

const M2_MAX_OFFSET = 0x0800;

/**
 * Decompresses one LZO1X stream into `out` (whose length is the expected size).
 * @throws Lzo1xError when the stream is malformed, reads past its end, refers before the output's
 * start, overruns `out`, ends early or leaves input unconsumed.
 */
export function lzo1xDecompress(input: Uint8Array, out: Uint8Array): void {
  const inLen = input.length;
  const outLen = out.length;
  let ip = 0;
  let op = 0;
  let t = 0;

  const byte = (): number => {
    if (ip >= inLen) throw new Lzo1xError(`input overrun at ${ip}`);
    return input[ip++]!;
  };
  // A length continued by zero bytes (each worth 255) and a final non-zero byte.
  const longLength = (base: number): number => {
    let n = 0;
    let b = byte();
    while (b === 0) {
      n += 255;
      if (n > outLen) throw new Lzo1xError(`run length past the output size at ${ip}`);
      b = byte();
    }
    return n + base + b;
  };
  const literals = (count: number): void => {
    if (ip + count > inLen) throw new Lzo1xError(`literal run of ${count} passes the input end at ${ip}`);
    if (op + count > outLen) throw new Lzo1xError(`literal run of ${count} overruns the output at ${op}`);
    out.set(input.subarray(ip, ip + count), op);
    ip += count;
    op += count;
  };
  const copyMatch = (distance: number, count: number): void => {
    const from = op - distance;
    if (from < 0) throw new Lzo1xError(`match distance ${distance} reaches before the output start at ${op}`);
    if (op + count > outLen) throw new Lzo1xError(`match of ${count} overruns the output at ${op}`);
    // Byte by byte: matches may overlap their own output (run-length style).
    for (let i = 0; i < count; i++) out[op + i] = out[from + i]!;
    op += count;
  };

  // state: 0 = expect an instruction after a match with no trailing literals,
  // after a literal run of ≥ 4 the next short match is the special 3-byte M1 form.
  let afterLiteralRun = false;
  let first = true;
  for (;;) {
    if (first) {
      first = false;
      const b0 = input[0];
      if (b0 !== undefined && b0 > 17) {
        ip = 1;
        t = b0 - 17;
        literals(t);
        // A leading run of fewer than 4 literals behaves like a match's trailing literals.
        afterLiteralRun = t >= 4;
        t = byte();
      } else {
        t = byte();
        if (t < 16) {
          literals(t === 0 ? longLength(15) + 3 : t + 3);
          afterLiteralRun = true;
          t = byte();
        }
      }
    }
    let trailing: number;
    if (t >= 64) {
      // M2: 3..8 bytes, distance 1..2048.
      const b = byte();
      const distance = 1 + ((t >>> 2) & 7) + (b << 3);
      copyMatch(distance, (t >>> 5) + 1);
      trailing = t & 3;
    } else if (t >= 32) {
      // M3: distance up to 16384.
      let len = t & 31;
      if (len === 0) len = longLength(31);
      const b0 = byte();
      const b1 = byte();
      copyMatch(1 + (b0 >>> 2) + (b1 << 6), len + 2);
      trailing = b0 & 3;
    } else if (t >= 16) {
      // M4: distance 16384..49151, or the end-of-stream marker.
      let len = t & 7;
      if (len === 0) len = longLength(7);
      const b0 = byte();
      const b1 = byte();
      const distance = ((t & 8) << 11) + (b0 >>> 2) + (b1 << 6);
      if (distance === 0) {
        if (op !== outLen) throw new Lzo1xError(`stream ends after ${op} of ${outLen} bytes`);
        if (ip !== inLen) throw new Lzo1xError(`${inLen - ip} input bytes left after the end marker`);
        return;
      }
      copyMatch(distance + 0x4000, len + 2);
      trailing = b0 & 3;
    } else if (afterLiteralRun) {
      // M1 right after a literal run: 3 bytes at distance 2049..3072.
      const b = byte();
      copyMatch(1 + M2_MAX_OFFSET + (t >>> 2) + (b << 2), 3);
      trailing = t & 3;
    } else {
      // M1 after a match's trailing literals: 2 bytes, distance 1..1024.
      const b = byte();
      copyMatch(1 + (t >>> 2) + (b << 2), 2);
      trailing = t & 3;
    }
    afterLiteralRun = false;
    if (trailing > 0) {
      literals(trailing);
      t = byte();
      continue;
    }
    // No trailing literals: the next instruction may start a literal run.
    t = byte();
    if (t < 16) {
      literals(t === 0 ? longLength(15) + 3 : t + 3);
      afterLiteralRun = true;
      t = byte();
    }
  }
}
