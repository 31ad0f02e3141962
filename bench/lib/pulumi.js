// The real Pulumi CLI driven through the Automation API with an inline program (this process hosts
// the program; `pulumi` and the dynamic-provider plugin run as child processes), a local file backend
// and PULUMI_HOME in a temporary folder, and a workDir whose node_modules links @pulumi and this
// package, as DESIGN section 6 requires for inline programs.
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "../..");

/** The environment the CLI and its plugins run with. */
function pulumiEnv({ bin, dir, caCertPath }) {
  const home = path.join(dir, "home");
  const backend = path.join(dir, "backend");
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(backend, { recursive: true });
  const env = {
    ...process.env,
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "bench-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    // The provider process talks HTTPS to the emulator: Node reads this only at process start.
    NODE_EXTRA_CA_CERTS: caCertPath,
  };
  delete env.NODE_OPTIONS;
  for (const key of Object.keys(env)) if (key.startsWith("ARM_") || key.startsWith("AZURE_")) delete env[key];
  for (const key of Object.keys(env)) if (key.startsWith("PROVISION_ON_DEMAND_")) delete env[key];
  return env;
}

/** A folder with node_modules/@pulumi and node_modules/<this package>, for the workspace's workDir. */
function makeWorkDir(dir) {
  const work = path.join(dir, "work");
  fs.mkdirSync(path.join(work, "node_modules"), { recursive: true });
  fs.symlinkSync(path.join(root, "node_modules/@pulumi"), path.join(work, "node_modules/@pulumi"));
  fs.symlinkSync(root, path.join(work, "node_modules/pulumi-azuread-provision-on-demand"));
  return work;
}

/** The CLI's version, e.g. "v3.274.1". */
function pulumiVersion(bin) {
  return execFileSync(path.join(bin, "pulumi"), ["version"], { encoding: "utf8" }).trim();
}

/**
 * One workspace for every stack of the run. `program` reads the current spec; `run()` starts a
 * fresh stack with `config`, and `remove()` forgets it without touching anything (`stack rm --force`).
 */
async function createWorkspace({ bin, dir, caCertPath, program }) {
  const automation = require(path.join(root, "node_modules/@pulumi/pulumi/automation"));
  const { LocalWorkspace, PulumiCommand, Stack } = automation;
  const envVars = pulumiEnv({ bin, dir, caCertPath });
  const workDir = makeWorkDir(dir);
  const pulumiCommand = await PulumiCommand.get({ root: path.dirname(bin), skipVersionCheck: true });
  const workspace = await LocalWorkspace.create({
    workDir,
    pulumiCommand,
    envVars,
    program,
    projectSettings: { name: "pod-bench", runtime: "nodejs", main: workDir },
  });
  return {
    workspace,
    async newStack(name, config) {
      const stack = await Stack.create(name, workspace);
      await stack.setAllConfig(config);
      return stack;
    },
    async remove(name) {
      await workspace.removeStack(name, { force: true });
    },
  };
}

/** The stack config that points our provider at the emulator, credentials included. */
function emulatorConfig(emulator, rateLimit) {
  return {
    "azuread:tenantId": { value: emulator.tenantId },
    "azuread:clientId": { value: emulator.clientId },
    "azuread:clientSecret": { value: emulator.clientSecret, secret: true },
    "provisionOnDemand:graphUrl": { value: emulator.graphUrl },
    "provisionOnDemand:authorityHost": { value: emulator.authorityHost },
    "provisionOnDemand:rateLimit": { value: rateLimit },
  };
}

module.exports = { createWorkspace, emulatorConfig, pulumiVersion };
