// `kdumpkit hotplug <create|apply|replay>`: build an elfcorehdr with hotplug headroom, update one in
// place with hotplug events, replay a scripted sequence (with a powerpc FDT) and judge a crash.
// The library (../../hotplug.js) and @kdumpkit/fdt are loaded inside the handlers.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Argv, CommandModule } from "yargs";
import type { CommandArgs } from "../command-spec.js";
import { listArg, runArtifactCommand, writeFileAtomic } from "./artifact-command.js";

const rangeHelp = "START-END inclusive as /proc/iomem prints it (bare digits are hex), or START+SIZE";

async function hintsFrom(a: CommandArgs) {
  const h = await import("../../hotplug.js");
  return {
    ...(a["cpu-ids"] ? { cpuIds: h.parseCpuListArg(String(a["cpu-ids"]), "--cpu-ids") } : {}),
    ...(a["page-offset"] ? { pageOffset: h.parseHexDefault(String(a["page-offset"]), "--page-offset") } : {}),
    exclude: listArg(a.exclude).map((r) => h.parseRange(r, "--exclude")),
  };
}

const hintOptions = (y: Argv) =>
  y
    .option("cpu-ids", { type: "string", requiresArg: true, describe: "CPU ids of the CPU PT_NOTEs in order (default 0..n-1)" })
    .option("page-offset", { type: "string", requiresArg: true, describe: "direct-map base, when the header has no RAM PT_LOAD to learn it from" })
    .option("exclude", { type: "string", requiresArg: true, describe: `range cut out of hot-added memory (the crashkernel reservation); ${rangeHelp}; repeatable` });

