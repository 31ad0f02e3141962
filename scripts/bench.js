#!/usr/bin/env node
// `npm run bench [-- OPTIONS]`: reads the options (bench/lib/options.js; `--help` lists them), builds
// the package, finds or builds the Pulumi CLI (scripts/ensure-pulumi), then runs the benchmark in
// bench/run.js against the project's emulator. Results go to bench/results/; docs/BENCHMARKS.md
// explains them. A bad option exits 2 before anything is built. On a Node older than the supported
// lines it first re-runs itself on a supported one (scripts/lib/nodeRuntime.js).
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");
const { parseBenchArgs, usage } = require("../bench/lib/options");
const { reexecOnSupportedNode } = require("./lib/nodeRuntime");
const { ensurePulumiBin } = require("./lib/pulumiSandbox");

const root = path.resolve(__dirname, "..");

/** A step heading on stderr. */
function step(text) {
  process.stderr.write(`==> ${text}\n`);
}

/** The options, or exit: 0 after --help, 2 with the reason and the usage on a bad option. */
function optionsOrExit(argv) {
  let options;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    process.stderr.write(`bench: ${error.message}\n\n${usage()}`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(usage());
    process.exit(0);
  }
  return options;
}

/** `tsc -p tsconfig.build.json`; exits 2 when it fails. */
function buildOrExit() {
  step("Building the package (tsc)");
  const tsc = spawnSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc", { paths: [root] }), "-p", "tsconfig.build.json"],
    { cwd: root, stdio: "inherit" },
  );
  if (tsc.status !== 0) process.exit(2);
}

/** The Pulumi CLI's bin folder; exits 2 when there is none. */
function pulumiBinOrExit() {
  step("Finding or building the Pulumi CLI (scripts/ensure-pulumi)");
  try {
    return ensurePulumiBin();
  } catch {
    process.stderr.write("bench: scripts/ensure-pulumi failed: no Pulumi CLI to benchmark with\n");
    process.exit(2);
  }
}

/** Build, CLI, then the benchmark; exits with its code. */
function main(options) {
  if (options.build) buildOrExit();
  const bin = pulumiBinOrExit();
  require(path.join(root, "bench/run.js"))
    .main({ bin, plan: options.plan })
    .then(
      (code) => process.exit(code),
      (error) => {
        process.stderr.write(`bench failed: ${error.stack || error.message}\n`);
        process.exit(2);
      },
    );
}

// Options first: --help and a bad option answer at once, on any Node.
const options = optionsOrExit(process.argv.slice(2));
if (!reexecOnSupportedNode(__filename, "npm run bench")) main(options);
