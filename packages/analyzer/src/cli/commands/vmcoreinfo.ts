import { defineCommand } from "../command-spec.js";

/** `kdumpkit vmcoreinfo DUMP`: the VMCOREINFO note, raw and typed. */
export const vmcoreinfoCommand = defineCommand({
  name: "vmcoreinfo",
  describe: "The VMCOREINFO note: raw text, or typed (symbols, offsets, sizes, numbers) with --json",
  options: {
    json: { type: "boolean", describe: "print the typed report as JSON" },
    raw: { type: "boolean", describe: "print the note's text exactly as stored" },
  },
  examples: [
    ["$0 vmcoreinfo vmcore", "key/value table"],
    ["$0 vmcoreinfo vmcore --raw", "the text as the kernel wrote it"],
  ],
  async run(args) {
    const [{ openInput, closeInput }, { vmcoreinfo }, io, { AnalyzerError }] = await Promise.all([import("../../input.js"), import("../../vmcoreinfo.js"), import("../io.js"), import("../../errors.js")]);
    // Two outputs asked for at once: refuse rather than silently pick one (a script hashing --raw output would hash JSON).
    if (args.raw && args.json) throw new AnalyzerError("E_BAD_ARGUMENT", "--raw and --json exclude each other");
    const input = await openInput(args.dump);
    try {
      const report = vmcoreinfo(input);
      if (args.json) io.printJson(report);
      else if (args.raw) process.stdout.write(report.raw ?? "");
      else {
        const { renderVmcoreinfo } = await import("../text/vmcoreinfo-text.js");
        io.printText(renderVmcoreinfo(report));
      }
      return report.present ? 0 : 1;
    } finally {
      closeInput(input);
    }
  },
});
