// The benchmark's emulator: the `graph-emulator` CLI (dist/emulator/cli.js) in its own process, so
// that its work is not counted against the inline program that this process hosts. The fixture is the
// built-in one plus `extraUsers` users assigned directly to the Databricks app, so that every resource
// provisions a distinct subject (each POST creates a user in the emulated target system).
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "../..");

/** The GUID of bench user number `i` (1-based). */
function benchUserId(i) {
  return `8f1a2b3c-0000-4000-8001-${i.toString(16).padStart(12, "0")}`;
}

/** Writes the fixture (default + `extraUsers` assigned users) to `file`; returns the bench users' ids and the tenant's domain. */
function writeFixture(file, extraUsers) {
  const { defaultFixture } = require(path.join(root, "dist/emulator"));
  const fixture = defaultFixture();
  const spId = fixture.summary.servicePrincipalId;
  const domain = fixture.tenants[0].domains[0];
  const ids = [];
  for (let i = 1; i <= extraUsers; i++) {
    const id = benchUserId(i);
    ids.push(id);
    const n = String(i).padStart(3, "0");
    fixture.users.push({ id, displayName: `Bench User ${n}`, userPrincipalName: `bench${n}@${domain}` });
    fixture.assignments.push({ servicePrincipalId: spId, principalId: id });
  }
  fs.writeFileSync(file, JSON.stringify(fixture, null, 1));
  return { ids, domain };
}

/**
 * Runs the `graph-emulator` CLI (dist/emulator/cli.js --json --quiet ARGS) in a child process and
 * waits for its first line, the connection details. Resolves with them, the child, and `exited` (its
 * exit code or signal); rejects when it exits before printing them.
 */
async function spawnEmulatorCli(args) {
  const child = spawn(
    process.execPath,
    [path.join(root, "dist/emulator/cli.js"), "--json", "--quiet", ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise((resolve) => child.once("exit", (code, sig) => resolve(sig ?? code)));
  const firstLine = await new Promise((resolve, reject) => {
    let buffered = "";
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      const newline = buffered.indexOf("\n");
      if (newline >= 0) resolve(buffered.slice(0, newline));
    });
    exited.then((how) => reject(new Error(`graph-emulator exited (${how}) before it started: ${stderr}`)));
  });
  child.stdout.resume(); // keep draining (nothing more is expected with --quiet)
  return { details: JSON.parse(firstLine), child, exited };
}

/** Stops `child` with SIGTERM (SIGKILL after 5 s) unless it has exited; resolves once it has. */
async function stopChild(child, exited) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts the emulator in a child process with the bench fixture (its headline group grown to
 * `groupMembers` direct user members when given, for P6); resolves with its connection details, the
 * bench users' ids, the tenant's domain, a typed admin client and `stop()`.
 */
async function startEmulatorProcess({ dir, extraUsers, groupMembers, rateLimit = "off" }) {
  const fixtureFile = path.join(dir, "fixture.json");
  const { ids: userIds, domain } = writeFixture(fixtureFile, extraUsers);
  const { details, child, exited } = await spawnEmulatorCli([
    "--rate-limit",
    rateLimit,
    "--ca-dir",
    path.join(dir, "ca"),
    "--fixture",
    fixtureFile,
    ...(groupMembers ? ["--group-members", String(groupMembers)] : []),
  ]);
  const { EmulatorAdmin } = require(path.join(root, "dist/emulator"));
  const url = details.graphUrl;
  const admin = new EmulatorAdmin(url, fs.readFileSync(details.caCertPath, "utf8"));
  let stopped = false;
  return {
    ...details,
    url,
    pid: child.pid,
    userIds,
    domain,
    admin,
    async stop() {
      if (stopped) return;
      stopped = true;
      admin.close();
      await stopChild(child, exited);
    },
  };
}

/** Counts the logged requests by kind; `posts` are the provisionOnDemand entries themselves. */
async function graphCalls(admin) {
  const requests = await admin.requests();
  const posts = requests.filter((r) => r.kind === "provisionOnDemand");
  return {
    token: requests.filter((r) => r.kind === "token").length,
    schema: requests.filter((r) => r.kind === "schema").length,
    post: posts.length,
    throttled: posts.filter((r) => r.status === 429).length,
    all: requests.length,
    posts,
  };
}

/** Graph paths (`/beta/…`, `/v1.0/…`): what the emulated latency applies to (not the token endpoint). */
const GRAPH_PATHS = "^/(beta|v1\\.0)/";

/**
 * Back to the fixture (empty target system and log, counts forgotten, faults cleared), then these
 * settings; with `latencyMs`, every Graph answer from now on (until the next reset) is delayed that
 * long. The emulator's faults do that already: a `delay` fault on every Graph path, with a count no
 * run reaches, holds each request `latencyMs` before serving it normally.
 */
async function resetEmulator(admin, settings, { latencyMs = 0 } = {}) {
  await admin.reset();
  if (settings) await admin.updateSettings(settings);
  if (latencyMs > 0) await admin.addFault({ path: GRAPH_PATHS, delayMs: latencyMs, count: 1e9 });
  await admin.clearRequests();
}

module.exports = {
  spawnEmulatorCli,
  stopChild,
  startEmulatorProcess,
  graphCalls,
  resetEmulator,
  benchUserId,
};
