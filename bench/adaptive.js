#!/usr/bin/env node
// Adaptive pacing, measured: two `pulumi up` of N of our resources each (two stacks of one project:
// two CLI processes, two dynamic-provider processes, one app), started together against the emulator
// limited to 5 requests per 2 s. Each provider paces to the full budget on its own, so together they
// send twice what the emulator admits; the pacer's adaptive slow-down (src/graph/pacer.ts) should turn
// the 429s that follow into a shared pace. Arms, alternating: our pacer at 5/2s vs off.
//
//   npm run build && node bench/adaptive.js [--resources 30] [--rounds 3] [--out bench/results]
//
// Reports, per arm, the share of POSTs answered 429, failures (both ups must succeed), the POST span
// against the rate-limit floor of all 2N POSTs, and the up times. Writes adaptive.json (and prints a
// table). Exits 0 when it ran (targets are reported, not enforced), 2 when it could not run, 130 on
// Ctrl-C. docs/BENCHMARKS.md ("Adaptive pacing") explains the method and the figures.
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { parseArgs } = require("node:util");

const { graphCalls, resetEmulator, startEmulatorProcess } = require("./lib/emulator");
const { positiveInteger } = require("./lib/options");
const { stopDescendants } = require("./lib/procs");
const { median, round, rateLimitFloorMs } = require("./lib/stats");
const {
  automationConfig,
  createPulumiSandbox,
  emulatorStackConfig,
  ensurePulumiBin,
  linkWorkDir,
  pulumiVersion,
  repoRoot,
} = require("../scripts/lib/pulumiSandbox");

/** The emulator's limit, and the pacer's in the paced arm. */
const RATE_LIMIT = "5/2s";
/** What the paced arm should reach: both ups succeed with at most this share of POSTs refused. */
const TARGET = { maxThrottledShare: 0.15, maxFailures: 0 };
const TYPE = "pulumi-nodejs:dynamic/azuread:SynchronizationJobProvisionOnDemand";

const started = Date.now();
/** A progress line on stderr with the seconds since the start. */
function log(text) {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${text}\n`);
}

/** The command line, strictly. */
function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      resources: { type: "string", default: "30" },
      rounds: { type: "string", default: "3" },
      out: { type: "string", default: path.join(repoRoot, "bench/results") },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  return {
    help: values.help,
    resources: positiveInteger("resources", values.resources),
    rounds: positiveInteger("rounds", values.rounds),
    out: path.resolve(values.out),
  };
}

/**
 * The program both stacks run (a local program, so that each `up` runs it in its own language host):
 * one resource per user id of its stack config, each giving the job's rule id.
 */
const PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const { SynchronizationJobProvisionOnDemand } = require("pulumi-azuread-provision-on-demand");
const config = new pulumi.Config("bench");
const userIds = config.requireObject("userIds");
for (const [i, objectId] of userIds.entries()) {
  new SynchronizationJobProvisionOnDemand(\`subject-\${String(i + 1).padStart(3, "0")}\`, {
    servicePrincipalId: config.require("servicePrincipalId"),
    synchronizationJobId: config.require("jobId"),
    parameters: [{ ruleId: config.require("ruleId"), subjects: [{ objectId, objectTypeName: "User" }] }],
  });
}
`;

/** Writes the project (Pulumi.yaml, package.json, index.js) into a linked workDir; returns it. */
function writeProject(dir) {
  const workDir = linkWorkDir(path.join(dir, "work"));
  fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), "name: pod-adaptive\nruntime: nodejs\n");
  fs.writeFileSync(
    path.join(workDir, "package.json"),
    JSON.stringify({ name: "pod-adaptive", private: true, main: "index.js" }, null, 2),
  );
  fs.writeFileSync(path.join(workDir, "index.js"), PROGRAM);
  return workDir;
}

/** The stack config of one stack: the provider's (pacer at `pacer`) and its share of the users. */
function stackConfig(emulator, pacer, userIds) {
  const f = emulator.fixture;
  return automationConfig({
    ...emulatorStackConfig(emulator),
    "provisionOnDemand:rateLimit": pacer,
    "bench:servicePrincipalId": f.servicePrincipalId,
    "bench:jobId": f.jobId,
    "bench:ruleId": f.ruleId,
    "bench:userIds": JSON.stringify(userIds),
  });
}

/** One `up` of `stack`, timed; never throws (the error is returned). */
async function timedUp(stack) {
  const t0 = process.hrtime.bigint();
  try {
    await stack.up();
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  } catch (error) {
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, error };
  }
}

