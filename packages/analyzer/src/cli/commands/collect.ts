// `kdumpkit collect DUMP OUT [--exclude-zero]`: the core collector (makedumpfile -E -d 1 analog):
// copies a dump into a new ELF core, optionally without zero pages, with a progress bar; the
// output is written under a temporary name and renamed (@kdumpkit/vmcore collectCore).
import type { Argv, CommandModule } from "yargs";
import type { CommandArgs } from "../command-spec.js";
import { runArtifactCommand } from "./artifact-command.js";

/** `kdumpkit collect`: core collector. */
export const collectCommand: CommandModule<object, CommandArgs> = {
  command: "collect <dump> <out>",
  describe: "copy a dump (e.g. /proc/vmcore) into a new ELF core, --exclude-zero leaves out zero pages (makedumpfile -d 1)",
  builder: (y) =>
    y
      .positional("dump", { type: "string", demandOption: true, describe: "the dump to copy" })
      .positional("out", { type: "string", demandOption: true, describe: "ELF core to write (atomically)" })
      .option("exclude-zero", { type: "boolean", describe: "leave out pages that are all zero (dump level 1)" })
      .option("json", { type: "boolean", describe: "print the report as JSON" })
      .example("$0 collect /proc/vmcore /var/crash/vmcore --exclude-zero", "what kdump runs in the capture kernel") as unknown as Argv<CommandArgs>,
  handler: (argv) =>
    runArtifactCommand("collect", argv, async (a) => {
      const [{ openDump, collectCore }, io, { progressBar }, { SCHEMA_VERSION }] = await Promise.all([
        import("@kdumpkit/vmcore"), import("../io.js"), import("../../render/progress.js"), import("../../json.js"),
      ]);
      const dump = openDump(String(a.dump));
      try {
        const bar = progressBar("collect");
        let result;
        try {
          result = await collectCore(dump, String(a.out), { excludeZeroPages: Boolean(a["exclude-zero"]), onProgress: bar.update });
        } finally {
          bar.done();
        }
        const report = { schemaVersion: SCHEMA_VERSION, command: "collect", file: String(a.dump), out: String(a.out), excludeZero: Boolean(a["exclude-zero"]), pageSize: dump.pageSize, ...result };
        if (a.json) io.printJson(report);
        else {
          const lines = [
            `${report.out}: ${result.bytes} bytes, ${result.phnum} program headers`,
            `  pages written: ${result.pagesWritten}, excluded (zero): ${result.pagesExcluded}`,
          ];
          // vmcore's refusal reasons already name the segment ("phdr N (PT_LOAD, …) …").
          for (const s of result.skipped) lines.push(`  skipped: ${s.reason.startsWith(`phdr ${s.phdrIndex} `) ? s.reason : `phdr ${s.phdrIndex}: ${s.reason}`}`);
          io.printText(lines.join("\n"));
        }
        return result.skipped.length > 0 ? 1 : 0;
      } finally {
        dump.close();
      }
    }),
};
