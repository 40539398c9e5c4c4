import { EM } from "./constants.js";
import { ElfError } from "./errors.js";
import { viewOf } from "./internal/bounds.js";
import { aarch64 } from "./prstatus/aarch64.js";
import type { PrstatusLayout } from "./prstatus/layout.js";
import { ppc64, ppc64le } from "./prstatus/ppc64.js";
import { s390x } from "./prstatus/s390x.js";
import { x86_64 } from "./prstatus/x86_64.js";

/** Architectures whose `struct elf_prstatus` is known. */
export type PrstatusArch = "x86_64" | "aarch64" | "ppc64" | "ppc64le" | "s390x";

/** `struct timeval` inside elf_prstatus (two longs). */
export interface PrTimeval {
  sec: bigint;
  usec: bigint;
}

/** `struct elf_prstatus` (include/linux/elfcore.h) with `pr_reg` decoded into named registers. */
export interface Prstatus {
  pr_info: { si_signo: number; si_code: number; si_errno: number };
  pr_cursig: number;
  pr_sigpend: bigint;
  pr_sighold: bigint;
  pr_pid: number;
  pr_ppid: number;
  pr_pgrp: number;
  pr_sid: number;
  pr_utime: PrTimeval;
  pr_stime: PrTimeval;
  pr_cutime: PrTimeval;
  pr_cstime: PrTimeval;
  /** `pr_reg` by name, in the architecture's order. */
  registers: Record<string, bigint>;
  pr_fpvalid: number;
  /** The program counter (rip, pc, nip, psw_addr). */
  pc: bigint;
  /** The stack pointer (rsp, sp, gpr1, gpr15). */
  sp: bigint;
}

const LAYOUTS: Record<PrstatusArch, PrstatusLayout> = { x86_64, aarch64, ppc64, ppc64le, s390x };
/** Offset of `pr_reg` in elf_prstatus on every LP64 architecture. */
const PR_REG_OFFSET = 112;

/**
 * The register layout used for `arch` (names, widths, byte order, size).
 * @throws ElfError `E_UNSUPPORTED_ARCH` for an architecture without a layout.
 */
export function prstatusLayout(arch: PrstatusArch): PrstatusLayout {
  // Own properties only: "toString" or "constructor" from a caller's string is no layout.
  const layout = Object.hasOwn(LAYOUTS, arch) ? LAYOUTS[arch] : undefined;
  if (!layout) throw new ElfError("E_UNSUPPORTED_ARCH", `no elf_prstatus layout for ${String(arch)}`);
  return layout;
}

/** The prstatus architecture for an ELF `e_machine` and byte order, or undefined when unknown. */
export function prstatusArchForMachine(e_machine: number, littleEndian: boolean): PrstatusArch | undefined {
  switch (e_machine) {
    case EM.X86_64:
      return littleEndian ? "x86_64" : undefined;
    case EM.AARCH64:
      return littleEndian ? "aarch64" : undefined;
    case EM.PPC64:
      return littleEndian ? "ppc64le" : "ppc64";
    case EM.S390:
      return littleEndian ? undefined : "s390x";
    default:
      return undefined;
  }
}

/**
 * `sizeof(struct elf_prstatus)`: 336 x86_64, 392 aarch64, 504 ppc64/ppc64le, 336 s390x.
 * @throws ElfError `E_UNSUPPORTED_ARCH`.
 */
export function prstatusSize(arch: PrstatusArch): number {
  return prstatusLayout(arch).size;
}

/** True when every byte is zero (an unwritten crash_notes buffer, an empty register set). */
export function isAllZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Decodes an NT_PRSTATUS descriptor.
 * @throws ElfError `E_BAD_NOTE` when `desc` is shorter than elf_prstatus, `E_UNSUPPORTED_ARCH`.
 */