/** Resources of ours in `stack`'s state whose result is Success. */
async function succeededIn(stack) {
  const deployment = await stack.exportStack();
  return (deployment.deployment.resources ?? []).filter(
    (r) => r.type === TYPE && r.outputs?.result === "Success",
  ).length;
}

/** One round of one arm: two fresh stacks, both `up`s started together; the emulator's view of them. */
async function runRound(bench, { arm, roundNo }) {
  const { emulator, workspace, Stack, n, floorMs } = bench;
  await resetEmulator(emulator.admin, { rateLimit: RATE_LIMIT });
  const pacer = arm === "adaptive" ? RATE_LIMIT : "off";
  const names = ["a", "b"].map((s) => `${arm}-${roundNo}-${s}`);
  const stacks = [];
  for (const [i, name] of names.entries()) {
    const stack = await Stack.create(name, workspace);
    await stack.setAllConfig(stackConfig(emulator, pacer, emulator.userIds.slice(i * n, (i + 1) * n)));
    stacks.push(stack);
  }
  const t0 = Date.now();
  const ups = await Promise.all(stacks.map(timedUp));
  const wallMs = Date.now() - t0;
  if (bench.interrupted) throw new Error("interrupted");
  const calls = await graphCalls(emulator.admin);
  const succeeded = await Promise.all(stacks.map(succeededIn));
  for (const name of names) await workspace.removeStack(name, { force: true });

  const ok = calls.posts.filter((p) => p.status === 200);
  const first = Math.min(...calls.posts.map((p) => Date.parse(p.time)));
  const last = Math.max(...ok.map((p) => Date.parse(p.time) + p.durationMs));
  const run = {
    round: roundNo,
    wallMs,
    upMs: ups.map((u) => Math.round(u.ms)),
    posts: calls.post,
    accepted: ok.length,
    throttled: calls.throttled,
    throttledShare: calls.post ? round(calls.throttled / calls.post) : null,
    failures: 2 * n - succeeded.reduce((a, b) => a + b, 0),
    postSpanMs: ok.length ? Math.round(last - first) : null,
    tokens: calls.token,
    upErrors: ups.filter((u) => u.error).map((u) => String(u.error.message).split("\n")[0].slice(0, 300)),
  };
  run.spanOverFloor = run.postSpanMs !== null ? round(run.postSpanMs / floorMs, 2) : null;
  log(
    `  ${arm.padEnd(8)} round ${roundNo}: ${run.posts} POSTs, ${run.throttled} × 429 (${Math.round(run.throttledShare * 100)} %), ` +
      `${run.failures} failed, POST span ${(run.postSpanMs / 1000).toFixed(1)} s (${run.spanOverFloor}× floor), ` +
      `ups ${run.upMs.map((ms) => (ms / 1000).toFixed(1)).join(" s, ")} s`,
  );
  return run;
}

/** The medians (failures and the 429 share: also the worst) of one arm's rounds. */
function summarize(runs) {
  const shares = runs.map((r) => r.throttledShare);
  return {
    throttledShare: round(median(shares)),
    worstThrottledShare: Math.max(...shares),
    throttled: median(runs.map((r) => r.throttled)),
    posts: median(runs.map((r) => r.posts)),
    failures: Math.max(...runs.map((r) => r.failures)),
    postSpanSeconds: round(median(runs.map((r) => r.postSpanMs)) / 1000, 1),
    spanOverFloor: round(median(runs.map((r) => r.spanOverFloor)), 2),
    upSeconds: round(median(runs.flatMap((r) => r.upMs)) / 1000, 1),
    runs,
  };
}

/** The commit measured, with `+changes` when tracked files differ from it; undefined without git. */
function commitOf() {
  try {
    const git = (args) => execFileSync("git", args, { cwd: repoRoot, encoding: "utf8" }).trim();
    const changed = git(["status", "--porcelain", "--untracked-files=no"]) !== "";
    return `${git(["rev-parse", "--short", "HEAD"])}${changed ? "+changes" : ""}`;
  } catch {
    return undefined;
  }
}

