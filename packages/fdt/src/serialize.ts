// Tree → blob through the sequential writer (devicetree spec §5), in dtc's layout.
import { redundantNameProperty } from "./dts.js";
import { SequentialWriter } from "./sequential-writer.js";
import type { Fdt, FdtNode } from "./tree.js";

/** Options for {@link writeFdt}. */
export interface WriteOptions {
  /**
   * "first-use" (default) builds the strings block in first-use order with suffix sharing, as
   * dtc does; "preserve" starts from the strings block the tree was parsed from and keeps each
   * property's name offset, so a parsed blob in canonical layout is reproduced byte for byte.
   */
  stringTable?: "first-use" | "preserve";
  /** Zeroed free space to add after the strings block (counted in totalsize). Default 0. */
  extraSpace?: number;
  /** Leave out `name` properties that repeat the node's base name, as dtc does. Default false. */
  dropRedundantName?: boolean;
}

/**
 * Serializes a tree to a version-17 blob: header, rsvmap at offset 40, structure block, strings
 * block. For a tree parsed from a dtc-written blob the output equals `dtc -I dtb -O dtb` of it.
 * Errors: FDT_ERR_BADSTATE (impossible for a tree), FDT_ERR_BADVALUE (a name above U+00FF).
 */
export function writeFdt(fdt: Fdt, options: WriteOptions = {}): Uint8Array {
  const preserve = options.stringTable === "preserve" && fdt.strings !== undefined;
  const w = new SequentialWriter(preserve ? { initialStrings: fdt.strings! } : {});
  for (const r of fdt.memoryReservations) w.addReservation(r.address, r.size);
  const emit = (n: FdtNode): void => {
    w.beginNode(n.name);
    const skip = options.dropRedundantName ? redundantNameProperty(n) : undefined;
    for (const p of n.properties) if (p !== skip) w.property(p.name, p.value, preserve ? p.nameoff : undefined);
    for (const c of n.children) emit(c);
    w.endNode();
  };
  emit(fdt.root);
  return w.finish({ bootCpuidPhys: fdt.bootCpuidPhys, extraSpace: options.extraSpace ?? 0 });
}
