// Every command the CLI has, registered explicitly (yargs' commandDir does not work with ESM).
import type { CommandModule } from "yargs";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [];
