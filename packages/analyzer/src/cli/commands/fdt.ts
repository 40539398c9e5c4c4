// `kdumpkit fdt <dts|info|check|add-cpu|pack>`: flattened device tree tools. @kdumpkit/fdt is loaded
// lazily inside the handlers so other commands do not pay for it.
import { readFileSync } from "node:fs";
import type { Argv, CommandModule } from "yargs";
import { writeFileAtomic } from "../../internal/write-file-atomic.js";
import { EXIT } from "../exit-codes.js";

interface FileArgs {
  file: string;
}
interface JsonFileArgs extends FileArgs {
  json: boolean | undefined;
}
interface DtsArgs extends FileArgs {
  "dtc-version": string;
}
interface OutArgs extends FileArgs {
  out: string;
  json: boolean | undefined;
}
interface AddCpuArgs extends OutArgs {
  count: number;
  headroom: number;
}

function readInput(file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (error) {
    throw Object.assign(new Error(`cannot read ${file}: ${(error as Error).message}`), { code: "E_IO" });
  }
}


/** Runs a handler; a kdumpkit error or unreadable input prints `kdumpkit fdt: CODE: …` and exits 2. */
async function run(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const e = error as { code?: unknown; message?: string };
    if (typeof e.code === "string") {
      const msg = e.message ?? String(error);
      process.stderr.write(`kdumpkit fdt: ${msg.startsWith(e.code) ? msg : `${e.code}: ${msg}`}\n`);
      process.exitCode = EXIT.BAD_INPUT;
      return;
    }
    throw error;
  }
}

const dts: CommandModule<object, DtsArgs> = {
  command: "dts <file>",
  describe: "print the DTB as DTS, exactly as `dtc -I dtb -O dts` does",
  builder: (y) =>
    y
      .positional("file", { type: "string", demandOption: true, describe: "DTB file" })
      // dtc 1.7 prints string lists as "a", "b" where 1.6 prints one literal with \0.
      .option("dtc-version", {
        type: "string",
        default: "1.6",
        describe: "print as this dtc release does (e.g. 1.6.1, 1.7.0, or `dtc --version` output)",
      }) as Argv<DtsArgs>,
  handler: (a) =>
    run(async () => {
      const fdt = await import("@kdumpkit/fdt");
      const dialect = fdt.dtsDialect(a["dtc-version"]);
      process.stdout.write(Buffer.from(fdt.dtsBytes(fdt.toDts(fdt.parseFdt(readInput(a.file)), { dialect }))));
    }),
};

