// Prints the closing line CI reads, from vitest's JSON report: `N passed, N failed, N skipped`.
// A test file that fails to load has no failed test of its own; it is counted as one failure.
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync(process.argv[2], "utf8"));
let failed = report.numFailedTests;
for (const file of report.testResults ?? []) {
  const failedInFile = (file.assertionResults ?? []).filter((a) => a.status === "failed").length;
  if (file.status === "failed" && failedInFile === 0) failed += 1;
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${report.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
