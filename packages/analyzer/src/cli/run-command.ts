import { KdumpkitError } from "@kdumpkit/elf";
import type { CommandArgs, CommandSpec } from "./command-spec.js";
import { EXIT } from "./exit-codes.js";

/**
 * Runs a command, turning typed errors into one line on stderr and exit code 2 (bad input).
 * A missing or unreadable file is bad input too; anything else is a bug and prints its stack.
 */
export async function runCommand(spec: CommandSpec, args: CommandArgs): Promise<number> {
  try {
    return await spec.run(args);
  } catch (error) {
    if (error instanceof KdumpkitError) {
      const where = error.address !== undefined ? ` (address 0x${error.address.toString(16)})` : error.offset !== undefined ? ` (offset ${error.offset})` : "";
      const message = error.message.startsWith(`${error.code}`) ? error.message : `${error.code}: ${error.message}`;
      process.stderr.write(`kdumpkit ${spec.name}: ${message}${where}\n`);
      return EXIT.BAD_INPUT;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") {
      process.stderr.write(`kdumpkit ${spec.name}: ${(error as Error).message}\n`);
      return EXIT.BAD_INPUT;
    }
    process.stderr.write(`kdumpkit ${spec.name}: internal error: ${(error as Error).stack ?? error}\n`);
    return EXIT.BAD_INPUT;
  }
}
