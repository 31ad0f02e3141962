// The Node.js lines this project supports, and running a script on one of them when the machine's Node
// is older: `npm test`, `npm run demo` and `npm run bench` call `reexecOnSupportedNode` first. On an
// older Node it says so in one line, gets a supported Node from scripts/ensure-node (installed once per
// user from the npm registry, like scripts/ensure-pulumi gets the CLI) and runs the same script with
// the same arguments on it, that Node's folder first on PATH (so that npm, tsc, jest and the Pulumi
// language host's `node` all are that Node), and carries over what the machine's npm relied on.
//
// Why the carrying over: npm reads its global npmrc relative to the `node` running it
// (`<node>/../etc/npmrc`), so under a downloaded Node it no longer sees the machine's global config,
// e.g. `cafile=` for a TLS-inspecting proxy; TLS trust would then come from NODE_EXTRA_CA_CERTS alone.
// The child gets `npm_config_globalconfig` (the machine's global npmrc) and a NODE_EXTRA_CA_CERTS that
// also trusts npm's `cafile` (scripts/lib/caTrust.js). docs/RUNTIMES.md.
//
// Also a command for shell scripts (.ci/run): `node scripts/lib/nodeRuntime.js carry-env` prints
// `export …` lines of those two variables.
"use strict";
const { execFileSync, spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { trustingEnv } = require("./caTrust");

const repoRoot = path.resolve(__dirname, "../..");

/** Pulumi's supported Node.js lines; `engines` in package.json says the same. */
const SUPPORTED_LINES = [22, 24, 26];
/** The line an older Node hands over to (PULUMI_AZUREAD_POD_NODE=22|24|26 picks another). */
const DEFAULT_LINE = 24;
/** Set in the re-run script's environment: a second hand-over would be a loop. */
const REEXEC_MARK = "PULUMI_AZUREAD_POD_NODE_REEXEC";

/** The major version of a `process.versions.node`-like string. */
function majorOf(version) {
  return Number(String(version).replace(/^v/, "").split(".")[0]);
}

/** True when `version` is older than every supported line (newer and odd lines run as they are). */
function isOlderThanSupported(version = process.versions.node) {
  return majorOf(version) < SUPPORTED_LINES[0];
}

/** The per-user cache root shared with scripts/ensure-pulumi and scripts/ensure-node. */
function cacheRoot(env = process.env) {
  return (
    env.PULUMI_AZUREAD_POD_CACHE ||
    path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-azuread-provision-on-demand")
  );
}

/** The bin folder of a Node of `line`, from scripts/ensure-node (progress on stderr). Throws when it fails. */
function ensureNodeBin(line, { progress = "inherit" } = {}) {
  const out = execFileSync(path.join(repoRoot, "scripts/ensure-node"), [String(line)], {
    cwd: repoRoot,
    encoding: "utf8",
    stdio: ["ignore", "pipe", progress],
    timeout: 10 * 60_000,
  });
  const bin = out.trim().split("\n").pop();
  if (!bin) throw new Error("scripts/ensure-node printed no bin folder");
  return bin;
}

/** What the machine's npm relies on: its global npmrc and its `cafile`, as npm itself reports them. */
function npmSettings(env = process.env) {
  // Under `npm run`, npm exports its non-default settings; otherwise ask it (one `npm config get`).
  let globalconfig = env.npm_config_globalconfig;
  let cafile = env.npm_config_cafile;
  if (!globalconfig || cafile === undefined) {
    try {
      const out = execFileSync("npm", ["config", "get", "globalconfig", "cafile"], {
        encoding: "utf8",
        env,
        stdio: ["ignore", "pipe", "ignore"],
        timeout: 30_000,
      });
      for (const line of out.split("\n")) {
        const [key, ...rest] = line.split("=");
        const value = rest.join("=").trim();
        if (key === "globalconfig" && !globalconfig) globalconfig = value;
        if (key === "cafile" && cafile === undefined) cafile = value;
      }
    } catch {
      // no npm on PATH: nothing to carry over
    }
  }
  const real = (value) => value && value !== "null" && value !== "undefined" && fs.existsSync(value);
  return {
    globalconfig: real(globalconfig) ? globalconfig : undefined,
    cafile: real(cafile) ? cafile : undefined,
  };
}

/**
 * `env` for a process that runs npm on another Node: the machine npm's global npmrc named by
 * `npm_config_globalconfig` (unless one is set already), and NODE_EXTRA_CA_CERTS trusting npm's
 * `cafile` besides what it trusted (a bundle in the cache, see caTrust.js).
 */
function carriedEnv(env = process.env) {
  const { globalconfig, cafile } = npmSettings(env);
  const carried = { ...env };
  if (globalconfig && !env.npm_config_globalconfig) carried.npm_config_globalconfig = globalconfig;
  return cafile ? trustingEnv(carried, [cafile], { dir: path.join(cacheRoot(env), "ca-bundles") }) : carried;
}

/**
 * On a Node older than the supported lines: prints one line saying so, then runs `script` with this
 * process's arguments on a supported Node (scripts/ensure-node) and exits with its exit code; returns
 * true (the caller does nothing more). On a supported (or newer) Node: returns false at once.
 * `label` names the command in the line, e.g. "npm test".
 */
function reexecOnSupportedNode(script, label) {
  if (!isOlderThanSupported()) return false;
  const say = (text) => process.stderr.write(`${label}: ${text}\n`);
  if (process.env[REEXEC_MARK]) {
    say(`still on Node.js ${process.version} after switching to a supported one; giving up`);
    process.exit(1);
  }
  const line = Number(process.env.PULUMI_AZUREAD_POD_NODE || DEFAULT_LINE);
  let bin;
  try {
    bin = ensureNodeBin(SUPPORTED_LINES.includes(line) ? line : DEFAULT_LINE);
  } catch (error) {
    say(
      `Node.js ${process.version} is older than the supported lines (${SUPPORTED_LINES.join(", ")}), and ` +
        `scripts/ensure-node could not get one (${error.message.split("\n")[0]}); install Node.js ${DEFAULT_LINE}`,
    );
    process.exit(1);
  }
  const node = path.join(bin, "node");
  const version = path.basename(path.dirname(bin)).replace(/^node-/, "");
  say(
    `Node.js ${process.version} is older than the supported lines (${SUPPORTED_LINES.join(", ")}): ` +
      `running on Node.js ${version} from scripts/ensure-node (${path.dirname(bin)})`,
  );
  const env = carriedEnv({
    ...process.env,
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
    [REEXEC_MARK]: version,
  });
  const child = spawn(node, [...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: "inherit",
    env,
  });
  // The child is in this process group, so a terminal's Ctrl-C reaches it directly; a signal sent to
  // this process alone (npm forwards SIGTERM to its script) is passed on. This process stays until the
  // child has exited, so that npm (and the shell) wait for the child's own clean-up.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }
  child.on("error", (error) => {
    say(`cannot start ${node}: ${error.message}`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    process.exit(signal ? 128 + (os.constants.signals[signal] ?? 1) : (code ?? 1));
  });
  return true;
}

/** `node scripts/lib/nodeRuntime.js carry-env`: the carried variables as `export NAME='value'` lines. */
function main(argv) {
  if (argv[0] !== "carry-env") {
    process.stderr.write("usage: node scripts/lib/nodeRuntime.js carry-env\n");
    return 2;
  }
  const carried = carriedEnv(process.env);
  const quote = (value) => `'${value.replace(/'/g, `'\\''`)}'`;
  for (const name of ["npm_config_globalconfig", "NODE_EXTRA_CA_CERTS"]) {
    if (carried[name] && carried[name] !== process.env[name])
      process.stdout.write(`export ${name}=${quote(carried[name])}\n`);
  }
  return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

module.exports = {
  SUPPORTED_LINES,
  DEFAULT_LINE,
  REEXEC_MARK,
  majorOf,
  isOlderThanSupported,
  cacheRoot,
  ensureNodeBin,
  npmSettings,
  carriedEnv,
  reexecOnSupportedNode,
};
