/**
 * The root of every error kdumpkit throws on purpose.
 *
 * Each package is installed on its own, so each carries this small class; the brand below makes
 * `err instanceof KdumpkitError` true for an error from any kdumpkit package, whichever copy of
 * the class the caller imported.
 */
const BRAND = Symbol.for("kdumpkit.error");

export abstract class KdumpkitError extends Error {
  /** A stable machine-readable code, such as `E_TRUNCATED` or `FDT_ERR_NOSPACE`. */
  abstract readonly code: string;
  /** The byte offset (in a file or buffer) the error concerns, when there is one. */
  readonly offset: number | undefined;
  /** The memory address the error concerns, when there is one. */
  readonly address: bigint | undefined;

  constructor(message: string, options: { offset?: number; address?: bigint; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.offset = options.offset;
    this.address = options.address;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== KdumpkitError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
