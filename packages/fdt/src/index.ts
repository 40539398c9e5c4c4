export { KdumpkitError } from "./internal/kdumpkit-error.js";
