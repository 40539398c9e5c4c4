import { EM, type ElfError, encodePrstatus, isAllZero, parsePrstatus, prstatusArchForMachine, prstatusSize } from "@kdumpkit/elf";
import { describe, expect, it } from "vitest";

describe("prstatus", () => {
  it("sizes follow the kernel's struct elf_prstatus (reference §3.2; s390x from s390_regs)", () => {
    expect([prstatusSize("x86_64"), prstatusSize("aarch64"), prstatusSize("ppc64"), prstatusSize("ppc64le"), prstatusSize("s390x")]).toEqual([336, 392, 504, 504, 336]);
  });

  it("maps e_machine + byte order", () => {
    expect(prstatusArchForMachine(EM.X86_64, true)).toBe("x86_64");
    expect(prstatusArchForMachine(EM.AARCH64, true)).toBe("aarch64");
    expect(prstatusArchForMachine(EM.PPC64, false)).toBe("ppc64");
    expect(prstatusArchForMachine(EM.PPC64, true)).toBe("ppc64le");
    expect(prstatusArchForMachine(EM.S390, false)).toBe("s390x");
    expect(prstatusArchForMachine(EM.RISCV, true)).toBeUndefined();
  });

  it("pr_pid at 32 and pr_reg at 112 (x86_64: rip is word 16, rsp word 19)", () => {
    const d = new Uint8Array(336);
    const v = new DataView(d.buffer);
    v.setInt32(32, 275, true);
    v.setBigUint64(112 + 16 * 8, 0xffffffffb0000000n, true);
    v.setBigUint64(112 + 19 * 8, 0xffffc90000123000n, true);
    const p = parsePrstatus(d, "x86_64");
    expect(p.pr_pid).toBe(275);
    expect(p.pc).toBe(0xffffffffb0000000n);
    expect(p.sp).toBe(0xffffc90000123000n);
  });

  it("s390x: big-endian, 4-byte access registers, orig_gpr2 at 112+208", () => {
    const d = encodePrstatus({ pr_pid: 9, registers: { psw_addr: 0x1234n, gpr15: 0x5678n, acr1: 0xdeadbeefn, orig_gpr2: 42n } }, "s390x");
    const v = new DataView(d.buffer);
    expect(v.getUint32(32, false)).toBe(9);
    expect(v.getBigUint64(112 + 8, false)).toBe(0x1234n);
    expect(v.getUint32(112 + 16 + 128 + 4, false)).toBe(0xdeadbeef);
    expect(v.getBigUint64(112 + 16 + 128 + 64, false)).toBe(42n);
    const p = parsePrstatus(d, "s390x");
    expect([p.pc, p.sp, p.registers.acr1]).toEqual([0x1234n, 0x5678n, 0xdeadbeefn]);
  });

  it("ppc64 big and little endian differ only in byte order", () => {
    const regs = { nip: 0xc000000000001234n, gpr1: 0xc00000000fff0000n, msr: 0x8000000000009033n };
    const be = encodePrstatus({ registers: regs }, "ppc64");
    const lel = encodePrstatus({ registers: regs }, "ppc64le");
    expect(new DataView(be.buffer).getBigUint64(112 + 32 * 8, false)).toBe(regs.nip);
    expect(new DataView(lel.buffer).getBigUint64(112 + 32 * 8, true)).toBe(regs.nip);
    expect(parsePrstatus(be, "ppc64").sp).toBe(regs.gpr1);
    expect(parsePrstatus(lel, "ppc64le").pc).toBe(regs.nip);
  });

  it("aarch64 pc is register 32", () => {
    const d = encodePrstatus({ registers: { pc: 0xffff800080001000n, sp: 0xffff800082003f00n } }, "aarch64");
    expect(new DataView(d.buffer).getBigUint64(112 + 32 * 8, true)).toBe(0xffff800080001000n);
  });

  it("E_BAD_NOTE for a short desc or an unknown register; E_UNSUPPORTED_ARCH", () => {
    const codes: string[] = [];
    for (const f of [
      () => parsePrstatus(new Uint8Array(300), "x86_64"),
      () => encodePrstatus({ registers: { nope: 1n } }, "x86_64"),
      () => parsePrstatus(new Uint8Array(400), "mips" as never),
      // an Object.prototype name must not be taken for a layout (it was: TypeError)
      () => parsePrstatus(new Uint8Array(400), "toString" as never),
      () => encodePrstatus({}, "constructor" as never),
    ]) {
      try {
        f();
      } catch (e) {
        codes.push((e as ElfError).code);
      }
    }
    expect(codes).toEqual(["E_BAD_NOTE", "E_BAD_NOTE", "E_UNSUPPORTED_ARCH", "E_UNSUPPORTED_ARCH", "E_UNSUPPORTED_ARCH"]);
  });

  it("isAllZero", () => {
    expect(isAllZero(new Uint8Array(368))).toBe(true);
    expect(isAllZero(Uint8Array.of(0, 0, 1))).toBe(false);
  });
});
