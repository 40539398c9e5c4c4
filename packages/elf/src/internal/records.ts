// binary-parser record parsers for the fixed-layout ELF structures, built once per class and
// byte order. Callers check bounds first (need()) so binary-parser never reads past the end; any
// exception it still raises is rethrown as an ElfError naming the structure.
import { ElfError } from "../errors.js";
import { Parser } from "./binary-parser.js";

type Endian = "little" | "big";

function ehdr64(e: Endian) {
  return new Parser()
    .endianness(e)
    .skip(16)
    .uint16("e_type")
    .uint16("e_machine")
    .uint32("e_version")
    .uint64("e_entry")
    .uint64("e_phoff")
    .uint64("e_shoff")
    .uint32("e_flags")
    .uint16("e_ehsize")
    .uint16("e_phentsize")
    .uint16("e_phnum")
    .uint16("e_shentsize")
    .uint16("e_shnum")
    .uint16("e_shstrndx");
}

function ehdr32(e: Endian) {
  return new Parser()
    .endianness(e)
    .skip(16)
    .uint16("e_type")
    .uint16("e_machine")
    .uint32("e_version")
    .uint32("e_entry")
    .uint32("e_phoff")
    .uint32("e_shoff")
    .uint32("e_flags")
    .uint16("e_ehsize")
    .uint16("e_phentsize")
    .uint16("e_phnum")
    .uint16("e_shentsize")
    .uint16("e_shnum")
    .uint16("e_shstrndx");
}

function shdr64(e: Endian) {
  return new Parser()
    .endianness(e)
    .uint32("sh_name")
    .uint32("sh_type")
    .uint64("sh_flags")
    .uint64("sh_addr")
    .uint64("sh_offset")
    .uint64("sh_size")
    .uint32("sh_link")
    .uint32("sh_info")
    .uint64("sh_addralign")
    .uint64("sh_entsize");
}

function shdr32(e: Endian) {
  return new Parser()
    .endianness(e)
    .uint32("sh_name")
    .uint32("sh_type")
    .uint32("sh_flags")
    .uint32("sh_addr")
    .uint32("sh_offset")
    .uint32("sh_size")
    .uint32("sh_link")
    .uint32("sh_info")
    .uint32("sh_addralign")
    .uint32("sh_entsize");
}

function make<T>(build: (e: Endian) => Parser) {
  const le = build("little");
  const be = build("big");
  return (what: string, bytes: Uint8Array, littleEndian: boolean, offset: number): T => {
    try {
      return (littleEndian ? le : be).parse(bytes) as T;
    } catch (cause) {
      throw new ElfError("E_TRUNCATED", `cannot decode ${what}`, { offset, cause });
    }
  };
}

/** Raw decoded records: 64-bit fields are bigint, 32-bit class fields number. */
export interface RawEhdr {
  e_type: number;
  e_machine: number;
  e_version: number;
  e_entry: bigint | number;
  e_phoff: bigint | number;
  e_shoff: bigint | number;
  e_flags: number;
  e_ehsize: number;
  e_phentsize: number;
  e_phnum: number;
  e_shentsize: number;
  e_shnum: number;
  e_shstrndx: number;
}

export interface RawShdr {
  sh_name: number;
  sh_type: number;
  sh_flags: bigint | number;
  sh_addr: bigint | number;
  sh_offset: bigint | number;
  sh_size: bigint | number;
  sh_link: number;
  sh_info: number;
  sh_addralign: bigint | number;
  sh_entsize: bigint | number;
}

export const parseEhdr64 = make<RawEhdr>(ehdr64);
export const parseEhdr32 = make<RawEhdr>(ehdr32);
export const parseShdr64 = make<RawShdr>(shdr64);
export const parseShdr32 = make<RawShdr>(shdr32);
