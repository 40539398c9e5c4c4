import { EM } from "@kdumpkit/elf";

/** Architecture names used by kdumpkit (as drgn and libkdumpfile name them). */
export type DumpArch = "x86_64" | "aarch64" | "ppc64" | "ppc64le" | "s390x" | "i386" | "arm" | "riscv64" | "loongarch64" | string;

/** Maps `e_machine` (+ byte order for ppc64) to an architecture name; unknown machines become `"EM_<n>"`. */
export function archForMachine(e_machine: number, littleEndian: boolean): DumpArch {
  switch (e_machine) {
    case EM.X86_64:
      return "x86_64";
    case EM.AARCH64:
      return "aarch64";
    case EM.PPC64:
      return littleEndian ? "ppc64le" : "ppc64";
    case EM.S390:
      return "s390x";
    case EM.I386:
      return "i386";
    case EM.ARM:
      return "arm";
    case EM.RISCV:
      return "riscv64";
    case EM.LOONGARCH:
      return "loongarch64";
    default:
      return `EM_${e_machine}`;
  }
}

/** The page size an architecture's kernels use by default, for dumps without VMCOREINFO PAGESIZE. */
export function defaultPageSize(arch: DumpArch): number {
  return arch === "ppc64" || arch === "ppc64le" ? 65536 : 4096;
}
