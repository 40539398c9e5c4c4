import { type PrstatusLayout, regs64 } from "./layout.js";

/**
 * x86_64 `struct user_regs_struct` (arch/x86/include/asm/user_64.h), 27 × 8 bytes; elf_prstatus
 * is 336 bytes.
 */
export const x86_64: PrstatusLayout = {
  littleEndian: true,
  registers: regs64([
    "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx", "rsi", "rdi",
    "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
  ]),
  pc: "rip",
  sp: "rsp",
  size: 336,
};
