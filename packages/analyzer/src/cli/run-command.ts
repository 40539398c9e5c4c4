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
      const message = error.message.startsWith(`${error.code}`) ? error.message : `${error.code}: ${error.message}`;
      // Most messages already name the address or offset: add it only when they do not.
      const hexOf = (v: number | bigint) => `0x${v.toString(16)}`;
      const mentions = (text: string) => new RegExp(`(^|[^0-9a-fx])${text}(?![0-9a-fx])`, "i").test(message);
      let suffix = "";
      if (error.address !== undefined && !mentions(hexOf(error.address))) suffix = ` (address ${hexOf(error.address)})`;
      else if (error.address === undefined && error.offset !== undefined && !mentions(`offset ${error.offset}`) && !mentions(hexOf(error.offset))) suffix = ` (offset ${error.offset})`;
      process.stderr.write(`kdumpkit ${spec.name}: ${message}${suffix}\n`);
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
