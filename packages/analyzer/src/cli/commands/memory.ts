import { defineCommand } from "../command-spec.js";

/** `kdumpkit memory DUMP`: the PT_LOAD map, holes, and the /proc/iomem comparison. */
export const memoryCommand = defineCommand({
  name: "memory",
  describe: "The PT_LOAD memory map with holes; with --iomem, System RAM missing from the dump and dump ranges that are not RAM",
  options: {
    json: { type: "boolean", describe: "print the report as JSON" },
    iomem: { type: "string", valueName: "FILE", describe: "a /proc/iomem listing of the crashed kernel (taken as root)" },
    png: { type: "string", valueName: "FILE", describe: "also draw the memory map into a PNG" },
  },
  examples: [
    ["$0 memory vmcore", "the PT_LOAD map"],
    ["$0 memory vmcore --iomem iomem.txt --png memory.png", "compare with /proc/iomem and draw it"],
  ],
  async run(args) {
    const [{ openInput, closeInput }, { memory }, io] = await Promise.all([import("../../input.js"), import("../../memory-map.js"), import("../io.js")]);
    const iomem = typeof args.iomem === "string" ? await io.readIomemFile(args.iomem) : undefined;
    const input = await openInput(args.dump);
    try {
      const report = memory(input, iomem ? { iomem } : {});
      if (typeof args.png === "string") {
        const { renderMemoryPng } = await import("../../render/png-memory.js");
        await renderMemoryPng(report, args.png);
      }
      if (args.json) io.printJson(report);
      else {
        const { renderMemory } = await import("../text/memory-text.js");
        io.printText(renderMemory(report));
      }
      return report.findings > 0 ? 1 : 0;
    } finally {
      closeInput(input);
    }
  },
});
