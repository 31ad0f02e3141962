#!/usr/bin/env node
// `npm run demo`: a real `pulumi up` of examples/basic against the bundled Graph + Entra emulator.
//
// Works straight after `git clone`: installs dependencies if missing, builds, finds or builds the
// Pulumi CLI (scripts/ensure-pulumi), starts the emulator, runs `pulumi up`, shows the outputs and what
// the emulated target system (Databricks) now holds, then `pulumi destroy` and stops everything.
// `--keep` leaves the stack and the emulator running and prints the commands to continue by hand.
// Ctrl-C at any point stops the emulator and leaves no stray process. On a Node older than the
// supported lines it first re-runs itself on a supported one (scripts/lib/nodeRuntime.js).
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const { trustingEnv } = require("./lib/caTrust");
const { reexecOnSupportedNode } = require("./lib/nodeRuntime");
const {
  basicExampleConfig,
  basicExampleDir,
  createPulumiSandbox,
  ensurePulumiBin,
} = require("./lib/pulumiSandbox");

const root = path.resolve(__dirname, "..");
const keep = process.argv.includes("--keep");
const cacheRoot =
  process.env.PULUMI_AZUREAD_POD_CACHE ||
  path.join(
    process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"),
    "pulumi-azuread-provision-on-demand",
  );
const caDir = path.join(cacheRoot, "demo-ca");
const started = Number(process.env.POD_DEMO_STARTED) || Date.now(); // stage 2 keeps stage 1's clock

let current; // the child process running now, if any
let emulator; // the running emulator, once started
let sandbox; // the Pulumi sandbox (scripts/lib/pulumiSandbox.js), once made
let stopping = false;

/** Prints a step heading with the time since the demo started. */
function step(text) {
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  process.stderr.write(`\n==> [${seconds}s] ${text}\n`);
}

/** Runs a command with inherited output; resolves with its exit code. */
function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    current = spawn(command, args, { cwd: root, stdio: "inherit", ...options });
    current.on("error", reject);
    current.on("exit", (code, signal) => {
      current = undefined;
      resolve(signal ? 128 : (code ?? 1));
    });
  });
}

/** Like `run`, but throws when the command fails (unless the demo is being stopped). */
async function must(command, args, options) {
  const code = await run(command, args, options);
  if (code !== 0 && !stopping) throw new Error(`${command} ${args.join(" ")} exited with ${code}`);
}

