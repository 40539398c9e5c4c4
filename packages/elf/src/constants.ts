// ELF constants (System V gABI, Linux include/uapi/linux/elf.h) as `as const` objects, with
// helpers that print the specification's names the way readelf does.

/** `e_ident[EI_CLASS]` values. */
export const ELFCLASS = { NONE: 0, ELF32: 1, ELF64: 2 } as const;
/** `e_ident[EI_DATA]` values. */
export const ELFDATA = { NONE: 0, LSB: 1, MSB: 2 } as const;
/** `EV_CURRENT`, the only ELF version. */
export const EV_CURRENT = 1;
/** Indexes into `e_ident`. */
export const EI = { MAG0: 0, CLASS: 4, DATA: 5, VERSION: 6, OSABI: 7, ABIVERSION: 8, NIDENT: 16 } as const;
/** `e_type` values. */
export const ET = { NONE: 0, REL: 1, EXEC: 2, DYN: 3, CORE: 4 } as const;
/** `e_machine` values used by Linux crash dumps. */
export const EM = {
  NONE: 0,
  I386: 3,
  PPC: 20,
  PPC64: 21,
  S390: 22,
  ARM: 40,
  X86_64: 62,
  AARCH64: 183,
  RISCV: 243,
  LOONGARCH: 258,
} as const;
/** `p_type` values. */
export const PT = {
  NULL: 0,
  LOAD: 1,
  DYNAMIC: 2,
  INTERP: 3,
  NOTE: 4,
  SHLIB: 5,
  PHDR: 6,
  TLS: 7,
  GNU_EH_FRAME: 0x6474e550,
  GNU_STACK: 0x6474e551,
  GNU_RELRO: 0x6474e552,
  GNU_PROPERTY: 0x6474e553,
} as const;
/** `p_flags` bits. */
export const PF = { X: 1, W: 2, R: 4 } as const;
/** `sh_type` values (only what extended numbering and tests need). */
export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, NOTE: 7 } as const;
/** Note types for owner "CORE"/"LINUX" (include/uapi/linux/elf.h). */
export const NT = {
  PRSTATUS: 1,
  PRFPREG: 2,
  PRPSINFO: 3,
  TASKSTRUCT: 4,
  AUXV: 6,
  SIGINFO: 0x53494749,
  FILE: 0x46494c45,
  PRXFPREG: 0x46e62b7f,
  PPC_VMX: 0x100,
  PPC_SPE: 0x101,
  PPC_VSX: 0x102,
  X86_XSTATE: 0x202,
  S390_PREFIX: 0x305,
  ARM_VFP: 0x400,
  ARM_TLS: 0x401,
  /** Owner "VMCOREINFO", type 0. */
  VMCOREINFO: 0,
} as const;
/** `NT_GNU_*` note types (owner "GNU"). */
export const NT_GNU = { ABI_TAG: 1, HWCAP: 2, BUILD_ID: 3, GOLD_VERSION: 4, PROPERTY_TYPE_0: 5 } as const;
/** gABI extended numbering: `e_phnum == PN_XNUM` means the real count is in section 0's `sh_info`. */
export const PN_XNUM = 0xffff;
/** `e_shnum`/`e_shstrndx` escape value (SHN_UNDEF is 0, SHN_XINDEX 0xffff). */
export const SHN_XINDEX = 0xffff;

function hex(value: number): string {
  return `0x${value.toString(16)}`;
}

function reverse(table: Record<string, number>, prefix: string): Map<number, string> {
  const map = new Map<number, string>();
  for (const [name, value] of Object.entries(table)) if (!map.has(value)) map.set(value, `${prefix}${name}`);
  return map;
}

const PT_NAMES = reverse(PT, "PT_");
const EM_NAMES = reverse(EM, "EM_");
EM_NAMES.set(EM.I386, "EM_386"); // the gABI spells it EM_386
const ET_NAMES = reverse(ET, "ET_");
const NT_CORE_NAMES = reverse(
  Object.fromEntries(Object.entries(NT).filter(([k]) => k !== "VMCOREINFO")),
  "NT_",
);
const NT_GNU_NAMES = reverse(NT_GNU, "NT_GNU_");

/** The spec name of a `p_type` (`"PT_LOAD"`), or its value in hex (`"0x6474e5ff"`) when unknown. */
export function ptName(p_type: number): string {
  return PT_NAMES.get(p_type) ?? hex(p_type);
}

/** The spec name of an `e_machine` (`"EM_X86_64"`), or its value in hex when unknown. */
export function emName(e_machine: number): string {
  return EM_NAMES.get(e_machine) ?? hex(e_machine);
}

/** The spec name of an `e_type` (`"ET_CORE"`), or its value in hex when unknown. */
export function etName(e_type: number): string {
  return ET_NAMES.get(e_type) ?? hex(e_type);
}

/**
 * The name of a note type, which depends on its owner: `"NT_PRSTATUS"` for ("CORE", 1),
 * `"VMCOREINFO"` for ("VMCOREINFO", 0), `"QEMU"` for QEMU's CPU state notes, `"NT_GNU_BUILD_ID"`…,
 * otherwise the type in hex.
 */
export function ntName(n_type: number, owner: string): string {
  if (owner === "CORE" || owner === "LINUX") return NT_CORE_NAMES.get(n_type) ?? hex(n_type);
  if (owner === "VMCOREINFO" && n_type === 0) return "VMCOREINFO";
  if (owner === "QEMU" && n_type === 0) return "QEMU";
  if (owner === "GNU") return NT_GNU_NAMES.get(n_type) ?? hex(n_type);
  return hex(n_type);
}
