import { defineCommand } from "../command-spec.js";

/** `kdumpkit cpus DUMP`: one row per CPU from notes, masks and crash_notes, with a verdict. */
export const cpusCommand = defineCommand({
  name: "cpus",
  describe: "One row per CPU: note in the dump, cpu masks, crash_notes in memory, verdict; names the crashing CPU",
  options: {
    json: { type: "boolean", describe: "print the report as JSON" },
    "system-map": { type: "string", valueName: "FILE", describe: "the kernel's System.map (plain or .xz) for the cpu masks, crash_notes, panic_cpu" },
    registers: { type: "boolean", describe: "show every saved register" },
    png: { type: "string", valueName: "FILE", describe: "also draw the CPU grid, coloured by verdict, into a PNG" },
  },
  examples: [
    ["$0 cpus vmcore", "CPUs from the notes alone"],
    ["$0 cpus vmcore --system-map System.map-6.12.117", "with cpu masks and per-CPU crash_notes from kernel memory"],
    ["$0 cpus vmcore --system-map System.map --png cpus.png", "and a picture"],
  ],
  async run(args) {
    const [{ openInput, closeInput }, { cpus }, io] = await Promise.all([import("../../input.js"), import("../../cpus.js"), import("../io.js")]);
    const systemMap = typeof args["system-map"] === "string" ? io.readSystemMapFile(args["system-map"]) : undefined;
    const input = await openInput(args.dump);
    try {
      const report = cpus(input, { ...(systemMap !== undefined ? { systemMap } : {}), registers: args.registers === true });
      if (typeof args.png === "string") {
        const { renderCpusPng } = await import("../../render/png-cpus.js");
        await renderCpusPng(report, args.png);
      }
      if (args.json) io.printJson(report);
      else {
        const { renderCpus } = await import("../text/cpus-text.js");
        io.printText(renderCpus(report, args.registers === true));
      }
      return report.findings.error + report.findings.warning > 0 ? 1 : 0;
    } finally {
      closeInput(input);
    }
  },
});
