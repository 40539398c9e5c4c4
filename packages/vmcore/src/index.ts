export { KdumpkitError } from "@kdumpkit/elf";
