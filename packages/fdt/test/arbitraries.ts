// fast-check generators for trees and edits shared by the property tests.
import { Fdt, FdtNode, FdtProperty } from "@kdumpkit/fdt";
import fc from "fast-check";

const nameChars = "abcdefgh,._+-0123456789";
export const propName = fc
  .array(fc.constantFrom(...nameChars.split("")), { minLength: 1, maxLength: 12 })
  .map((a) => a.join(""))
  .filter((s) => s !== "name");
export const nodeName = fc
  .tuple(propName, fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }))
  .map(([n, u]) => (u === undefined ? n : `${n}@${u.toString(16)}`));
export const value = fc.oneof(
  fc.uint8Array({ maxLength: 24 }),
  fc.array(fc.constantFrom("okay", "cpu", "a,b", ""), { minLength: 1, maxLength: 3 }).map((l) => new TextEncoder().encode(l.map((s) => `${s}\0`).join(""))),
);

interface NodeSpec {
  name: string;
  props: [string, Uint8Array][];
  children: NodeSpec[];
}

const uniqueProps = fc.uniqueArray(fc.tuple(propName, value), { selector: (p) => p[0], maxLength: 5 });

const nodeSpec: fc.Memo<NodeSpec> = fc.memo((depth) =>
  fc.record({
    name: nodeName,
    props: uniqueProps,
    children: depth > 1 ? fc.uniqueArray(nodeSpec(depth - 1), { selector: (n) => n.name, maxLength: 3 }) : fc.constant([]),
  }),
);

function build(spec: NodeSpec, name: string): FdtNode {
  const n = new FdtNode(name);
  n.properties = spec.props.map(([k, v]) => new FdtProperty(k, v));
  n.children = spec.children.map((c) => build(c, c.name));
  return n;
}

/** Random trees with memory reservations and a boot CPU id. */
export const tree = fc
  .tuple(
    nodeSpec(4),
    fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 1n, max: 2n ** 64n - 1n })), { maxLength: 3 }),
    fc.integer({ min: 0, max: 0xffffffff }),
  )
  .map(([spec, rsv, boot]) => new Fdt(build(spec, ""), rsv.map(([address, size]) => ({ address, size })), boot));

/** A plain comparable form of a tree. */
export function plain(fdt: Fdt): unknown {
  const node = (n: FdtNode): unknown => ({
    name: n.name,
    props: n.properties.map((p) => [p.name, Buffer.from(p.value).toString("hex")]),
    children: n.children.map(node),
  });
  return { root: node(fdt.root), rsv: fdt.memoryReservations.map((r) => [r.address, r.size]), boot: fdt.bootCpuidPhys };
}
