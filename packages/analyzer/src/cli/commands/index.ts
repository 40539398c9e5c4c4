// Every command the CLI has, registered explicitly (yargs' commandDir does not work with ESM).
import type { CommandModule } from "yargs";
import { fdtCommand } from "./fdt.js";
import { summaryCommand } from "./summary.js";
import { notesCommand } from "./notes.js";
import { cpusCommand } from "./cpus.js";
import { vmcoreinfoCommand } from "./vmcoreinfo.js";
import { memoryCommand } from "./memory.js";
import { checkCommand } from "./check.js";
import { readCommand } from "./read.js";
import { dmesgCommand } from "./dmesg.js";
import { hotplugCommand } from "./hotplug.js";
import { captureCommand } from "./capture.js";
import { collectCommand } from "./collect.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  summaryCommand,
  notesCommand,
  cpusCommand,
  vmcoreinfoCommand,
  memoryCommand,
  checkCommand,
  readCommand,
  dmesgCommand,
  fdtCommand,
  hotplugCommand,
  captureCommand,
  collectCommand,
];