/** Prints a report as one JSON document (the analyzer's convention: schemaVersion, command, file first). */
function printJson(command: string, file: string, fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ schemaVersion: 1, command, file, ...fields }, null, 2)}\n`);
}

const jsonOption = { type: "boolean", describe: "print the report as JSON" } as const;

const info: CommandModule<object, JsonFileArgs> = {
  command: "info <file>",
  describe: "header fields (as fdtdump prints them), memory reservations, node and property counts, free space",
  builder: (y) => y.positional("file", { type: "string", demandOption: true, describe: "DTB file" }).option("json", jsonOption) as Argv<JsonFileArgs>,
  handler: (a) =>
    run(async () => {
      const { fdtInfo, renderFdtInfo } = await import("./fdt-info.js");
      const report = fdtInfo(a.file, readInput(a.file));
      if (a.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(renderFdtInfo(report));
    }),
};

const check: CommandModule<object, JsonFileArgs> = {
  command: "check <file>",
  describe: "check the DTB like libfdt's fdt_check_full (exit 0 valid, 2 invalid)",
  builder: (y) => y.positional("file", { type: "string", demandOption: true, describe: "DTB file" }).option("json", jsonOption) as Argv<JsonFileArgs>,
  handler: (a) =>
    run(async () => {
      const fdt = await import("@kdumpkit/fdt");
      const bytes = readInput(a.file);
      let l: ReturnType<typeof fdt.checkFdt>;
      try {
        l = fdt.checkFdt(bytes);
      } catch (error) {
        // An invalid blob is this command's answer, not only an error: with --json it is a report too
        // (exit 2 and the message on stderr either way).
        if (a.json && error instanceof fdt.FdtError) printJson("fdt check", a.file, { valid: false, code: error.code, message: error.message });
        throw error;
      }
      const freeSpace = l.header.totalsize - Math.max(l.headerSize, l.rsvmapEnd, l.structEnd, l.stringsEnd);
      if (a.json) {
        printJson("fdt check", a.file, { valid: true, code: null, message: null, version: l.header.version, totalsize: l.header.totalsize, memreserves: l.reservationCount, freeSpace });
        return;
      }
      process.stdout.write(
        `${a.file}: valid DTB version ${l.header.version}, totalsize ${l.header.totalsize}, ` +
          `${l.reservationCount} memory reservation(s), free ${freeSpace} bytes after the last block\n`,
      );
    }),
};

const addCpu: CommandModule<object, AddCpuArgs> = {
  command: "add-cpu <file> <out>",
  describe: "open FILE with headroom, add CPU nodes modelled on the last one under /cpus, write OUT",
  builder: (y) =>
    y
      .positional("file", { type: "string", demandOption: true, describe: "DTB file" })
      .positional("out", { type: "string", demandOption: true, describe: "output DTB (written atomically)" })
      .option("count", { type: "number", default: 1, describe: "CPU nodes to add" })
      .option("headroom", { type: "number", default: 0x1000, describe: "free bytes to open the blob with" })
      .option("json", jsonOption)
      .check((v) => {
        if (!Number.isInteger(v.count) || v.count < 0) throw new Error("--count must be a whole number ≥ 0");
        if (!Number.isInteger(v.headroom) || v.headroom < 0) throw new Error("--headroom must be a whole number ≥ 0");
        return true;
      }) as unknown as Argv<AddCpuArgs>,
  handler: (a) =>
    run(async () => {
      const fdt = await import("@kdumpkit/fdt");
      const input = readInput(a.file);
      const totalsize = fdt.checkFdt(input).header.totalsize;
      const blob = fdt.EditableFdt.openInto(input, totalsize + a.headroom);
      const template = fdt.cpuTemplate(blob);
      const added: string[] = [];
      for (let i = 0; i < a.count; i++) added.push(fdt.addCpuNode(blob, template).path);
      writeFileAtomic(a.out, blob.bytes);
      if (a.json) {
        printJson("fdt add-cpu", a.file, { out: a.out, added, totalsize: blob.totalsize, headroomLeft: blob.headroom });
        return;
      }
      for (const p of added) process.stdout.write(`added ${p}\n`);
      process.stdout.write(`headroom left: ${blob.headroom} bytes\n`);
    }),
};

const pack: CommandModule<object, OutArgs> = {
  command: "pack <file> <out>",
  describe: "remove the free space like fdt_pack and write OUT",
  builder: (y) =>
    y
      .positional("file", { type: "string", demandOption: true, describe: "DTB file" })
      .positional("out", { type: "string", demandOption: true, describe: "output DTB (written atomically)" })
      .option("json", jsonOption) as Argv<OutArgs>,
  handler: (a) =>
    run(async () => {
      const fdt = await import("@kdumpkit/fdt");
      const input = readInput(a.file);
      const blob = fdt.EditableFdt.openInto(input, fdt.checkFdt(input).header.totalsize);
      const before = blob.totalsize;
      const out = blob.pack();
      writeFileAtomic(a.out, out);
      if (a.json) printJson("fdt pack", a.file, { out: a.out, before, after: out.length });
      else process.stdout.write(`packed ${before} → ${out.length} bytes\n`);
    }),
};

/** `kdumpkit fdt …`: DTB tools (dts, info, check, add-cpu, pack); `--json` on each that reports (all but dts, whose output is DTS). */
export const fdtCommand: CommandModule<object, object> = {
  command: "fdt <command>",
  describe: "flattened device tree (DTB) tools: dts, info, check, add-cpu, pack",
  builder: (y) =>
    y
      .command(dts)
      .command(info)
      .command(check)
      .command(addCpu)
      .command(pack)
      .demandCommand(1, "Name an fdt subcommand: dts, info, check, add-cpu, pack") as Argv<object>,
  handler: () => {},
};
