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
  /** Set when the lone PT_LOAD was read as RAM through the machine's default direct-map base (see openHotplugElfcorehdr), in words. */
  fallback: string | undefined;
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
  const open = (pageOffset: bigint | undefined) =>
    Elfcorehdr.fromBytes(bytes.slice(), {
      ...(hints.cpuIds ? { cpuIds: hints.cpuIds } : {}),
      ...(pageOffset !== undefined ? { pageOffset } : {}),
      ...(machine ? { defaultPageOffset: machine.pageOffset, kernelText: machine.kernelText, noteBytes: machine.noteBytes } : {}),
      ...(machine?.kernelImageBase !== undefined ? { kernelImageBase: machine.kernelImageBase } : {}),
      exclude: hints.exclude ?? [],
    });
  let header: Elfcorehdr;
  let fallback: string | undefined;
  try {
    header = open(hints.pageOffset);
  } catch (error) {
    const retried = hints.pageOffset === undefined && machine ? lonePtLoadAsRam(() => open(machine.pageOffset), error) : undefined;
    if (!retried) throw asAnalyzerError(error);
    header = retried;
    fallback = `the one PT_LOAD maps at the ${machine!.name} default direct-map base 0x${machine!.pageOffset.toString(16)}: read as RAM (give --page-offset to decide otherwise)`;
  }
  return { header, machine, noteStride: strideOf(header.cpus), fallback };
}

/**
 * The retry for a header with a single PT_LOAD, which @kdumpkit/elf refuses as "kernel text or RAM?"
 * without a direct-map base (e.g. what `hotplug create` writes for one RAM range and no
 * --kernel-text). It is opened again with the machine's default PAGE_OFFSET, and that reading is
 * kept only if it takes the PT_LOAD for RAM, i.e. p_vaddr − p_paddr is exactly that base — and, as
 * always, only if the recovered spec rebuilds the bytes exactly (recoverElfcorehdr's last rule).
 * Why this is faithful to the kernel: the kernel writes RAM PT_LOADs at phys + PAGE_OFFSET, and its
 * kernel-text PT_LOAD at the kernel-image mapping (x86_64 __START_KERNEL_map, arm64 KIMAGE_VADDR),
 * which is never the direct map; a PT_LOAD at the default direct-map base is RAM from a kernel
 * without KASLR of the direct map. With KASLR (another delta) it stays ambiguous: we do not guess,
 * and the original error (asking for --page-offset) stands.
 */
function lonePtLoadAsRam(reopen: () => Elfcorehdr, original: unknown): Elfcorehdr | undefined {
  if (!(original instanceof ElfError) || original.code !== "E_BAD_ELFCOREHDR") return undefined;
  try {
    const header = reopen();
    return header.memory.length === 1 ? header : undefined;
  } catch {
    return undefined;
  }
}

function asAnalyzerError(error: unknown): unknown {
  if (error instanceof ElfError && (error.code === "E_BAD_ELFCOREHDR" || error.code === "E_INVALID_ARGUMENT")) {
    const message = error.message.replace(/^E_[A-Z_]+: /, "").replace(/\bcpuIds\b/g, "--cpu-ids").replace(/\bpageOffset\b/g, "--page-offset");
    return new AnalyzerError("E_BAD_ELFCOREHDR", message, { ...(error.offset !== undefined ? { offset: error.offset } : {}), cause: error });
  }
  return error;
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
