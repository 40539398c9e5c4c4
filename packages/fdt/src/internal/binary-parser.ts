// The one place that imports binary-parser (its types come through tsconfig "paths", see there).
// Its parse() returns `any`: callers wrap each parser in a function returning a declared interface.
export { Parser } from "binary-parser";
