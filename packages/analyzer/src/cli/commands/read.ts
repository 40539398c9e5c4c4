import { defineCommand } from "../command-spec.js";

/** `kdumpkit read DUMP --phys ADDR --length N`: hex dump of memory, strictly within PT_LOAD. */
export const readCommand = defineCommand({
  name: "read",
  describe: "Hex dump of physical (--phys) or kernel-virtual (--virt) memory; --raw writes the bytes",
  options: {
    phys: { type: "string", valueName: "ADDR", describe: "physical address (0x… or decimal)" },
    virt: { type: "string", valueName: "ADDR", describe: "kernel virtual address (0x… or decimal)" },
    length: { type: "string", valueName: "N", describe: "number of bytes", demand: true },
    raw: { type: "boolean", describe: "write exactly the bytes to stdout (for hashing)" },
    json: { type: "boolean", describe: "print the bytes as a JSON report" },
  },
  examples: [
    // Addresses that exist in an x86_64 kdump dump: the first MiB is never in one (reference §1.1).
    ["$0 read vmcore --phys 0x1000000 --length 256", "256 bytes of physical memory (see `kdumpkit memory` for the ranges)"],
    ["$0 read vmcore --virt 0xffffffffb101f700 --length 64", "a kernel address, e.g. SYMBOL(init_uts_ns) from `kdumpkit vmcoreinfo` (typed column)"],
    ["$0 read vmcore --phys 0x1000000 --length 4096 --raw | sha256sum", "hash a page"],
  ],
  async run(args) {
    const [{ openInput, closeInput }, rm, io, { AnalyzerError }] = await Promise.all([import("../../input.js"), import("../../read-memory.js"), import("../io.js"), import("../../errors.js")]);
    // Two outputs asked for at once: refuse rather than silently pick one (a script hashing --raw output would hash JSON).
    if (args.raw && args.json) throw new AnalyzerError("E_BAD_ARGUMENT", "--raw and --json exclude each other");
    const physical = io.parseNumberArgument("phys", args.phys);
    const virtual = io.parseNumberArgument("virt", args.virt);
    const length = Number(io.parseNumberArgument("length", args.length) ?? 0n);
    const input = await openInput(args.dump);
    try {
      const options = { length, ...(physical !== undefined ? { physical } : {}), ...(virtual !== undefined ? { virtual } : {}) };
      if (args.json) {
        io.printJson(rm.readMemory(input, options));
        return 0;
      }
      const { address, bytes } = rm.readMemoryBytes(input, options);
      if (args.raw) {
        await new Promise<void>((resolve, reject) => process.stdout.write(bytes, (e) => (e ? reject(e) : resolve())));
      } else io.printText(rm.hexdump(bytes, address));
      return 0;
    } finally {
      closeInput(input);
    }
  },
});
