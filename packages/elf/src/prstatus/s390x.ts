import type { PrstatusLayout, RegisterSpec } from "./layout.js";

// arch/s390/include/asm/elf.h: `typedef s390_regs elf_gregset_t`, and s390_regs
// (arch/s390/include/uapi/asm/ptrace.h) is { psw_t psw {mask, addr}; unsigned long gprs[16];
// unsigned int acrs[16]; unsigned long orig_gpr2; } = 16 + 128 + 64 + 8 = 216 bytes, so
// elf_prstatus is 112 + 216 + 4 (pr_fpvalid) + 4 (padding) = 336 bytes, big-endian.
const registers: RegisterSpec[] = [
  { name: "psw_mask", size: 8 },
  { name: "psw_addr", size: 8 },
  ...Array.from({ length: 16 }, (_, i): RegisterSpec => ({ name: `gpr${i}`, size: 8 })),
  ...Array.from({ length: 16 }, (_, i): RegisterSpec => ({ name: `acr${i}`, size: 4 })),
  { name: "orig_gpr2", size: 8 },
];

/** s390x `s390_regs`: PSW, 16 GPRs, 16 access registers (4 bytes each), orig_gpr2. */
export const s390x: PrstatusLayout = { littleEndian: false, registers, pc: "psw_addr", sp: "gpr15", size: 336 };
