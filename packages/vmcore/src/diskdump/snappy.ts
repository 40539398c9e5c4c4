// Raw (unframed) Snappy decompression, as `makedumpfile -p` stores each page (snappy_compress of
// one page). Written from Google's format_description.txt: a varint preamble with the uncompressed
// length, then literal and copy elements. Strict: the preamble must equal `out.length`, every copy
// must stay inside what was already written, and the elements must fill `out` exactly.

/** Why a Snappy stream was refused. */
export class SnappyError extends Error {}

/**
 * Decompresses one raw Snappy block into `out` (whose length is the expected size).
 * @throws SnappyError on a bad preamble, a length mismatch, a copy before the start, an overrun or
 * a stream that ends early.
 */
export function snappyDecompress(input: Uint8Array, out: Uint8Array): void {
  const inLen = input.length;
  let ip = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (ip >= inLen || shift > 28) throw new SnappyError("bad length preamble");
    const b = input[ip++]!;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (length !== out.length) throw new SnappyError(`preamble says ${length} bytes, expected ${out.length}`);
  let op = 0;
  while (ip < inLen) {
    const tag = input[ip++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = (tag >>> 2) + 1;
      if (len > 60) {
        const extra = len - 60;
        if (ip + extra > inLen) throw new SnappyError(`literal length passes the input end at ${ip}`);
        len = 0;
        for (let i = 0; i < extra; i++) len += input[ip + i]! * 2 ** (8 * i);
        len += 1;
        ip += extra;
      }
      if (ip + len > inLen) throw new SnappyError(`literal of ${len} passes the input end at ${ip}`);
      if (op + len > out.length) throw new SnappyError(`literal of ${len} overruns the output at ${op}`);
      out.set(input.subarray(ip, ip + len), op);
      ip += len;
      op += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (ip + 1 > inLen) throw new SnappyError(`copy passes the input end at ${ip}`);
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | input[ip]!;
      ip += 1;
    } else if (kind === 2) {
      if (ip + 2 > inLen) throw new SnappyError(`copy passes the input end at ${ip}`);
      len = (tag >>> 2) + 1;
      offset = input[ip]! | (input[ip + 1]! << 8);
      ip += 2;
    } else {
      if (ip + 4 > inLen) throw new SnappyError(`copy passes the input end at ${ip}`);
      len = (tag >>> 2) + 1;
      offset = (input[ip]! | (input[ip + 1]! << 8) | (input[ip + 2]! << 16)) + input[ip + 3]! * 2 ** 24;
      ip += 4;
    }
    if (offset === 0 || offset > op) throw new SnappyError(`copy offset ${offset} reaches before the output start at ${op}`);
    if (op + len > out.length) throw new SnappyError(`copy of ${len} overruns the output at ${op}`);
    for (let i = 0; i < len; i++) out[op + i] = out[op - offset + i]!;
    op += len;
  }
  if (op !== out.length) throw new SnappyError(`stream ends after ${op} of ${out.length} bytes`);
}
