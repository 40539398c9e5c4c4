// Per-architecture facts the kernel uses when it prepares an elfcorehdr (kdump-formats §1.1, §1.2):
// e_machine, byte order, sizeof(note_buf_t), the direct-map base, and whether a kernel-text PT_LOAD
// is written (need_kernel_map).
import { EM, prstatusSize, type PrstatusArch } from "@kdumpkit/elf";
import { AnalyzerError } from "../errors.js";

/** What `--machine` selects. */
export interface MachineFacts {
  name: PrstatusArch;
  e_machine: number;
  littleEndian: boolean;
  /** sizeof(note_buf_t) = CRASH_CORE_NOTE_BYTES = 2 * 12 + 8 + ALIGN(sizeof(elf_prstatus), 4). */
  noteBytes: number;
  /** Default direct-map base (PAGE_OFFSET without KASLR); RAM PT_LOAD p_vaddr = start + this. */
  pageOffset: bigint;
  /** need_kernel_map at the arch's crash_prepare_elf64_headers() call site. */
  kernelText: boolean;
  /** Lowest kernel-image virtual address (x86_64 __START_KERNEL_map), to tell a lone kernel-text PT_LOAD from RAM. */
  kernelImageBase?: bigint;
}

const noteBytes = (arch: PrstatusArch): number => 2 * 12 + 8 + Math.ceil(prstatusSize(arch) / 4) * 4;

/** The machines `kdumpkit hotplug create --machine` knows. */
export const MACHINES: Record<PrstatusArch, MachineFacts> = {
  x86_64: { name: "x86_64", e_machine: EM.X86_64, littleEndian: true, noteBytes: noteBytes("x86_64"), pageOffset: 0xffff888000000000n, kernelText: true, kernelImageBase: 0xffffffff80000000n },
  aarch64: { name: "aarch64", e_machine: EM.AARCH64, littleEndian: true, noteBytes: noteBytes("aarch64"), pageOffset: 0xffff000000000000n, kernelText: true },
  ppc64le: { name: "ppc64le", e_machine: EM.PPC64, littleEndian: true, noteBytes: noteBytes("ppc64le"), pageOffset: 0xc000000000000000n, kernelText: false },
  // The kernel hard-codes ELFDATA2LSB; big-endian output is what kexec-tools writes on a BE host.
  ppc64: { name: "ppc64", e_machine: EM.PPC64, littleEndian: false, noteBytes: noteBytes("ppc64"), pageOffset: 0xc000000000000000n, kernelText: false },
  s390x: { name: "s390x", e_machine: EM.S390, littleEndian: false, noteBytes: noteBytes("s390x"), pageOffset: 0n, kernelText: false },
};

/**
 * The facts of `--machine NAME` (x86_64, aarch64, ppc64, ppc64le, s390x; arm64 and amd64 accepted).
 * @throws AnalyzerError `E_BAD_ARGUMENT` for an unknown machine.
 */
export function machineFacts(name: string): MachineFacts {
  const key = name === "arm64" ? "aarch64" : name === "amd64" ? "x86_64" : name;
  const m = (MACHINES as Record<string, MachineFacts | undefined>)[key];
  if (!m) throw new AnalyzerError("E_BAD_ARGUMENT", `--machine ${JSON.stringify(name)} is not one of ${Object.keys(MACHINES).join(", ")}`);
  return m;
}

/** The facts for a header's e_machine and byte order, or undefined for a machine we do not know. */
export function machineForHeader(e_machine: number, littleEndian: boolean): MachineFacts | undefined {
  return Object.values(MACHINES).find((m) => m.e_machine === e_machine && m.littleEndian === littleEndian) ??
    Object.values(MACHINES).find((m) => m.e_machine === e_machine);
}
