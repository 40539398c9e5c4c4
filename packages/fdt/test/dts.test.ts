// DTS value printing in both dtc dialects. The expected texts are written by hand from dtc's
// treesource.c (write_propval, guess_value_type, add_string_markers), not produced by our code;
// interop.test.ts compares with whichever dtc is installed.
import { FdtError, dtsDialect, dtsPropertyValue, stringsValue } from "@kdumpkit/fdt";
import { describe, expect, it } from "vitest";

const b = (...x: number[]) => new Uint8Array(x);

describe("dtsPropertyValue", () => {
  it("dtc 1.6 keeps a string list in one literal with \\0", () => {
    expect(dtsPropertyValue(stringsValue("a", "bc", ""))).toBe(' = "a\\0bc\\0";');
    expect(dtsPropertyValue(stringsValue("a", "bc", ""), "1.6")).toBe(' = "a\\0bc\\0";');
  });

  it("dtc 1.7 prints one literal per string (add_string_markers), empty strings included", () => {
    expect(dtsPropertyValue(stringsValue("a", "bc", ""), "1.7")).toBe(' = "a", "bc", "";');
    expect(dtsPropertyValue(stringsValue("ibm,pseries", "x\"y"), "1.7")).toBe(' = "ibm,pseries", "x\\"y";');
  });

  it("both dialects agree on single strings, cells, bytes and empty values", () => {
    for (const d of ["1.6", "1.7"] as const) {
      expect(dtsPropertyValue(stringsValue("x\ty"), d)).toBe(' = "x\\ty";');
      expect(dtsPropertyValue(b(0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff), d)).toBe(" = <0x01 0xffffffff>;");
      expect(dtsPropertyValue(b(1, 2, 3), d)).toBe(" = [01 02 03];");
      expect(dtsPropertyValue(b(), d)).toBe(";");
      // more NULs than other bytes: not a string, even in 1.7
      expect(dtsPropertyValue(b(0x61, 0, 0, 0), d)).toBe(" = <0x61000000>;");
    }
  });
});

describe("dtsDialect", () => {
  it("maps dtc version texts to the dialect that prints like them", () => {
    expect(dtsDialect("Version: DTC 1.6.1")).toBe("1.6");
    expect(dtsDialect("Version: DTC 1.7.0")).toBe("1.7");
    expect(dtsDialect("Version: DTC 1.7.2-g52f07dcc\n")).toBe("1.7");
    expect(dtsDialect("1.8.0")).toBe("1.7");
    expect(dtsDialect("1.5.1")).toBe("1.6");
    expect(dtsDialect("1.6")).toBe("1.6");
  });

  it("refuses a text without a version with FDT_ERR_BADVALUE", () => {
    expect(() => dtsDialect("dtc")).toThrow(FdtError);
    try {
      dtsDialect("version unknown");
    } catch (e) {
      expect((e as FdtError).code).toBe("FDT_ERR_BADVALUE");
    }
    expect.assertions(2);
  });
});
