#!/usr/bin/env node
// `npm test`: builds the package, makes the emulator's test CA, and runs jest with the CA trusted.
//
// Node reads NODE_EXTRA_CA_CERTS only when a process starts, so the CA must exist before jest does:
// this script creates it, then starts jest with NODE_EXTRA_CA_CERTS pointing at it (the same way
// users trust the emulator). --experimental-vm-modules lets jest load p-retry (ESM-only) via import().
// Extra arguments go to jest, e.g. `npm test -- tests/unit` or `npm test -- --selectProjects unit`.
"use strict";
const { spawnSync } = require("node:child_process");
const os = require("node:os");
const path = require("node:path");

const root = path.resolve(__dirname, "..");

function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

async function main() {
  if (
    run(process.execPath, [
      require.resolve("typescript/bin/tsc", { paths: [root] }),
      "-p",
      "tsconfig.build.json",
    ]) !== 0
  ) {
    process.exit(1);
  }
  const caDir =
    process.env.PROVISION_ON_DEMAND_TEST_CA_DIR || path.join(os.tmpdir(), "pulumi-azuread-pod-test-ca");
  const { ensureCertificateAuthority } = require(path.join(root, "dist/emulator/certificates.js"));
  const { caCertPath } = await ensureCertificateAuthority(caDir);
  const env = {
    ...process.env,
    NODE_EXTRA_CA_CERTS: caCertPath,
    PROVISION_ON_DEMAND_TEST_CA_DIR: caDir,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, "--experimental-vm-modules", "--no-warnings=ExperimentalWarning"]
      .filter(Boolean)
      .join(" "),
  };
  const jest = require.resolve("jest/bin/jest", { paths: [root] });
  const results = path.join(caDir, `jest-results-${process.pid}.json`);
  const code = run(
    process.execPath,
    [jest, "--json", `--outputFile=${results}`, ...process.argv.slice(2)],
    env,
  );
  // One plain closing line that any CI log reader understands.
  try {
    const r = JSON.parse(require("node:fs").readFileSync(results, "utf8"));
    console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
    require("node:fs").rmSync(results, { force: true });
  } catch {
    // jest wrote no results (it failed before running tests); its exit code says so
  }
  process.exit(code);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
