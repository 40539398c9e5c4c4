// Runs every bench/*.bench.ts and writes bench/results.json and bench/RESULTS.md.
// Usage: pnpm bench [-- --quick] [-- --only elf,fdt]
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Bench, type BenchResult, machineDescription, scratchRoot } from "./lib.js";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const onlyIndex = args.indexOf("--only");
const only = onlyIndex >= 0 ? (args[onlyIndex + 1] ?? "").split(",") : null;

const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => !only || only.includes(f.replace(/\.bench\.ts$/, "")))
  .sort();

const results: BenchResult[] = [];
const failures: string[] = [];
for (const file of files) {
  const area = file.replace(/\.bench\.ts$/, "");
  const scratch = join(scratchRoot, area);
  mkdirSync(scratch, { recursive: true });
  console.log(`# ${area}`);
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: Bench };
    const got = await mod.default({ scale: quick ? 0.01 : 1, scratch, log: (l) => console.log(`  ${l}`) });
    for (const r of got) {
      console.log(`  ${r.id}: ${fmt(r.value)} ${r.unit}${r.peer ? ` (peer ${r.peer}: ${fmt(r.peerValue)})` : ""}`);
    }
    results.push(...got);
  } catch (error) {
    failures.push(`${area}: ${(error as Error).stack ?? error}`);
    console.error(`  FAILED: ${(error as Error).message}`);
  }
}

function fmt(n: number | null): string {
  if (n === null) return "—";
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

if (quick) {
  console.log(`quick run: ${results.length} figures, results files not written`);
} else {
  writeFileSync(join(here, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  const lines = [
    "# Benchmark results",
    "",
    `Machine: ${machineDescription()}`,
    "",
    `Produced by \`pnpm bench\` on ${new Date().toISOString().slice(0, 10)}. Peers were measured in the same run.`,
    "",
    "| id | value | unit | peer | peer value | target | met | command |",
    "|---|---|---|---|---|---|---|---|",
    ...results.map(
      (r) =>
        `| ${r.id} | ${fmt(r.value)} | ${r.unit} | ${r.peer ?? "—"} | ${fmt(r.peerValue)} | ${r.target ?? "—"} | ${
          r.meetsTarget === undefined ? "—" : r.meetsTarget ? "yes" : "**no**"
        } | \`${r.command.replace(/\|/g, "\\|")}\` |`,
    ),
    "",
    ...results.filter((r) => r.note).map((r) => `- **${r.id}**: ${r.note}`),
    "",
  ];
  writeFileSync(join(here, "RESULTS.md"), lines.join("\n"));
  console.log(`wrote bench/results.json and bench/RESULTS.md (${results.length} figures)`);
}
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
