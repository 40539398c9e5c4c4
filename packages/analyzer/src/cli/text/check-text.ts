import type { CheckReport } from "../../checks.js";
import { table } from "../../render/table.js";
import { severityColour, styleFor } from "../../render/style.js";

/** The human form of `check`. */
export function renderCheck(r: CheckReport): string {
  const s = styleFor(process.stdout);
  const out: string[] = [];
  if (r.findings.length) out.push(table(["severity", "check", "finding"], r.findings.map((f) => [severityColour(s, f.severity)(f.severity), f.check, f.message])));
  if (r.scan) out.push(`scan: ${r.scan.pages} pages read, ${r.scan.zeroPages} all zero, ${r.scan.unreadablePages} unreadable`);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const summary = `${plural(r.counts.error, "error")}, ${plural(r.counts.warning, "warning")}, ${r.counts.info} info`;
  out.push(r.worst === "ok" || r.worst === "info" ? s.green(`clean: ${summary}`) : severityColour(s, r.worst)(`findings: ${summary}`));
  return out.join("\n");
}
