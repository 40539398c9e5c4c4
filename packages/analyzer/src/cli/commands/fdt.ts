// `kdumpkit fdt <dts|check|add-cpu|pack>`: flattened device tree tools. @kdumpkit/fdt is loaded
// lazily inside the handlers so other commands do not pay for it.
import { readFileSync } from "node:fs";
import type { Argv, CommandModule } from "yargs";
import { writeFileAtomic } from "../../internal/write-file-atomic.js";
import { EXIT } from "../exit-codes.js";

interface FileArgs {
  file: string;
}
interface DtsArgs extends FileArgs {
  "dtc-version": string;
}
interface OutArgs extends FileArgs {
  out: string;
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

const check: CommandModule<object, FileArgs> = {
  command: "check <file>",
  describe: "check the DTB like libfdt's fdt_check_full (exit 0 valid, 2 invalid)",
  builder: (y) => y.positional("file", { type: "string", demandOption: true, describe: "DTB file" }) as Argv<FileArgs>,
  handler: (a) =>
    run(async () => {
      const fdt = await import("@kdumpkit/fdt");
      const l = fdt.checkFdt(readInput(a.file));
      process.stdout.write(
        `${a.file}: valid DTB version ${l.header.version}, totalsize ${l.header.totalsize}, ` +
          `${l.reservationCount} memory reservation(s), free ${l.header.totalsize - l.stringsEnd} bytes after strings\n`,
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
      .positional("out", { type: "string", demandOption: true, describe: "output DTB (written atomically)" }) as Argv<OutArgs>,
  handler: (a) =>
    run(async () => {
      const fdt = await import("@kdumpkit/fdt");
      const input = readInput(a.file);
      const blob = fdt.EditableFdt.openInto(input, fdt.checkFdt(input).header.totalsize);
      const before = blob.totalsize;
      const out = blob.pack();
      writeFileAtomic(a.out, out);
      process.stdout.write(`packed ${before} → ${out.length} bytes\n`);
    }),
};

/** `kdumpkit fdt …`: DTB tools (dts, check, add-cpu, pack). */
export const fdtCommand: CommandModule<object, object> = {
  command: "fdt <command>",
  describe: "flattened device tree (DTB) tools: dts, check, add-cpu, pack",
  builder: (y) =>
    y
      .command(dts)
      .command(check)
      .command(addCpu)
      .command(pack)
      .demandCommand(1, "Name an fdt subcommand: dts, check, add-cpu, pack") as Argv<object>,
  handler: () => {},
};
