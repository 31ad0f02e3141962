// The Pulumi sandbox that the demo, the benchmark and the end-to-end tests run the real CLI in: a
// temporary PULUMI_HOME and file:// backend (PULUMI_BACKEND_URL, so no `pulumi login` state is
// written anywhere else), the CLI's bin folder first on PATH, no update check, no plugin downloads, a
// fixed passphrase for secrets, and none of the machine's own Azure credentials or endpoints. Also:
// finding the CLI (scripts/ensure-pulumi), linking a workDir for inline programs, and the stack config
// of examples/basic. Plain CommonJS so that scripts/ and bench/ load it without a build; types for the
// TypeScript tests are in pulumiSandbox.d.ts beside it.
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { combinedCaFile } = require("./caTrust");

/** The repository root. */
const repoRoot = path.resolve(__dirname, "../..");

/** The example project that the demo and the work-directory e2e tests deploy. */
const basicExampleDir = path.join(repoRoot, "examples/basic");

/** Prefixes of variables that would point the provider at a real tenant or change its settings. */
const AMBIENT_PREFIXES = ["ARM_", "AZURE_", "PROVISION_ON_DEMAND_"];

/**
 * The bin folder holding `pulumi`, its Node.js language host and the dynamic-provider plugin, from
 * scripts/ensure-pulumi (which finds one or builds it; minutes the first time). Throws when it fails.
 * `progress` is where its progress lines go: "inherit" (stderr) or "ignore".
 */
function ensurePulumiBin({ progress = "inherit", timeoutMs = 20 * 60_000 } = {}) {
  const out = execFileSync(path.join(repoRoot, "scripts/ensure-pulumi"), [], {
    cwd: repoRoot,
    encoding: "utf8",
    stdio: ["ignore", "pipe", progress],
    timeout: timeoutMs,
  });
  const bin = out.trim().split("\n").pop();
  if (!bin) throw new Error("scripts/ensure-pulumi printed no bin folder");
  return bin;
}

/** The CLI's version as it prints it, e.g. "v3.274.1". */
function pulumiVersion(bin) {
  return execFileSync(path.join(bin, "pulumi"), ["version"], { encoding: "utf8" }).trim();
}

/**
 * The variables the sandbox sets: PATH with `bin` first, PULUMI_HOME, the file backend, the
 * passphrase, no update check or plugin acquisition, and the CA file that the CLI's children must
 * trust: `caFile`, which trusts `caCertPath` in addition to what the caller's NODE_EXTRA_CA_CERTS did.
 */
function sandboxVariables({ bin, homeDir, backendDir, passphrase, caFile, basePath }) {
  const vars = {
    PATH: `${bin}${path.delimiter}${basePath}`,
    PULUMI_HOME: homeDir,
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  };
  // Node reads this only when a process starts: the provider process must inherit it.
  if (caFile) vars.NODE_EXTRA_CA_CERTS = caFile;
  return vars;
}

/**
 * `base` plus the sandbox's variables, without NODE_OPTIONS (the caller's Node flags are not for the
 * CLI's plugin processes) and without the machine's ARM_*, AZURE_* and PROVISION_ON_DEMAND_*
 * variables, so that nothing reaches a real tenant by accident.
 */
function sandboxEnv(base, vars) {
  const env = { ...base };
  delete env.NODE_OPTIONS;
  for (const key of Object.keys(env)) {
    if (AMBIENT_PREFIXES.some((prefix) => key.startsWith(prefix))) delete env[key];
  }
  return { ...env, ...vars };
}

/**
 * Makes a sandbox in `dir` (created if missing) or in a new temporary folder named after `prefix`.
 * `cleanup()` removes the folder. With `caCertPath`, NODE_EXTRA_CA_CERTS names a file that trusts it
 * and whatever `baseEnv`'s NODE_EXTRA_CA_CERTS named (that file itself when it holds both, as under
 * `npm test`; else a bundle in the sandbox folder), so that a proxy's CA keeps working for the CLI's
 * children (`npm install` in a program, plugin downloads).
 */
function createPulumiSandbox({
  bin,
  caCertPath,
  passphrase = "sandbox-passphrase",
  dir,
  prefix = "pod-pulumi-",
  baseEnv = process.env,
}) {
  const root = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const homeDir = path.join(root, "home");
  const backendDir = path.join(root, "backend");
  fs.mkdirSync(homeDir, { recursive: true });
  fs.mkdirSync(backendDir, { recursive: true });
  const caFile = caCertPath
    ? combinedCaFile([baseEnv.NODE_EXTRA_CA_CERTS, caCertPath], { dir: root })
    : undefined;
  const vars = sandboxVariables({
    bin,
    homeDir,
    backendDir,
    passphrase,
    caFile,
    basePath: baseEnv.PATH ?? "",
  });
  return {
    dir: root,
    bin,
    homeDir,
    backendDir,
    pulumiRoot: path.dirname(bin),
    vars,
    env: sandboxEnv(baseEnv, vars),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * Creates `dir` with a node_modules that links @pulumi and this package, as a user's project has:
 * the workDir an Automation API inline program needs (the dynamic provider is loaded from there).
 */
function linkWorkDir(dir) {
  fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  fs.symlinkSync(path.join(repoRoot, "node_modules/@pulumi"), path.join(dir, "node_modules/@pulumi"));
  fs.symlinkSync(repoRoot, path.join(dir, "node_modules/pulumi-azuread-provision-on-demand"));
  return dir;
}

/** The config key of the one secret in `emulatorStackConfig`. */
const SECRET_KEY = "azuread:clientSecret";

/**
 * The stack config that points the provider at `emulator`: tenant, the caller app's client id and
 * secret, and the emulator's Graph and authority URLs (fully qualified keys, plain values).
 */
function emulatorStackConfig(emulator) {
  return {
    "azuread:tenantId": emulator.tenantId,
    "azuread:clientId": emulator.clientId,
    [SECRET_KEY]: emulator.clientSecret,
    "provisionOnDemand:graphUrl": emulator.graphUrl,
    "provisionOnDemand:authorityHost": emulator.authorityHost,
  };
}

/** Plain config as the Automation API's ConfigMap, the client secret marked secret; `undefined` drops a key. */
function automationConfig(config) {
  return Object.fromEntries(
    Object.entries(config)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, { value, secret: key === SECRET_KEY }]),
  );
}

/**
 * The `pulumi config set …` argument lists that point examples/basic at `emulator`: the program's ids
 * (service principal, job, group, `memberIds`) and, with `credentials` (the default), the provider's
 * `emulatorStackConfig` (the client secret with --secret).
 */
function basicExampleConfig(emulator, { credentials = true, memberIds = emulator.fixture.userIds } = {}) {
  const f = emulator.fixture;
  const provider = credentials ? Object.entries(emulatorStackConfig(emulator)) : [];
  const program = [
    ["servicePrincipalId", f.servicePrincipalId],
    ["synchronizationJobId", f.jobId],
    ["groupId", f.groupId],
  ];
  return [
    ...[...provider, ...program].map(([key, value]) =>
      key === SECRET_KEY ? ["config", "set", "--secret", key, value] : ["config", "set", key, value],
    ),
    ["config", "set", "--path", "memberIds", JSON.stringify(memberIds)],
  ];
}

module.exports = {
  repoRoot,
  basicExampleDir,
  ensurePulumiBin,
  pulumiVersion,
  createPulumiSandbox,
  linkWorkDir,
  emulatorStackConfig,
  automationConfig,
  basicExampleConfig,
};