const create: CommandModule<object, CommandArgs> = {
  command: "create <out>",
  describe: "write an elfcorehdr with headroom for 2 + max CPUs + max ranges program headers",
  builder: (y) =>
    y
      .positional("out", { type: "string", demandOption: true, describe: "elfcorehdr file to write (atomically)" })
      .option("from-spec", { type: "string", requiresArg: true, describe: "JSON file with these options as keys (notesBase or notes-base…)" })
      .option("machine", { type: "string", requiresArg: true, describe: "x86_64, aarch64, ppc64, ppc64le, s390x" })
      .option("cpus", { type: "string", requiresArg: true, describe: "possible CPUs, a /sys cpu list (0-3,8)" })
      .option("notes-base", { type: "string", requiresArg: true, describe: "crash_notes of CPU 0 (CPU n: base + n × stride)" })
      .option("note-stride", { type: "string", requiresArg: true, describe: "distance between CPUs' crash_notes (percpu unit size)" })
      .option("crash-notes", { type: "string", requiresArg: true, describe: "every CPU's crash_notes address instead (comma-separated)" })
      .option("vmcoreinfo", { type: "string", requiresArg: true, describe: "ADDR:SIZE of the VMCOREINFO note (/sys/kernel/vmcoreinfo, hex)" })
      .option("memory", { type: "string", requiresArg: true, describe: `System RAM range, ${rangeHelp}; repeatable` })
      .option("exclude", { type: "string", requiresArg: true, describe: "range cut out of RAM (crashkernel reservation, x86 first MiB); repeatable" })
      .option("kernel-text", { type: "string", requiresArg: true, describe: "kernel-text PT_LOAD PADDR:VADDR:SIZE (need_kernel_map)" })
      .option("max-cpus", { type: "string", requiresArg: true, describe: "CPUs to leave room for (x86: CONFIG_NR_CPUS_DEFAULT)" })
      .option("max-ranges", { type: "string", requiresArg: true, describe: "memory ranges to leave room for (CONFIG_CRASH_MAX_MEMORY_RANGES)" })
      .option("page-offset", { type: "string", requiresArg: true, describe: "direct-map base (default: the machine's, without KASLR)" })
      .option("json", { type: "boolean", describe: "print the report as JSON" })
      .example("$0 hotplug create hdr.bin --machine x86_64 --cpus 0-3 --notes-base 0x2223d800 --note-stride 0x80000 --vmcoreinfo 0x2234c000:0x1024 --memory 100000-7fffffff --exclude 22f00000-2effffff --max-cpus 64 --max-ranges 256", "a kexec_file-style header for 4 CPUs")
      .example("$0 hotplug create hdr.bin --from-spec spec.json --json", "the same from a JSON spec") as unknown as Argv<CommandArgs>,
  handler: (argv) =>
    runArtifactCommand("hotplug create", argv, async (a) => {
      const [h, io] = await Promise.all([import("../../hotplug.js"), import("../io.js")]);
      const keys = ["machine", "cpus", "notes-base", "note-stride", "crash-notes", "vmcoreinfo", "memory", "exclude", "kernel-text", "max-cpus", "max-ranges", "page-offset"];
      const fromFile = a["from-spec"] ? h.parseSpecJson(readFileSync(String(a["from-spec"]), "utf8")) : {};
      const fromFlags: Record<string, unknown> = {};
      for (const k of keys) if (a[k] !== undefined) fromFlags[k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = a[k];
      const request = h.parseCreateOptions({ ...fromFile, ...fromFlags });
      const out = String(a.out);
      const { bytes, report } = h.createHotplugElfcorehdr(request, out);
      writeFileAtomic(out, bytes);
      if (a.json) io.printJson(report);
      else {
        const s = report.header;
        io.printText(
          `${out}: elfcorehdr for ${report.machine}, ${s.fileSize} bytes\n` +
            `  ${s.cpus.length} CPU PT_NOTEs, ${s.memory.length} RAM PT_LOADs, e_phnum ${s.used}\n` +
            `  capacity: ${s.capacity} program headers (requested 2 + ${report.maxCpus} CPUs + ${report.maxRanges} ranges = ${report.requestedSlots}; the page-aligned segment holds ${s.capacity})\n` +
            `  free slots: ${s.freeSlots}`,
        );
      }
      return 0;
    }),
};

const apply: CommandModule<object, CommandArgs> = {
  command: "apply <header> <events..>",
  describe: "update an elfcorehdr in place with hotplug events (same size; on any error the file is untouched)",
  builder: (y) =>
    hintOptions(
      y
        .positional("header", { type: "string", demandOption: true, describe: "elfcorehdr file" })
        .positional("events", { type: "string", array: true, describe: "cpu-add:N[@ADDR] cpu-remove:N mem-add:START-END mem-remove:START-END" }),
    )
      .option("out", { type: "string", requiresArg: true, describe: "write the result here instead of updating HEADER" })
      .option("json", { type: "boolean", describe: "print the report as JSON" })
      .example("$0 hotplug apply hdr.bin cpu-add:4 mem-add:100000000-13fffffff", "add CPU 4 (address from the percpu stride) and 1 GiB")
      .example("$0 hotplug apply hdr.bin mem-remove:100000000-107ffffff --out hdr2.bin", "remove a 128 MiB block into a new file") as unknown as Argv<CommandArgs>,
  handler: (argv) =>
    runArtifactCommand("hotplug apply", argv, async (a) => {
      const [h, io] = await Promise.all([import("../../hotplug.js"), import("../io.js")]);
      const file = String(a.header);
      const out = a.out ? String(a.out) : file;
      const events = (Array.isArray(a.events) ? a.events : [a.events]).map((e) => h.parseHotplugEvent(String(e)));
      const { bytes, report } = h.applyHotplugEvents(new Uint8Array(readFileSync(file)), events, await hintsFrom(a), { file, out });
      writeFileAtomic(out, bytes);
      if (a.json) io.printJson(report);
      else {
        const lines = [`${file}: ${report.before.used} of ${report.before.capacity} program headers used`];
        for (const s of report.steps) lines.push(`  ${s.event.padEnd(40)} ${s.effect}; ${s.freeSlots} free`);
        lines.push(`${out}: ${report.after.used} used, ${report.after.freeSlots} free slots`);
        io.printText(lines.join("\n"));
      }
      return 0;
    }),
};

const replay: CommandModule<object, CommandArgs> = {
  command: "replay <script>",
  describe: "replay scripted hotplug events on an elfcorehdr (and a powerpc FDT); --crash-after N judges a crash",
  builder: (y) =>
    hintOptions(y.positional("script", { type: "string", demandOption: true, describe: "script: header FILE, fdt FILE, online LIST, exclude RANGE, policy possible|present, [missed] EVENT" }))
      .option("header", { type: "string", requiresArg: true, describe: "elfcorehdr (overrides the script's `header`)" })
      .option("fdt", { type: "string", requiresArg: true, describe: "kdump FDT with headroom (overrides the script's `fdt`)" })
      .option("crash-after", { type: "string", requiresArg: true, describe: "judge a crash after this step (0 = before the first)" })
      .option("out", { type: "string", requiresArg: true, describe: "write the final elfcorehdr here" })
      .option("fdt-out", { type: "string", requiresArg: true, describe: "write the final FDT here" })
      .option("json", { type: "boolean", describe: "print the report as JSON" })
      .example("$0 hotplug replay events.txt --crash-after 3", "which CPUs a crash after step 3 would lose") as unknown as Argv<CommandArgs>,
  handler: (argv) =>
    runArtifactCommand("hotplug replay", argv, async (a) => {
      const [h, io, { AnalyzerError }] = await Promise.all([import("../../hotplug.js"), import("../io.js"), import("../../errors.js")]);
      const scriptPath = String(a.script);
      const script = h.parseReplayScript(readFileSync(scriptPath, "utf8"));
      const rel = (p: string) => resolve(dirname(scriptPath), p);
      const headerPath = a.header ? String(a.header) : script.header ? rel(script.header) : undefined;
      if (!headerPath) throw new AnalyzerError("E_BAD_ARGUMENT", "no elfcorehdr: give --header or a `header FILE` line");
      const fdtPath = a.fdt ? String(a.fdt) : script.fdt ? rel(script.fdt) : undefined;
      const crashAfter = a["crash-after"] !== undefined ? Number(io.parseNumberArgument("crash-after", a["crash-after"])) : undefined;
      const { report, header, fdt } = await h.replayHotplug(new Uint8Array(readFileSync(headerPath)), script, {
        ...(fdtPath ? { fdtBytes: new Uint8Array(readFileSync(fdtPath)) } : {}),
        ...(crashAfter !== undefined ? { crashAfter } : {}),
        hints: await hintsFrom(a),
        scriptName: scriptPath,
      });
      if (a.out) writeFileAtomic(String(a.out), header);
      if (a["fdt-out"] && fdt) writeFileAtomic(String(a["fdt-out"]), fdt);
      if (a.json) io.printJson(report);
      else io.printText(renderReplay(report));
      const failed = report.steps.some((s) => s.elfcorehdr.failed || s.fdt?.failed);
      const v = report.verdict;
      return failed || (v && v.findings.error + v.findings.warning > 0) ? 1 : 0;
    }),
};

function renderReplay(r: import("../../hotplug.js").HotplugReplayReport): string {
  const lines = [`start: ${r.start.used} program headers used, ${r.start.freeSlots} free${r.start.fdtHeadroom !== null ? `, FDT headroom ${r.start.fdtHeadroom} bytes` : ""} (policy ${r.policy})`];
  for (const s of r.steps) {
    lines.push(`${String(s.step).padStart(3)}. ${s.missed ? "missed " : ""}${s.event}`);
    lines.push(`     elfcorehdr: ${s.elfcorehdr.effect}; ${s.elfcorehdr.freeSlots} slots free`);
    if (s.fdt) lines.push(`     fdt: ${s.fdt.effect}; ${s.fdt.headroom} bytes free`);
  }
  const v = r.verdict;
  if (v) {
    lines.push(`crash after step ${v.afterStep}:`);
    for (const c of v.cpus) lines.push(`  CPU ${String(c.cpu).padStart(4)}  ${c.severity.padEnd(7)} ${c.verdict}`);
    for (const m of v.memoryNotInDump) lines.push(`  memory ${m.start}-${m.end}: RAM not described, missing from the dump (stale after hot-add)`);
    for (const m of v.removedMemoryDescribed) lines.push(`  memory ${m.start}-${m.end}: hot-removed but still a PT_LOAD, the capture kernel may read unplugged memory`);
    lines.push(`findings: ${v.findings.error} error(s), ${v.findings.warning} warning(s), ${v.findings.info} info`);
  }
  return lines.join("\n");
}

/** `kdumpkit hotplug …`: elfcorehdr with headroom (create), in-place updates (apply), replay. */
export const hotplugCommand: CommandModule<object, object> = {
  command: "hotplug <command>",
  describe: "build and update kdump elfcorehdrs with hotplug headroom: create, apply, replay",
  builder: (y) => y.command(create).command(apply).command(replay).demandCommand(1, "Name a hotplug subcommand: create, apply, replay") as Argv<object>,
  handler: () => {},
};