/** Waits up to `ms` for the running child to exit. */
function childExit(ms) {
  return new Promise((resolve) => {
    if (!current) return resolve();
    const timer = setTimeout(resolve, ms);
    current.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Stops the running child and the emulator, removes the sandbox (unless --keep), and exits. */
async function cleanup(code) {
  if (current) {
    // Let the child stop on its own (pulumi cancels cleanly on SIGINT); kill it if it does not.
    current.kill("SIGINT");
    await childExit(emulator ? 10_000 : 15_000);
    if (current) current.kill("SIGKILL");
  }
  if (emulator) await emulator.stop().catch(() => {});
  if (sandbox && !keep) sandbox.cleanup();
  process.exit(code);
}

/** Ctrl-C or SIGTERM: stop the child and the emulator, then exit. */
function handleSignals() {
  process.on("SIGINT", () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write("\nInterrupted: stopping the emulator and any running command…\n");
    cleanup(130);
  });
  process.on("SIGTERM", () => {
    stopping = true;
    cleanup(143);
  });
}

/** Stage 1: dependencies, build, examples/basic's dependencies, the Pulumi CLI and the demo CA. */
async function prepare() {
  if (!fs.existsSync(path.join(root, "node_modules/@pulumi/pulumi/package.json"))) {
    step("Installing the package's dependencies (npm ci)");
    await must("npm", ["ci", "--no-audit", "--no-fund"]);
  }
  step("Building the package (tsc)");
  await must(process.execPath, [
    require.resolve("typescript/bin/tsc", { paths: [root] }),
    "-p",
    "tsconfig.build.json",
  ]);
  if (!fs.existsSync(path.join(basicExampleDir, "node_modules/pulumi-azuread-provision-on-demand"))) {
    step("Installing examples/basic's dependencies (npm install)");
    await must("npm", ["install", "--no-audit", "--no-fund"], { cwd: basicExampleDir });
  }
  step("Finding or building the Pulumi CLI (scripts/ensure-pulumi; the first build takes a few minutes)");
  const bin = ensurePulumiBin();
  const { ensureCertificateAuthority } = require(path.join(root, "dist/emulator/certificates.js"));
  const { caCertPath } = await ensureCertificateAuthority(caDir);
  return { bin, caCertPath };
}

/**
 * Node trusts NODE_EXTRA_CA_CERTS only from process start: after preparing, this script runs again
 * (stage 2) with it naming the demo CA as well as whatever it named before (scripts/lib/caTrust.js),
 * keeping stage 1's clock. Resolves with stage 2's exit code.
 */
async function prepareAndRestart() {
  const { bin, caCertPath } = await prepare();
  const env = {
    ...trustingEnv(process.env, [caCertPath], { dir: caDir }),
    POD_DEMO_STAGE: "2",
    POD_DEMO_STARTED: String(started),
    POD_DEMO_BIN: bin,
  };
  return run(process.execPath, [__filename, ...process.argv.slice(2)], { env });
}

/** Starts the emulator (the built-in fixture) with the demo CA. */
async function startDemoEmulator() {
  const { startEmulator } = require(path.join(root, "dist/emulator/index.js"));
  step("Starting the Graph + Entra emulator");
  const running = await startEmulator({ caDir });
  process.stderr.write(`    emulator at ${running.url} (tenant ${running.tenantId})\n`);
  return running;
}

/** Runs `pulumi ARGS --non-interactive` in examples/basic with the sandbox's environment. */
function pulumi(args) {
  const env = { ...sandbox.env };
  for (const key of ["POD_DEMO_STAGE", "POD_DEMO_STARTED", "POD_DEMO_BIN"]) delete env[key];
  return must("pulumi", [...args, "--non-interactive"], { cwd: basicExampleDir, env });
}

/** Creates the stack "demo" of examples/basic and points it at the emulator. */
async function createStack() {
  step("Creating the stack and its config (examples/basic, local backend in a temporary folder)");
  fs.rmSync(path.join(basicExampleDir, "Pulumi.demo.yaml"), { force: true });
  await pulumi(["stack", "init", "demo"]);
  for (const args of basicExampleConfig(emulator)) await pulumi(args);
}

/** Prints what the emulated target system (the Databricks SCIM app) holds. */
async function showTarget() {
  step("What the emulated target system (the Databricks SCIM app) now holds");
  const target = await emulator.admin.target(emulator.fixture.servicePrincipalId);
  for (const o of target.objects) {
    process.stdout.write(
      `    ${o.objectTypeName.padEnd(6)} ${o.displayName ?? ""} (${o.objectId}) exported ${o.exportCount}x, last ${o.lastAction}\n`,
    );
  }
}

/** `--keep`: prints the commands to carry on in another terminal, then waits for Ctrl-C. */
async function keepRunning() {
  const exports = Object.entries({ ...sandbox.vars, PATH: `${sandbox.bin}:$PATH` })
    .map(([k, v]) => (k === "PATH" ? `export PATH="${v}"` : `export ${k}='${v}'`))
    .join("\n");
  process.stdout.write(
    `\nThe stack "demo" and the emulator are still running. In another terminal:\n\n${exports}\ncd ${basicExampleDir}\n` +
      `pulumi stack output\npulumi up        # change memberIds or a trigger first to provision again\npulumi destroy --yes && pulumi stack rm demo --yes\n\n` +
      `The emulator's admin API: ${emulator.url}/_emulator/requests, ${emulator.url}/_emulator/target/${emulator.fixture.servicePrincipalId}\n` +
      `Press Ctrl-C here to stop the emulator.\n`,
  );
  await new Promise(() => {}); // until Ctrl-C
}

/** Stage 2: emulator, sandbox, `pulumi up`, outputs, target, then destroy (or keep with --keep). */
async function demo() {
  emulator = await startDemoEmulator();
  sandbox = createPulumiSandbox({
    bin: process.env.POD_DEMO_BIN,
    caCertPath: emulator.caCertPath,
    passphrase: "demo",
    prefix: "pod-demo-",
  });
  await createStack();
  step('pulumi up: provisioning the group "example" and its members now');
  await pulumi(["up", "--yes", "--skip-preview"]);
  step("Stack outputs");
  await pulumi(["stack", "output"]);
  await showTarget();
  if (keep) await keepRunning();
  step("pulumi destroy (no Graph call: provisioning cannot be undone, the resource is only forgotten)");
  await pulumi(["destroy", "--yes", "--skip-preview"]);
  await pulumi(["stack", "rm", "demo", "--yes"]);
  step(`Done in ${((Date.now() - started) / 1000).toFixed(0)}s: stopping the emulator`);
  await cleanup(0);
}

/** Stage 1 prepares and restarts; stage 2 (POD_DEMO_STAGE set) runs the demo. */
async function main() {
  if (process.env.POD_DEMO_STAGE) await demo();
  else process.exit(await prepareAndRestart());
}

if (!reexecOnSupportedNode(__filename, "npm run demo")) {
  handleSignals();
  main().catch(async (error) => {
    process.stderr.write(`\ndemo failed: ${error.message}\n`);
    await cleanup(1);
  });
}
