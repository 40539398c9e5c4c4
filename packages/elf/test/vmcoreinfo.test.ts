import { formatVmcoreinfo, parseVmcoreinfo } from "@kdumpkit/elf";
import { describe, expect, it } from "vitest";

const text = [
  "OSRELEASE=6.12.117+deb12-amd64",
  "BUILD-ID=764949bbe8b7a9241512fbf3b0d66d0ba34686a8",
  "PAGESIZE=4096",
  "SYMBOL(init_uts_ns)=ffffffffb101f700",
  "OFFSET(uts_namespace.name)=0",
  "SIZE(page)=64",
  "LENGTH(mem_section)=262144",
  "NUMBER(VMALLOC_START)=0xffffcf4a00000000",
  "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129",
  "NUMBER(phys_base)=-411041792",
  "KERNELOFFSET=2e200000",
  "CONFIG_X86_64=y",
  "CRASHTIME=1795291728",
  "",
].join("\n");

describe("VMCOREINFO", () => {
  it("parses typed keys (hex SYMBOL, signed or 0x NUMBER)", () => {
    const v = parseVmcoreinfo(text);
    expect(v.osRelease).toBe("6.12.117+deb12-amd64");
    expect(v.buildId).toBe("764949bbe8b7a9241512fbf3b0d66d0ba34686a8");
    expect(v.pageSize).toBe(4096);
    expect(v.symbols.get("init_uts_ns")).toBe(0xffffffffb101f700n);
    expect(v.offsets.get("uts_namespace.name")).toBe(0n);
    expect(v.sizes.get("page")).toBe(64n);
    expect(v.lengths.get("mem_section")).toBe(262144n);
    expect(v.numbers.get("VMALLOC_START")).toBe(0xffffcf4a00000000n);
    expect(v.numbers.get("PAGE_BUDDY_MAPCOUNT_VALUE")).toBe(-129n);
    expect(v.numbers.get("phys_base")).toBe(-411041792n);
    expect(v.kernelOffset).toBe(0x2e200000n);
    expect(v.crashTime).toBe(1795291728n);
    expect(v.other.get("CONFIG_X86_64")).toBe("y");
  });

  it("formats back byte for byte, also from desc bytes with trailing NULs", () => {
    expect(formatVmcoreinfo(parseVmcoreinfo(text))).toBe(text);
    const bytes = new TextEncoder().encode(`${text}\0\0\0`);
    expect(formatVmcoreinfo(parseVmcoreinfo(bytes))).toBe(text);
    expect(formatVmcoreinfo(parseVmcoreinfo("A=1\nB"))).toBe("A=1\nB");
  });

  it("keeps unparsable typed values in other", () => {
    const v = parseVmcoreinfo("SYMBOL(x)=zz\nNUMBER(y)=12abc\n");
    expect(v.symbols.size + v.numbers.size).toBe(0);
    expect(v.other.get("SYMBOL(x)")).toBe("zz");
  });
});