/** Writes adaptive.json to `out`; returns its path. */
function writeResult(out, result) {
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, "adaptive.json");
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** The table printed at the end. */
function table(result) {
  const row = (name, s) =>
    `| ${name} | ${Math.round(s.throttledShare * 100)} % (worst ${Math.round(s.worstThrottledShare * 100)} %) | ` +
    `${s.throttled} of ${s.posts} | ${s.failures} | ${s.postSpanSeconds} s (${s.spanOverFloor}×) | ${s.upSeconds} s |`;
  return [
    `Two ups of ${result.resources} resources each, together, emulator at ${result.rateLimit} (floor ${result.floorSeconds} s for ${2 * result.resources} POSTs), ${result.rounds} rounds:`,
    "",
    "| our pacer | POSTs answered 429 (median) | 429s / POSTs | failures | POST span (/ floor) | up (median) |",
    "| --- | --- | --- | --- | --- | --- |",
    row(`${result.rateLimit} adaptive`, result.adaptive),
    row("off", result.off),
    "",
    `target (adaptive): 429s ≤ ${TARGET.maxThrottledShare * 100} % of POSTs and no failure: ${result.targetMet ? "met" : "NOT met"}`,
    "",
  ].join("\n");
}

async function main(options) {
  const bin = ensurePulumiBin();
  const { PulumiCommand, LocalWorkspace, Stack } = require(
    path.join(repoRoot, "node_modules/@pulumi/pulumi/automation"),
  );
  const { parseRateLimit } = require(path.join(repoRoot, "dist/duration.js"));
  const { count, windowMs } = parseRateLimit(RATE_LIMIT, "rate limit");
  const n = options.resources;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pod-adaptive-"));
  const bench = { n, Stack, floorMs: rateLimitFloorMs(2 * n, count, windowMs), interrupted: false };
  let cleaning;
  const cleanup = () =>
    (cleaning ??= (async () => {
      bench.interrupted = true;
      await stopDescendants({ keep: bench.emulator ? [bench.emulator.pid] : [] }).catch(() => {});
      await bench.emulator?.stop().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    })());
  process.on("SIGINT", () => {
    process.stderr.write("\nInterrupted: stopping the Pulumi CLIs, their providers and the emulator…\n");
    cleanup().finally(() => process.exit(130));
  });
  try {
    bench.emulator = await startEmulatorProcess({ dir, extraUsers: 2 * n, rateLimit: RATE_LIMIT });
    log(`emulator (pid ${bench.emulator.pid}) at ${bench.emulator.url}, ${2 * n} bench users`);
    const sandbox = createPulumiSandbox({
      bin,
      caCertPath: bench.emulator.caCertPath,
      dir,
      passphrase: "bench-passphrase",
    });
    const pulumiCommand = await PulumiCommand.get({ root: sandbox.pulumiRoot, skipVersionCheck: true });
    bench.workspace = await LocalWorkspace.create({
      workDir: writeProject(dir),
      pulumiCommand,
      envVars: sandbox.env,
    });
    log(
      `two ups of ${n} resources together, emulator ${RATE_LIMIT}, floor ${bench.floorMs / 1000} s; our pacer ${RATE_LIMIT} (adaptive) vs off, ${options.rounds} rounds`,
    );
    const runs = { adaptive: [], off: [] };
    for (let roundNo = 1; roundNo <= options.rounds; roundNo++)
      for (const arm of ["adaptive", "off"]) runs[arm].push(await runRound(bench, { arm, roundNo }));

    const result = {
      date: new Date().toISOString(),
      commit: commitOf(),
      pulumiVersion: pulumiVersion(bin),
      node: process.version,
      nproc: typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length,
      rateLimit: RATE_LIMIT,
      resources: n,
      rounds: options.rounds,
      floorSeconds: bench.floorMs / 1000,
      target: TARGET,
      adaptive: summarize(runs.adaptive),
      off: summarize(runs.off),
    };
    result.targetMet =
      result.adaptive.throttledShare <= TARGET.maxThrottledShare &&
      result.adaptive.failures <= TARGET.maxFailures;
    const file = writeResult(options.out, result);
    process.stdout.write(table(result));
    log(`results: ${path.relative(process.cwd(), file)}`);
    return 0;
  } finally {
    await cleanup();
  }
}

if (require.main === module) {
  let options;
  try {
    options = readOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench/adaptive.js: ${error.message}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(
      "Usage: node bench/adaptive.js [--resources N (30)] [--rounds N (3)] [--out DIR (bench/results)]\n",
    );
    process.exit(0);
  }
  main(options).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`bench/adaptive.js failed: ${error.stack || error.message}\n`);
      process.exit(2);
    },
  );
}

module.exports = { main };
