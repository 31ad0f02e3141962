// The real Pulumi CLI driven through the Automation API with an inline program (this process hosts
// the program; `pulumi` and the dynamic-provider plugin run as child processes), in the Pulumi
// sandbox of scripts/lib/pulumiSandbox.js (temporary PULUMI_HOME and file backend), with a workDir
// whose node_modules links @pulumi and this package, as inline programs need.
"use strict";
const path = require("node:path");
const {
  automationConfig,
  createPulumiSandbox,
  emulatorStackConfig,
  linkWorkDir,
  pulumiVersion,
  repoRoot,
} = require("../../scripts/lib/pulumiSandbox");

/**
 * One workspace for every stack of the run, its sandbox in `dir`. `program` reads the current spec;
 * with `profileDir`, every Node process the CLI starts writes a CPU profile there (`--cpu-prof`);
 * `newStack(name, config)` starts a fresh stack, and `remove(name)` forgets it without touching
 * anything (`stack rm --force`).
 */
async function createWorkspace({ bin, dir, caCertPath, program, profileDir }) {
  const { LocalWorkspace, PulumiCommand, Stack } = require(
    path.join(repoRoot, "node_modules/@pulumi/pulumi/automation"),
  );
  const sandbox = createPulumiSandbox({ bin, caCertPath, dir, passphrase: "bench-passphrase" });
  const workDir = linkWorkDir(path.join(dir, "work"));
  const pulumiCommand = await PulumiCommand.get({ root: sandbox.pulumiRoot, skipVersionCheck: true });
  const workspace = await LocalWorkspace.create({
    workDir,
    pulumiCommand,
    // --profile: the CLI's Node children write CPU profiles (see profilePreload.js for why it is needed).
    envVars: profileDir
      ? {
          ...sandbox.env,
          NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir} --require ${path.join(__dirname, "profilePreload.js")}`,
        }
      : sandbox.env,
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

/** The stack config that points our provider at the emulator, credentials included, pacer at `rateLimit`. */
function emulatorConfig(emulator, rateLimit) {
  return automationConfig({ ...emulatorStackConfig(emulator), "provisionOnDemand:rateLimit": rateLimit });
}

module.exports = { createWorkspace, emulatorConfig, pulumiVersion };
