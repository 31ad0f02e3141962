#!/usr/bin/env node
// `npm test`: builds the package, makes the emulator's test CA, and runs jest with the CA trusted.
//
// Node reads NODE_EXTRA_CA_CERTS only when a process starts, so the CA must exist before jest does:
// this script creates it, then starts jest with NODE_EXTRA_CA_CERTS naming a file that trusts it in
// addition to whatever the variable named before (a proxy's CA keeps working: scripts/lib/caTrust.js).
// On a Node older than the supported lines it first re-runs itself on a supported one
// (scripts/lib/nodeRuntime.js, docs/RUNTIMES.md). Extra arguments go to jest, e.g.
// `npm test -- tests/unit`, `npm test -- --selectProjects unit integration` (the projects: unit = no
// network, integration = the emulator over HTTPS, e2e = the real Pulumi CLI; see jest.config.js).
//
// It ends with two plain lines for CI log readers, read from jest's JSON results:
//   e2e: 25 ran against pulumi v3.274.1      (or why fewer ran: scripts/lib/e2eSummary.js)
//   jest: 570 passed, 0 failed, 0 skipped    (+ "; N test files failed to run" when any did)
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { trustingEnv } = require("./lib/caTrust");
const { e2eSummaryLine } = require("./lib/e2eSummary");
const { reexecOnSupportedNode } = require("./lib/nodeRuntime");
const { ensurePulumiBin, pulumiVersion } = require("./lib/pulumiSandbox");

const root = path.resolve(__dirname, "..");

/** Runs a command with inherited output; returns its exit code. */
function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/** `tsc -p tsconfig.build.json`: dist/ is what the e2e tests deploy and the serialisation test loads. */
function build() {
  return run(process.execPath, [
    require.resolve("typescript/bin/tsc", { paths: [root] }),
    "-p",
    "tsconfig.build.json",
  ]);
}

/** Creates (or reuses) the test CA; returns its folder and certificate. */
async function testCertificateAuthority() {
  const caDir =
    process.env.PROVISION_ON_DEMAND_TEST_CA_DIR || path.join(os.tmpdir(), "pulumi-azuread-pod-test-ca");
  const { ensureCertificateAuthority } = require(path.join(root, "dist/emulator/certificates.js"));
  const { caCertPath } = await ensureCertificateAuthority(caDir);
  return { caDir, caCertPath };
}

/**
 * The environment jest runs in: `base` with the test CA trusted besides what its NODE_EXTRA_CA_CERTS
 * named (a bundle of both in the CA's folder when needed), and the CA's folder for the tests' emulators.
 */
function jestEnv({ caDir, caCertPath }, base = process.env) {
  return { ...trustingEnv(base, [caCertPath], { dir: caDir }), PROVISION_ON_DEMAND_TEST_CA_DIR: caDir };
}

/** Runs jest with `args`, writing its JSON results to `resultsFile`; returns the exit code. */
function runJest(args, env, resultsFile) {
  const jest = require.resolve("jest/bin/jest", { paths: [root] });
  return run(process.execPath, [jest, "--json", `--outputFile=${resultsFile}`, ...args], env);
}

/** The Pulumi CLI's version, asked of scripts/ensure-pulumi (the e2e suites found it, so it is quick). */
function cliVersion() {
  try {
    return pulumiVersion(ensurePulumiBin({ progress: "ignore", timeoutMs: 60_000 }));
  } catch (error) {
    return `(version unknown: ${error.message.split("\n")[0]})`;
  }
}

/** Prints the closing lines from jest's JSON results, if jest wrote any (it does not when it fails to start). */
function printSummary(resultsFile) {
  let results;
  try {
    results = JSON.parse(fs.readFileSync(resultsFile, "utf8"));
  } catch {
    return; // jest's own exit code and output say what went wrong
  }
  fs.rmSync(resultsFile, { force: true });
  console.log(e2eSummaryLine(results, path.join(root, "tests/e2e"), cliVersion));
  const broken = results.numRuntimeErrorTestSuites
    ? `; ${results.numRuntimeErrorTestSuites} test files failed to run`
    : "";
  console.log(
    `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped${broken}`,
  );
}

/** Build, CA, jest, summary; resolves with jest's exit code (1 when the build fails). */
async function main() {
  if (build() !== 0) return 1;
  const ca = await testCertificateAuthority();
  const resultsFile = path.join(ca.caDir, `jest-results-${process.pid}.json`);
  const code = runJest(process.argv.slice(2), jestEnv(ca), resultsFile);
  printSummary(resultsFile);
  return code;
}

if (require.main === module && !reexecOnSupportedNode(__filename, "npm test")) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

module.exports = { jestEnv };
