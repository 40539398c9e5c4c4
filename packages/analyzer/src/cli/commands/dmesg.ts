import { defineCommand } from "../command-spec.js";

/** `kdumpkit dmesg DUMP`: the kernel log from the printk buffer, as makedumpfile --dump-dmesg prints it. */
export const dmesgCommand = defineCommand({
  name: "dmesg",
  describe: "The kernel log up to the crash, byte-identical to makedumpfile --dump-dmesg (or the kernel's own style)",
  options: {
    json: { type: "boolean", describe: "print the records as a JSON report" },
    level: { type: "string", valueName: "N", describe: "only records of level N or more severe (0 emerg … 7 debug)" },
    tail: { type: "string", valueName: "N", describe: "only the last N records" },
    "raw-prefix": { type: "string", valueName: "STYLE", describe: "makedumpfile (default: continuation lines indented) or kernel (every line prefixed)" },
    "caller-id": { type: "boolean", describe: "print the caller id ([T123] / [C2]) after the time" },
    strict: { type: "boolean", describe: "fail on the first inconsistent record instead of skipping it" },
  },
  examples: [
    ["$0 dmesg vmcore", "the log, as makedumpfile --dump-dmesg writes it"],
    ["$0 dmesg vmcore --tail 40", "the last 40 records: what led to the panic"],
    ["$0 dmesg vmcore --level 3 --raw-prefix kernel", "errors and worse, every line prefixed"],
    ["$0 dmesg vmcore --json", "records with level, facility, caller id, sequence number"],
  ],
  async run(args) {
    const [{ openInput, closeInput }, { readDmesg }, io] = await Promise.all([import("../../input.js"), import("../../dmesg.js"), import("../io.js")]);
    const { AnalyzerError } = await import("../../errors.js");
    const level = io.parseNumberArgument("level", args.level);
    const tail = io.parseNumberArgument("tail", args.tail);
    const style = args["raw-prefix"] ?? "makedumpfile";
    if (style !== "makedumpfile" && style !== "kernel") throw new AnalyzerError("E_BAD_ARGUMENT", `--raw-prefix must be makedumpfile or kernel, got ${JSON.stringify(style)}`);
    if (level !== undefined && level > 7n) throw new AnalyzerError("E_BAD_ARGUMENT", `--level must be 0..7, got ${level}`);
    if (tail !== undefined && tail > BigInt(Number.MAX_SAFE_INTEGER)) throw new AnalyzerError("E_BAD_ARGUMENT", `--tail is too large: ${tail}`);
    const input = await openInput(args.dump);
    try {
      const report = readDmesg(input, {
        ...(level !== undefined ? { maxLevel: Number(level) } : {}),
        ...(tail !== undefined ? { tail: Number(tail) } : {}),
        strict: args.strict === true,
      });
      // Records skipped as inconsistent are findings (exit 1): the log shown is not the whole log.
      const exitCode = report.skipped.badBlock > 0 ? 1 : 0;
      if (args.json) {
        io.printJson(report);
        return exitCode;
      }
      const { formatDmesgBytes } = await import("../../dmesg/format.js");
      const bytes = formatDmesgBytes(report.records, { style, callerId: args["caller-id"] === true });
      // Written as bytes: the log may hold bytes that are not UTF-8 (kernel style copies them as they are).
      await new Promise<void>((resolve, reject) => process.stdout.write(bytes, (e) => (e ? reject(e) : resolve())));
      if (report.skipped.badBlock > 0) process.stderr.write(`kdumpkit dmesg: ${report.skipped.badBlock} inconsistent record(s) skipped (see --json problems)\n`);
      return exitCode;
    } finally {
      closeInput(input);
    }
  },
});
