import { defineCommand } from "../command-spec.js";

/** `kdumpkit check DUMP`: every consistency check, exit code from the worst finding. */
export const checkCommand = defineCommand({
  name: "check",
  describe: "All consistency checks in one pass; exits 1 when any error or warning is found",
  options: {
    json: { type: "boolean", describe: "print the report as JSON" },
    "system-map": { type: "string", valueName: "FILE", describe: "the kernel's System.map, to check CPUs against the cpu masks" },
    iomem: { type: "string", valueName: "FILE", describe: "a /proc/iomem listing, to check the memory ranges" },
    scan: { type: "boolean", describe: "also read every page in the file (progress bar on a terminal)" },
  },
  examples: [
    ["$0 check vmcore", "headers and notes"],
    ["$0 check vmcore --system-map System.map --iomem iomem.txt", "everything"],
  ],
  async run(args) {
    const [{ openInput, closeInput }, { check }, io] = await Promise.all([import("../../input.js"), import("../../checks.js"), import("../io.js")]);
    const systemMap = typeof args["system-map"] === "string" ? io.readSystemMapFile(args["system-map"]) : undefined;
    const iomem = typeof args.iomem === "string" ? await io.readIomemFile(args.iomem) : undefined;
    const input = await openInput(args.dump);
    try {
      let progress;
      if (args.scan) {
        const { progressBar } = await import("../../render/progress.js");
        progress = progressBar("scanning pages");
      }
      const report = check(input, {
        ...(systemMap !== undefined ? { systemMap } : {}),
        ...(iomem ? { iomem } : {}),
        scan: args.scan === true,
        ...(progress ? { onProgress: progress.update } : {}),
      });
      progress?.done();
      if (args.json) io.printJson(report);
      else {
        const { renderCheck } = await import("../text/check-text.js");
        io.printText(renderCheck(report));
      }
      return report.exitCode;
    } finally {
      closeInput(input);
    }
  },
});