export function parsePrstatus(desc: Uint8Array, arch: PrstatusArch): Prstatus {
  const layout = prstatusLayout(arch);
  if (desc.length < layout.size) {
    throw new ElfError("E_BAD_NOTE", `NT_PRSTATUS desc is ${desc.length} bytes, ${arch} elf_prstatus needs ${layout.size}`);
  }
  const v = viewOf(desc);
  const le = layout.littleEndian;
  const tv = (o: number): PrTimeval => ({ sec: v.getBigInt64(o, le), usec: v.getBigInt64(o + 8, le) });
  const registers: Record<string, bigint> = {};
  let o = PR_REG_OFFSET;
  for (const r of layout.registers) {
    registers[r.name] = r.size === 8 ? v.getBigUint64(o, le) : BigInt(v.getUint32(o, le));
    o += r.size;
  }
  return {
    pr_info: { si_signo: v.getInt32(0, le), si_code: v.getInt32(4, le), si_errno: v.getInt32(8, le) },
    pr_cursig: v.getInt16(12, le),
    pr_sigpend: v.getBigUint64(16, le),
    pr_sighold: v.getBigUint64(24, le),
    pr_pid: v.getInt32(32, le),
    pr_ppid: v.getInt32(36, le),
    pr_pgrp: v.getInt32(40, le),
    pr_sid: v.getInt32(44, le),
    pr_utime: tv(48),
    pr_stime: tv(64),
    pr_cutime: tv(80),
    pr_cstime: tv(96),
    registers,
    pr_fpvalid: v.getInt32(o, le),
    pc: registers[layout.pc] ?? 0n,
    sp: registers[layout.sp] ?? 0n,
  };
}

/**
 * Encodes an elf_prstatus (all fields not given are zero, as `crash_save_cpu` leaves them).
 * `pc`/`sp` are ignored: set them through `registers`.
 * @throws ElfError `E_BAD_NOTE` for an unknown register name, `E_UNSUPPORTED_ARCH`.
 */
export function encodePrstatus(p: Partial<Prstatus> & { registers?: Record<string, bigint> }, arch: PrstatusArch): Uint8Array {
  const layout = prstatusLayout(arch);
  const out = new Uint8Array(layout.size);
  const v = viewOf(out);
  const le = layout.littleEndian;
  const tv = (o: number, t: PrTimeval | undefined) => {
    if (!t) return;
    v.setBigInt64(o, BigInt.asIntN(64, t.sec), le);
    v.setBigInt64(o + 8, BigInt.asIntN(64, t.usec), le);
  };
  if (p.pr_info) {
    v.setInt32(0, p.pr_info.si_signo, le);
    v.setInt32(4, p.pr_info.si_code, le);
    v.setInt32(8, p.pr_info.si_errno, le);
  }
  v.setInt16(12, p.pr_cursig ?? 0, le);
  v.setBigUint64(16, BigInt.asUintN(64, p.pr_sigpend ?? 0n), le);
  v.setBigUint64(24, BigInt.asUintN(64, p.pr_sighold ?? 0n), le);
  v.setInt32(32, p.pr_pid ?? 0, le);
  v.setInt32(36, p.pr_ppid ?? 0, le);
  v.setInt32(40, p.pr_pgrp ?? 0, le);
  v.setInt32(44, p.pr_sid ?? 0, le);
  tv(48, p.pr_utime);
  tv(64, p.pr_stime);
  tv(80, p.pr_cutime);
  tv(96, p.pr_cstime);
  const given = p.registers ?? {};
  const known = new Set(layout.registers.map((r) => r.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) throw new ElfError("E_BAD_NOTE", `${arch} has no register named ${name}`);
  }
  let o = PR_REG_OFFSET;
  for (const r of layout.registers) {
    const value = given[r.name] ?? 0n;
    if (r.size === 8) v.setBigUint64(o, BigInt.asUintN(64, value), le);
    else v.setUint32(o, Number(BigInt.asUintN(32, value)), le);
    o += r.size;
  }
  v.setInt32(o, p.pr_fpvalid ?? 0, le);
  return out;
}
