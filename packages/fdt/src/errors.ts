// The one error class of @kdumpkit/fdt. Codes reuse libfdt's names (libfdt/libfdt.h) so a message
// lines up with what dtc, fdtget and pylibfdt print for the same blob.
import { KdumpkitError } from "./internal/kdumpkit-error.js";

/** Every code an {@link FdtError} can carry (libfdt's FDT_ERR_* names, §6.4 of the reference). */
export const FDT_ERR = {
  /** The node or property asked for does not exist. */
  NOTFOUND: "FDT_ERR_NOTFOUND",
  /** A node or property of that name already exists where one was to be added. */
  EXISTS: "FDT_ERR_EXISTS",
  /** Not enough free space in the blob for the edit: open it into a larger buffer (`openInto`). */
  NOSPACE: "FDT_ERR_NOSPACE",
  /** A structure offset does not point at the start of the expected tag. */
  BADOFFSET: "FDT_ERR_BADOFFSET",
  /** A path is malformed (not absolute, empty component). */
  BADPATH: "FDT_ERR_BADPATH",
  /** A phandle property has the wrong length or an invalid value (0 or 0xffffffff). */
  BADPHANDLE: "FDT_ERR_BADPHANDLE",
  /** A sequential-write call came in the wrong order (property outside a node, unclosed node at finish). */
  BADSTATE: "FDT_ERR_BADSTATE",
  /** A block, name or value runs past the end of the blob, or a string is unterminated. */
  TRUNCATED: "FDT_ERR_TRUNCATED",
  /** The blob does not start with the FDT magic 0xd00dfeed. */
  BADMAGIC: "FDT_ERR_BADMAGIC",
  /** The header version is unsupported, or an edit needs version 17. */
  BADVERSION: "FDT_ERR_BADVERSION",
  /** The token stream is malformed: misnesting, unknown token, two roots, missing FDT_END. */
  BADSTRUCTURE: "FDT_ERR_BADSTRUCTURE",
  /** Blocks are not in rsvmap → struct → strings order (open the blob with `openInto` to fix). */
  BADLAYOUT: "FDT_ERR_BADLAYOUT",
  /** #address-cells or #size-cells is missing a usable value (0 or > 4 address cells, wrong length). */
  BADNCELLS: "FDT_ERR_BADNCELLS",
  /** A property value is unusable for the request (wrong length, number does not fit its cells). */
  BADVALUE: "FDT_ERR_BADVALUE",
  /** A block offset is misaligned (memory reservation map not 8-aligned, structure not 4-aligned). */
  ALIGNMENT: "FDT_ERR_ALIGNMENT",
  /** A limit that protects against hostile input was exceeded (`maxDepth`); the message names the limit. */
  LIMIT: "FDT_ERR_LIMIT",
} as const;

/** A code from {@link FDT_ERR}. */
export type FdtErrorCode = (typeof FDT_ERR)[keyof typeof FDT_ERR];

/**
 * The error every @kdumpkit/fdt function throws on bad input or an impossible request.
 * `offset` is the byte offset in the blob the error concerns, when there is one.
 */
export class FdtError extends KdumpkitError {
  readonly code: FdtErrorCode;

  constructor(code: FdtErrorCode, message: string, options: { offset?: number; cause?: unknown } = {}) {
    super(`${code}: ${message}${options.offset === undefined ? "" : ` (offset 0x${options.offset.toString(16)})`}`, options);
    this.code = code;
  }
}

/** Throws an {@link FdtError}; a helper so hot paths stay short. */
export function fail(code: FdtErrorCode, message: string, offset?: number): never {
  throw new FdtError(code, message, offset === undefined ? {} : { offset });
}
