import { type PrstatusLayout, regs64 } from "./layout.js";

/** arm64 `struct user_pt_regs`: x0..x30, sp, pc, pstate (34 × 8 bytes); elf_prstatus is 392 bytes. */
export const aarch64: PrstatusLayout = {
  littleEndian: true,
  registers: regs64([...Array.from({ length: 31 }, (_, i) => `x${i}`), "sp", "pc", "pstate"]),
  pc: "pc",
  sp: "sp",
  size: 392,
};
