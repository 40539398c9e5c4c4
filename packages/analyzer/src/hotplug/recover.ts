// Opening an elfcorehdr file for hotplug updates: @kdumpkit/elf's Elfcorehdr.fromBytes recovers the
// spec by the kernel's layout rules (recoverElfcorehdr, kdump-formats §1.1); this adds what the
// analyzer knows about the machine (sizeof(note_buf_t), PAGE_OFFSET, the kernel-image window) and
// the user's hints, and the percpu stride that lets `cpu-add:N` omit the crash_notes address.
import { type CrashCpu, ElfError, Elfcorehdr, type MemoryRange, parseElfHeader } from "@kdumpkit/elf";
import { AnalyzerError } from "../errors.js";
import { type MachineFacts, machineForHeader } from "./machine.js";

/** What the user may tell us that a header cannot say. */
export interface RecoveryHints {
  /** CPU ids of the CPU PT_NOTEs in order (default 0..n-1, for_each_possible_cpu with a dense mask). */
  cpuIds?: number[];
  /** Direct-map base; needed only when the header has no RAM PT_LOAD to learn it from. */
  pageOffset?: bigint;
  /** Ranges the kernel cuts out of hot-added memory (the crashkernel reservation; x86 also [0, 1 MiB)). */
  exclude?: MemoryRange[];
}

/** An elfcorehdr file opened for in-place updates. */
export interface OpenedElfcorehdr {
  /** The editor; its buffer is a copy of the file's bytes. */
  header: Elfcorehdr;
  machine: MachineFacts | undefined;
  /** When CPU notes sit at base + id × stride (one percpu unit per CPU), the base and stride: cpu-add can omit @ADDR. */
  noteStride: { base: bigint; stride: bigint } | undefined;
}

/**
 * Opens a copy of `bytes` with Elfcorehdr.fromBytes, the machine's facts and the user's hints.
 * @throws AnalyzerError `E_BAD_ELFCOREHDR` naming the offset (elf's E_BAD_ELFCOREHDR, or hints that do
 *   not fit the header); ElfError `E_CAPACITY` for a header cut shorter than its own slots, and the
 *   header reader's codes for a file that is not ELF at all.
 */
export function openHotplugElfcorehdr(bytes: Uint8Array, hints: RecoveryHints = {}): OpenedElfcorehdr {
  const { ident, e_machine } = parseElfHeader(bytes);
  const machine = machineForHeader(e_machine, ident.littleEndian);
  let header: Elfcorehdr;
  try {
    header = Elfcorehdr.fromBytes(bytes.slice(), {
      ...(hints.cpuIds ? { cpuIds: hints.cpuIds } : {}),
      ...(hints.pageOffset !== undefined ? { pageOffset: hints.pageOffset } : {}),
      ...(machine ? { defaultPageOffset: machine.pageOffset, kernelText: machine.kernelText, noteBytes: machine.noteBytes } : {}),
      ...(machine?.kernelImageBase !== undefined ? { kernelImageBase: machine.kernelImageBase } : {}),
      exclude: hints.exclude ?? [],
    });
  } catch (error) {
    if (error instanceof ElfError && (error.code === "E_BAD_ELFCOREHDR" || error.code === "E_INVALID_ARGUMENT")) {
      const message = error.message.replace(/^E_[A-Z_]+: /, "").replace(/\bcpuIds\b/g, "--cpu-ids").replace(/\bpageOffset\b/g, "--page-offset");
      throw new AnalyzerError("E_BAD_ELFCOREHDR", message, { ...(error.offset !== undefined ? { offset: error.offset } : {}), cause: error });
    }
    throw error;
  }
  return { header, machine, noteStride: strideOf(header.cpus) };
}

/** base + id × stride when every CPU note follows it (at least two CPUs), else undefined. */
function strideOf(cpus: readonly CrashCpu[]): { base: bigint; stride: bigint } | undefined {
  if (cpus.length < 2) return undefined;
  const [a, b] = cpus as [CrashCpu, CrashCpu];
  const span = b.crashNotesAddress - a.crashNotesAddress;
  const ids = BigInt(b.cpu - a.cpu);
  if (span <= 0n || span % ids !== 0n) return undefined;
  const stride = span / ids;
  const base = a.crashNotesAddress - BigInt(a.cpu) * stride;
  if (base < 0n || !cpus.every((c) => c.crashNotesAddress === base + BigInt(c.cpu) * stride)) return undefined;
  return { base, stride };
}
