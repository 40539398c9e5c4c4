// `kdumpkit capture HDR --old-memory FILE[:BASE] OUT`: the /proc/vmcore the capture kernel would
// expose for an elfcorehdr over the crashed kernel's memory (@kdumpkit/vmcore captureVmcore),
// streamed to OUT (temporary name, then rename) with a progress bar.
import { readFileSync } from "node:fs";
import type { Argv, CommandModule } from "yargs";
import type { CommandArgs } from "../command-spec.js";
import { listArg, runArtifactCommand } from "./artifact-command.js";

/** `kdumpkit capture`: capture-kernel emulation. */
export const captureCommand: CommandModule<object, CommandArgs> = {
  command: "capture <header> <out>",
  describe: "emulate the capture kernel: build /proc/vmcore from an elfcorehdr and old-memory images",
  builder: (y) =>
    y
      .positional("header", { type: "string", demandOption: true, describe: "elfcorehdr (as the crashed kernel left it)" })
      .positional("out", { type: "string", demandOption: true, describe: "vmcore file to write (atomically)" })
      .option("old-memory", { type: "string", requiresArg: true, demandOption: true, describe: "raw image of physical memory FILE[:BASE] (BASE hex, default 0); repeatable" })
      .option("page-size", { type: "string", requiresArg: true, describe: "the capture kernel's PAGE_SIZE (default 4096)" })
      .option("json", { type: "boolean", describe: "print the report as JSON" })
      .example("$0 capture hdr.bin --old-memory ram.img vmcore", "one image mapped at physical 0")
      .example("$0 capture hdr.bin --old-memory low.img:0 --old-memory high.img:100000000 vmcore", "two images") as unknown as Argv<CommandArgs>,
  handler: (argv) =>
    runArtifactCommand("capture", argv, async (a) => {
      const [{ captureVmcore }, om, io, { progressBar }, { hex, SCHEMA_VERSION }] = await Promise.all([
        import("@kdumpkit/vmcore"), import("../../old-memory.js"), import("../io.js"), import("../../render/progress.js"), import("../../json.js"),
      ]);
      const header = new Uint8Array(readFileSync(String(a.header)));
      const memory = om.openOldMemory(listArg(a["old-memory"]).map(om.parseOldMemoryArg));
      try {
        const pageSize = a["page-size"] !== undefined ? Number(io.parseNumberArgument("page-size", a["page-size"])) : 4096;
        const captured = captureVmcore(header, memory, { pageSize });
        const bar = progressBar("capture");
        try {
          await captured.writeTo(String(a.out), bar.update);
        } finally {
          bar.done();
        }
        const report = {
          schemaVersion: SCHEMA_VERSION,
          command: "capture",
          file: String(a.header),
          out: String(a.out),
          size: captured.size,
          headerBytes: captured.header.length,
          notesBytes: captured.notes.length,
          ranges: captured.ranges.map((r) => ({ paddr: hex(r.paddr), size: hex(r.size), offset: r.offset })),
          droppedNotes: captured.droppedNotes.map((d) => ({ phdrIndex: d.phdrIndex, address: hex(d.address), reason: d.reason })),
          warnings: captured.warnings,
          oldMemory: memory.images.map((m) => ({ path: m.path, base: hex(m.base), size: hex(m.size) })),
        };
        if (a.json) io.printJson(report);
        else {
          const lines = [`${report.out}: ${report.size} bytes, ${report.ranges.length} PT_LOAD range(s), notes ${report.notesBytes} bytes (page-rounded)`];
          for (const d of report.droppedNotes) lines.push(`  dropped PT_NOTE ${d.phdrIndex} at ${d.address}: ${d.reason} (an offline or unresponsive CPU leaves its crash_notes uninitialized)`);
          for (const w of report.warnings) lines.push(`  warning: ${w}`);
          io.printText(lines.join("\n"));
        }
        return 0;
      } finally {
        memory.close();
      }
    }),
};
