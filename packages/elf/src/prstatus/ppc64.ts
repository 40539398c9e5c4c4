import { type PrstatusLayout, regs64 } from "./layout.js";

// ELF_NGREG is 48 on powerpc (arch/powerpc/include/uapi/asm/elf.h) while `struct pt_regs` fills
// 44 of them (uapi/asm/ptrace.h); the last four words are kept, named reserved0..3, so that a
// decode/encode round trip preserves them.
const names = [
  ...Array.from({ length: 32 }, (_, i) => `gpr${i}`),
  "nip", "msr", "orig_gpr3", "ctr", "link", "xer", "ccr", "softe", "trap", "dar", "dsisr", "result",
  "reserved0", "reserved1", "reserved2", "reserved3",
];

/** ppc64 big-endian: 48 × 8 bytes of `pr_reg`; elf_prstatus is 504 bytes. */
export const ppc64: PrstatusLayout = { littleEndian: false, registers: regs64(names), pc: "nip", sp: "gpr1", size: 504 };

/** ppc64le: the same layout, little-endian. */
export const ppc64le: PrstatusLayout = { ...ppc64, littleEndian: true };
