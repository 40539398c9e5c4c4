// The one way the vmcore tests ask "which code did this throw?".
import { VmcoreError, type VmcoreErrorCode } from "@kdumpkit/vmcore";

/**
 * The `code` of the VmcoreError `fn` throws, or `"no error"` when it returns. Anything else thrown
 * (a raw RangeError, a TypeError) is rethrown, so the test fails on it: only typed errors pass.
 */
export function codeOf(fn: () => unknown): VmcoreErrorCode | "no error" {
  try {
    fn();
  } catch (error) {
    if (error instanceof VmcoreError) return error.code;
    throw error;
  }
  return "no error";
}
