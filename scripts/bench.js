#!/usr/bin/env node
// `npm run bench [-- --quick]`: builds the package, finds or builds the Pulumi CLI
// (scripts/ensure-pulumi), then runs the benchmark in bench/run.js against the project's emulator.
// Results go to bench/results/; docs/BENCHMARKS.md explains them. Options (after `--`):
//   --quick            sizes 1 and 10, 2 pairs, 10 subjects for P2 (under 4 minutes)
//   --pairs N          alternating pairs per measurement (default 3)
//   --sizes 1,10,50    P1 sizes; the largest is also P3/P4's resource count
//   --subjects N       P2 subjects (default 30)
//   --out DIR          where to write the results (default bench/results)
//   --no-build         skip `tsc` (use dist/ as it is)
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const argv = process.argv.slice(2);

function step(text) {
  process.stderr.write(`==> ${text}\n`);
}

if (!argv.includes("--no-build")) {
  step("Building the package (tsc)");
  const tsc = spawnSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc", { paths: [root] }), "-p", "tsconfig.build.json"],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  if (tsc.status !== 0) process.exit(2);
}
step("Finding or building the Pulumi CLI (scripts/ensure-pulumi)");
const ensure = spawnSync(path.join(root, "scripts/ensure-pulumi"), [], {
  cwd: root,
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
});
if (ensure.status !== 0) {
  process.stderr.write("bench: scripts/ensure-pulumi failed: no Pulumi CLI to benchmark with\n");
  process.exit(2);
}
const bin = ensure.stdout.trim().split("\n").pop();

require(path.join(root, "bench/run.js"))
  .main({ bin, argv })
  .then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`bench failed: ${error.stack || error.message}\n`);
      process.exit(2);
    },
  );
