#!/usr/bin/env node
// `npm run demo`: a real `pulumi up` of examples/basic against the bundled Graph + Entra emulator.
//
// Works straight after `git clone`: installs dependencies if missing, builds, finds or builds the
// Pulumi CLI (scripts/ensure-pulumi), starts the emulator, runs `pulumi up`, shows the outputs and what
// the emulated target system (Databricks) now holds, then `pulumi destroy` and stops everything.
// `--keep` leaves the stack and the emulator running and prints the commands to continue by hand.
// Ctrl-C at any point stops the emulator and leaves no stray process.
"use strict";
const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const example = path.join(root, "examples/basic");
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
let sandbox; // the temporary PULUMI_HOME + backend folder
let stopping = false;

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

async function must(command, args, options) {
  const code = await run(command, args, options);
  if (code !== 0 && !stopping) throw new Error(`${command} ${args.join(" ")} exited with ${code}`);
}

/** Runs a command and returns its standard output (stderr shown). */
function capture(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    ...options,
  });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${result.status}`);
  return result.stdout;
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

async function cleanup(code) {
  if (current) {
    // Let the child stop on its own (pulumi cancels cleanly on SIGINT); kill it if it does not.
    current.kill("SIGINT");
    await childExit(emulator ? 10_000 : 15_000);
    if (current) current.kill("SIGKILL");
  }
  if (emulator) await emulator.stop().catch(() => {});
  if (sandbox && !keep) fs.rmSync(sandbox, { recursive: true, force: true });
  process.exit(code);
}

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
  if (!fs.existsSync(path.join(example, "node_modules/pulumi-azuread-provision-on-demand"))) {
    step("Installing examples/basic's dependencies (npm install)");
    await must("npm", ["install", "--no-audit", "--no-fund"], { cwd: example });
  }
  step("Finding or building the Pulumi CLI (scripts/ensure-pulumi; the first build takes a few minutes)");
  const bin = capture(path.join(root, "scripts/ensure-pulumi"), []).trim().split("\n").pop();
  const { ensureCertificateAuthority } = require(path.join(root, "dist/emulator/certificates.js"));
  const { caCertPath } = await ensureCertificateAuthority(caDir);
  return { bin, caCertPath };
}

async function main() {
  // Node trusts NODE_EXTRA_CA_CERTS only from process start: after preparing, run again with it set.
  if (!process.env.POD_DEMO_STAGE) {
    const { bin, caCertPath } = await prepare();
    const env = {
      ...process.env,
      POD_DEMO_STAGE: "2",
      POD_DEMO_STARTED: String(started),
      POD_DEMO_BIN: bin,
      NODE_EXTRA_CA_CERTS: caCertPath,
    };
    const code = await run(process.execPath, [__filename, ...process.argv.slice(2)], { env });
    process.exit(code);
  }

  const bin = process.env.POD_DEMO_BIN;
  const { startEmulator } = require(path.join(root, "dist/emulator/index.js"));
  step("Starting the Graph + Entra emulator");
  emulator = await startEmulator({ caDir });
  const f = emulator.fixture;
  process.stderr.write(`    emulator at ${emulator.url} (tenant ${emulator.tenantId})\n`);

  sandbox = fs.mkdtempSync(path.join(os.tmpdir(), "pod-demo-"));
  fs.mkdirSync(path.join(sandbox, "home"));
  fs.mkdirSync(path.join(sandbox, "backend"));
  const pulumiEnv = {
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    PULUMI_HOME: path.join(sandbox, "home"),
    PULUMI_BACKEND_URL: `file://${path.join(sandbox, "backend")}`,
    PULUMI_CONFIG_PASSPHRASE: "demo",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    NODE_EXTRA_CA_CERTS: emulator.caCertPath,
  };
  const env = { ...process.env, ...pulumiEnv };
  delete env.POD_DEMO_STAGE;
  const pulumi = (args) => must("pulumi", [...args, "--non-interactive"], { cwd: example, env });

  step("Creating the stack and its config (examples/basic, local backend in a temporary folder)");
  fs.rmSync(path.join(example, "Pulumi.demo.yaml"), { force: true });
  await pulumi(["stack", "init", "demo"]);
  const config = [
    ["azuread:tenantId", emulator.tenantId],
    ["azuread:clientId", emulator.clientId],
    ["provisionOnDemand:graphUrl", emulator.graphUrl],
    ["provisionOnDemand:authorityHost", emulator.authorityHost],
    ["servicePrincipalId", f.servicePrincipalId],
    ["synchronizationJobId", f.jobId],
    ["groupId", f.groupId],
  ];
  for (const [key, value] of config) await pulumi(["config", "set", key, value]);
  await pulumi(["config", "set", "--secret", "azuread:clientSecret", emulator.clientSecret]);
  await pulumi(["config", "set", "--path", "memberIds", JSON.stringify(f.userIds)]);

  step('pulumi up: provisioning the group "example" and its members now');
  await pulumi(["up", "--yes", "--skip-preview"]);

  step("Stack outputs");
  await pulumi(["stack", "output"]);

  step("What the emulated target system (the Databricks SCIM app) now holds");
  const target = await emulator.admin.target(f.servicePrincipalId);
  for (const o of target.objects) {
    process.stdout.write(
      `    ${o.objectTypeName.padEnd(6)} ${o.displayName ?? ""} (${o.objectId}) exported ${o.exportCount}x, last ${o.lastAction}\n`,
    );
  }

  if (keep) {
    const exports = Object.entries({ ...pulumiEnv, PATH: `${bin}:$PATH` })
      .map(([k, v]) => (k === "PATH" ? `export PATH="${v}"` : `export ${k}='${v}'`))
      .join("\n");
    process.stdout.write(
      `\nThe stack "demo" and the emulator are still running. In another terminal:\n\n${exports}\ncd ${example}\n` +
        `pulumi stack output\npulumi up        # change memberIds or a trigger first to provision again\npulumi destroy --yes && pulumi stack rm demo --yes\n\n` +
        `The emulator's admin API: ${emulator.url}/_emulator/requests, ${emulator.url}/_emulator/target/${f.servicePrincipalId}\n` +
        `Press Ctrl-C here to stop the emulator.\n`,
    );
    await new Promise(() => {}); // until Ctrl-C
  }

  step("pulumi destroy (no Graph call: provisioning cannot be undone, the resource is only forgotten)");
  await pulumi(["destroy", "--yes", "--skip-preview"]);
  await pulumi(["stack", "rm", "demo", "--yes"]);
  step(`Done in ${((Date.now() - started) / 1000).toFixed(0)}s: stopping the emulator`);
  await cleanup(0);
}

main().catch(async (error) => {
  process.stderr.write(`\ndemo failed: ${error.message}\n`);
  await cleanup(1);
});
