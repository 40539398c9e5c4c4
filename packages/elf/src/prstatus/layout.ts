/** A register of `pr_reg` (elf_gregset_t): its name and width in bytes. */
export interface RegisterSpec {
  name: string;
  size: 4 | 8;
}

/** Register layout of one architecture's `struct elf_prstatus` (LP64 kernels). */
export interface PrstatusLayout {
  /** Byte order the kernel of this architecture writes. */
  littleEndian: boolean;
  /** `pr_reg` in order, starting at byte 112 of elf_prstatus. */
  registers: RegisterSpec[];
  /** Name of the register holding the program counter. */
  pc: string;
  /** Name of the register holding the stack pointer. */
  sp: string;
  /** `sizeof(struct elf_prstatus)`. */
  size: number;
}

/** Eight-byte registers from a list of names. */
export function regs64(names: string[]): RegisterSpec[] {
  return names.map((name) => ({ name, size: 8 }));
}
