import { defineCommand } from "../command-spec.js";

/** `kdumpkit summary DUMP`: format, arch, release, crash time, PT_LOADs, notes, nr_cpus. */
export const summaryCommand = defineCommand({
  name: "summary",
  describe: "What the dump is: format, architecture, release, crash time, PT_LOADs, notes, nr_cpus",
  options: { json: { type: "boolean", describe: "print the report as JSON" } },
  examples: [
    ["$0 summary vmcore", "describe a dump"],
    ["$0 summary elfcorehdr.bin --json", "describe a bare elfcorehdr as JSON"],
  ],
  async run(args) {
    const [{ openInput, closeInput }, { summary }, io] = await Promise.all([import("../../input.js"), import("../../summary.js"), import("../io.js")]);
    const input = await openInput(args.dump);
    try {
      const report = summary(input);
      if (args.json) io.printJson(report);
      else {
        const { renderSummary } = await import("../text/summary-text.js");
        io.printText(renderSummary(report));
      }
      return 0;
    } finally {
      closeInput(input);
    }
  },
});
