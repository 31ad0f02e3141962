// `npm run bench`: the real Pulumi CLI against the project's emulator. See docs/BENCHMARKS.md.
//
//   P1 engine overhead   `pulumi up` of N of our resources vs N resources of the minimal hand-written
//                        reference provider (bench/reference/) vs N no-op dynamic resources (same
//                        inputs), in rotating rounds; ratios per round, medians reported. Also a
//                        latency run: every Graph answer delayed by the emulator (--latency-ms).
//   P2 paced throughput  N subjects under the emulator's rate limit (5/2s), our pacer at 5/2s vs off,
//                        alternating pairs; POST span / rate-limit floor, failures, 429 answers.
//   P3 Graph calls       token requests, schema GETs and POSTs per phase, from the emulator's log.
//   P4 state size        bytes of `__provider` and of the whole resource in the exported state;
//                        and the dynamic-provider process's peak RSS (VmHWM) at the largest size.
//   P6 whole groups      one resource provisioning a group of M listed members (200) under the
//                        emulator's 5/2s limit: POST span / floor, 429s, failures, output bytes per
//                        member, provider RSS; then 3 members added: the update's request count.
//
// Called by scripts/bench.js after `npm run build` and scripts/ensure-pulumi, with the plan from
// bench/lib/options.js. Exits 1 when a P3 count or the P4 size target is broken (never because
// something was slow), 2 when the benchmark itself could not run, 130 on Ctrl-C.
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const { startEmulatorProcess, graphCalls, resetEmulator } = require("./lib/emulator");
const { createWorkspace, emulatorConfig, pulumiVersion } = require("./lib/pulumi");
const { programFor, TYPES } = require("./lib/programs");
const { watchPeakRss, stopDescendants } = require("./lib/procs");
const { median, round, rateLimitFloorMs } = require("./lib/stats");
const { writeResults } = require("./lib/report");

const root = path.resolve(__dirname, "..");
// The package's own grammar for rates (bench runs after a build).
const { parseRateLimit } = require(path.join(root, "dist/duration.js"));

const P2_RATE_LIMIT = "5/2s";
const P1_TARGET = { size: 50, maxRatio: 1.15 };
/** Ours against the minimal reference provider: at 50 resources, and in the latency run. */
const P1_REFERENCE_TARGET = { maxRatio: 1.03 };
const P6_TARGETS = { maxWallOverFloor: 1.1, maxFailures: 0, maxThrottledShare: 0.1, updatePosts: 1 };
/** Members P6 adds to the group before its second `up` (the incremental case). */
const P6_ADDED = 3;
const P2_TARGETS = { maxWallOverFloor: 1.2, maxFailures: 0, maxThrottledShare: 0.1 };
const P4_MAX_PROVIDER_BYTES = 2048;
/** A resource of ours in state at most this many times the no-op's (same inputs). */
const P4_MAX_RESOURCE_RATIO = 1.5;
/** What P3 expects of each phase: one token and one schema GET for the whole up, one POST per resource. */
const P3_EXPECTED = (n) => ({
  preview: { token: 0, schema: 0, post: 0 },
  up: { token: 1, schema: 1, post: n },
  upUnchanged: { token: 0, schema: 0, post: 0 },
  refresh: { token: 0, schema: 0, post: 0 },
  destroy: { token: 0, schema: 0, post: 0 },
});

const started = Date.now();

/** A progress line on stderr with the seconds since the start. */
function log(text) {
  const s = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[${s}s] ${text}\n`);
}

/** `git ARGS` in the repository, or undefined when git cannot answer. */
function git(args) {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8" });
  } catch {
    return undefined;
  }
}

/** The versions, commit and machine the results were measured on. */
function machineInfo(bin) {
  const cpus = os.cpus();
  // Tracked files changed but not committed: the build measured is the working tree's.
  const modified = git(["status", "--porcelain", "--untracked-files=no"]);
  return {
    pulumiVersion: pulumiVersion(bin),
    pulumiSdkVersion: require(path.join(root, "node_modules/@pulumi/pulumi/package.json")).version,
    packageVersion: require(path.join(root, "package.json")).version,
    commit: git(["rev-parse", "--short", "HEAD"])?.trim(),
    uncommittedChanges: modified
      ?.split("\n")
      .filter(Boolean)
      .map((line) => line.slice(3)),
    machine: {
      nproc: typeof os.availableParallelism === "function" ? os.availableParallelism() : cpus.length,
      cpuModel: cpus[0]?.model?.trim(),
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      loadAverageAtStart: os.loadavg().map((v) => round(v, 2)),
      node: process.version,
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
    },
  };
}

/** The resources of `type` in an exported deployment. */
function resourcesOfType(deployment, type) {
  return (deployment.deployment.resources ?? []).filter((r) => r.type === type);
}

/** The byte sizes P4 reports for the resources of `type` in an exported deployment. */
function stateSizes(deployment, type) {
  const resources = resourcesOfType(deployment, type);
  const providerBytes = resources.map((r) =>
    Buffer.byteLength(String(r.outputs?.__provider ?? r.inputs?.__provider ?? "")),
  );
  const resourceBytes = resources.map((r) => Buffer.byteLength(JSON.stringify(r)));
  return {
    count: resources.length,
    providerBytes: Math.max(0, ...providerBytes),
    resourceBytes: Math.max(0, ...resourceBytes),
    resourceBytesMedian: median(resourceBytes),
    deploymentBytes: Buffer.byteLength(JSON.stringify(deployment.deployment)),
  };
}

/**
 * The run's temporary folder and a `cleanup()` that stops every child process (the emulator last) and
 * removes the folder, once; Ctrl-C, SIGTERM and SIGHUP run it and exit. `bench.interrupted` turns true.
 */
function createCleanup(bench) {
  let cleaning;
  bench.cleanup = () =>
    (cleaning ??= (async () => {
      bench.interrupted = true;
      const emulator = bench.emulator;
      await stopDescendants({ keep: emulator ? [emulator.pid] : [] }).catch(() => {});
      if (emulator) await emulator.stop().catch(() => {});
      fs.rmSync(bench.dir, { recursive: true, force: true });
    })());
  const onSignal = (code) => () => {
    if (cleaning) return;
    process.stderr.write("\nInterrupted: stopping the Pulumi CLI, its provider and the emulator…\n");
    bench.cleanup().finally(() => process.exit(code));
  };
  process.on("SIGINT", onSignal(130));
  process.on("SIGTERM", onSignal(143));
  process.on("SIGHUP", onSignal(129));
}

/** Throws when the run is being stopped, so that no result is recorded from a killed `up`. */
function checkNotInterrupted(bench) {
  if (bench.interrupted) throw new Error("interrupted");
}

/** Starts the emulator process and the Automation API workspace whose program reads `bench.spec`. */
async function startBench(bench, plan, bin) {
  const emulator = await startEmulatorProcess({
    dir: bench.dir,
    extraUsers: Math.max(...plan.sizes, plan.latencySize, plan.p2Subjects),
    groupMembers: plan.parts.includes("p6") ? plan.p6Members : undefined,
  });
  bench.emulator = emulator;
  log(`emulator (pid ${emulator.pid}) at ${emulator.url}, ${emulator.userIds.length} bench users`);
  bench.base = {
    servicePrincipalId: emulator.fixture.servicePrincipalId,
    jobId: emulator.fixture.jobId,
    userIds: emulator.userIds,
  };
  bench.fixture = emulator.fixture;
  bench.arms = plan.arms;
  bench.domain = emulator.domain;
  bench.spec = { ...bench.base, kind: "ours", n: 1 };
  bench.stackCounter = 0;
  if (plan.profileDir) fs.mkdirSync(plan.profileDir, { recursive: true });
  bench.ws = await createWorkspace({
    bin,
    dir: bench.dir,
    caCertPath: emulator.caCertPath,
    program: programFor(() => bench.spec),
    profileDir: plan.profileDir,
  });
}

/** Where the time of an up went, on the emulator's clock: its first Graph call and its last POST answer. */
async function timelineSince(emulator, t0Epoch) {
  const all = await emulator.admin.requests();
  if (all.length === 0) return undefined;
  return {
    firstCallMs: Math.min(...all.map((r) => Date.parse(r.time))) - t0Epoch,
    lastAnswerMs: Math.max(...all.map((r) => Date.parse(r.time) + r.durationMs)) - t0Epoch,
  };
}

/**
 * One fresh stack: reset the emulator (Graph answers delayed by `latencyMs`), create, up (timed),
 * collect, forget the stack. `spec` adds to the program's spec (P1 passes the ruleId). With
 * `keep`, the stack is not forgotten and is returned as `stack` (the caller removes it).
 */
async function trial(
  bench,
  { kind, n, spec = {}, emulatorRateLimit = "off", pacer = "off", allowFailure = false, latencyMs = 0, keep },
) {
  const { emulator, ws } = bench;
  bench.spec = { ...bench.base, kind, n, ...spec };
  const name = `${kind}-${n}-${++bench.stackCounter}`;
  await resetEmulator(emulator.admin, { rateLimit: emulatorRateLimit }, { latencyMs });
  const stack = await ws.newStack(name, emulatorConfig(emulator, pacer));
  const rss = watchPeakRss();
  const t0Epoch = Date.now();
  const t0 = process.hrtime.bigint();
  let up;
  let error;
  try {
    up = await stack.up();
  } catch (e) {
    error = e;
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const peaks = rss.stop();
  checkNotInterrupted(bench);
  if (error && !allowFailure) throw error;
  const calls = await graphCalls(emulator.admin);
  const deployment = await stack.exportStack();
  const timeline = await timelineSince(emulator, t0Epoch);
  if (keep) return { name, kind, n, wallMs, up, error, calls, deployment, peaks, timeline, stack };
  await ws.remove(name);
  return { name, kind, n, wallMs, up, error, calls, deployment, peaks, timeline };
}

/** P1's spec: every resource gives the job's rule id (the reference provider cannot resolve one). */
const p1Spec = (bench) => ({ ruleId: bench.fixture.ruleId });

/** P1's roles, in order; `--arms` may put other programs or environments in them (an experiment). */
const P1_ROLES = ["ours", "reference", "noop"];

/**
 * Warm-up (untimed): the first `pulumi up` of a run pays for cold caches. Returns the state sizes of
 * the no-op's and the reference's resources (P4's comparisons).
 */
async function warmUp(bench) {
  log("warm-up: one up of each program (untimed)");
  const spec = p1Spec(bench);
  const ours = await trial(bench, { kind: "ours", n: 1, spec });
  const reference = await trial(bench, { kind: "reference", n: 1, spec });
  const noop = await trial(bench, { kind: "noop", n: 1, spec });
  for (const t of [ours, reference])
    if (t.calls.post !== 1) throw new Error(`warm-up (${t.kind}): expected 1 POST, saw ${t.calls.post}`);
  return {
    ours: stateSizes(ours.deployment, TYPES.ours),
    noop: stateSizes(noop.deployment, TYPES.noop),
    reference: stateSizes(reference.deployment, TYPES.reference),
  };
}

/** The roles in round `round` (1-based): each round starts one role later, so none always runs first. */
function rotation(round) {
  const k = (round - 1) % P1_ROLES.length;
  return [...P1_ROLES.slice(k), ...P1_ROLES.slice(0, k)];
}

/** One timed up of `kind` at `size`; throws unless every POST it should make was answered 200. */
async function p1Trial(bench, arm, size, latencyMs) {
  const [kind, envText] = arm.split(":");
  const saved = bench.ws.workspace.envVars;
  // An --arms environment: the CLI and the processes it starts (the provider) get these variables.
  if (envText)
    bench.ws.workspace.envVars = {
      ...saved,
      ...Object.fromEntries(envText.split("+").map((kv) => kv.split("="))),
    };
  let t;
  try {
    t = await trial(bench, { kind, n: size, spec: p1Spec(bench), latencyMs });
  } finally {
    bench.ws.workspace.envVars = saved;
  }
  const want = kind === "noop" ? 0 : size;
  if (t.calls.post !== want || t.calls.posts.some((p) => p.status !== 200))
    throw new Error(`P1 ${kind} ${size}: expected ${want} POSTs answered 200, saw ${t.calls.post}`);
  return t;
}

/** One P1 round at `size`: ours, the reference and the no-op (or `--arms`), in the round's rotation. */
async function p1Round(bench, size, roundNo, latencyMs = 0) {
  const t = {};
  for (const role of rotation(roundNo))
    t[role] = await p1Trial(bench, bench.arms[P1_ROLES.indexOf(role)], size, latencyMs);
  const a = t.ours;
  const run = {
    size,
    pair: roundNo,
    order: rotation(roundNo).join(","),
    oursMs: Math.round(a.wallMs),
    referenceMs: Math.round(t.reference.wallMs),
    baselineMs: Math.round(t.noop.wallMs),
    ratio: round3(a.wallMs / t.noop.wallMs),
    ratioToReference: round3(a.wallMs / t.reference.wallMs),
    referenceRatio: round3(t.reference.wallMs / t.noop.wallMs),
    oursFirstGraphCallMs: a.timeline && Math.round(a.timeline.firstCallMs),
    oursLastGraphAnswerMs: a.timeline && Math.round(a.timeline.lastAnswerMs),
    referenceFirstGraphCallMs: t.reference.timeline && Math.round(t.reference.timeline.firstCallMs),
    referenceLastGraphAnswerMs: t.reference.timeline && Math.round(t.reference.timeline.lastAnswerMs),
    oursPostServerMsMedian: round(median(a.calls.posts.map((p) => p.durationMs)), 1),
    oursProviderRssMiB: a.peaks?.providerMiB,
    referenceProviderRssMiB: t.reference.peaks?.providerMiB,
    baselineProviderRssMiB: t.noop.peaks?.providerMiB,
    cliRssMiB: a.peaks?.cliMiB,
    cpuSeconds: Object.fromEntries(P1_ROLES.map((role) => [role, t[role].peaks?.cpuSeconds])),
  };
  log(
    `  ${String(size).padStart(3)} resources${latencyMs ? ` at ${latencyMs} ms` : ""}, round ${roundNo}: ours ${(run.oursMs / 1000).toFixed(2)} s, ` +
      `reference ${(run.referenceMs / 1000).toFixed(2)} s, no-op ${(run.baselineMs / 1000).toFixed(2)} s; ` +
      `ours/reference ${run.ratioToReference}, ours/no-op ${run.ratio}`,
  );
  return run;
}

/** Rounds to 3 decimals. */
const round3 = (v) => round(v, 3);

/** The medians per size of P1's rounds. */
function p1Medians(runs, sizes) {
  const bySize = (f) =>
    Object.fromEntries(
      sizes.map((s) => [String(s), round3(median(runs.filter((r) => r.size === s).map(f)))]),
    );
  return {
    ratio: bySize((r) => r.ratio),
    ratioToReference: bySize((r) => r.ratioToReference),
    referenceRatio: bySize((r) => r.referenceRatio),
    oursFirstGraphCallSeconds: bySize((r) => r.oursFirstGraphCallMs / 1000),
    oursGraphPhaseSeconds: bySize((r) => (r.oursLastGraphAnswerMs - r.oursFirstGraphCallMs) / 1000),
    oursAfterLastAnswerSeconds: bySize((r) => (r.oursMs - r.oursLastGraphAnswerMs) / 1000),
    referenceFirstGraphCallSeconds: bySize((r) => r.referenceFirstGraphCallMs / 1000),
    referenceGraphPhaseSeconds: bySize(
      (r) => (r.referenceLastGraphAnswerMs - r.referenceFirstGraphCallMs) / 1000,
    ),
    referenceAfterLastAnswerSeconds: bySize((r) => (r.referenceMs - r.referenceLastGraphAnswerMs) / 1000),
    oursPostServerMsMedian: bySize((r) => r.oursPostServerMsMedian),
    cpuSeconds: Object.fromEntries(
      sizes.map((s) => {
        const at = runs.filter((r) => r.size === s && r.cpuSeconds);
        const arm = (kind) =>
          Object.fromEntries(
            ["provider", "cli", "emulator", "bench"].map((p) => [
              p,
              round(median(at.map((r) => r.cpuSeconds[kind]?.[p])), 2),
            ]),
          );
        return [String(s), Object.fromEntries(P1_ROLES.map((role) => [role, arm(role)]))];
      }),
    ),
    oursSeconds: bySize((r) => r.oursMs / 1000),
    referenceSeconds: bySize((r) => r.referenceMs / 1000),
    baselineSeconds: bySize((r) => r.baselineMs / 1000),
  };
}

/** P1's medians per size and its targets, from the rounds' runs (and the latency run's, if any). */
function summarizeP1(runs, plan, latencyRuns) {
  const medians = p1Medians(runs, plan.sizes);
  const key = String(P1_TARGET.size);
  const largest = medians.ratio[key];
  const toReference = medians.ratioToReference[key];
  const p1 = {
    ...medians,
    ruleIdGiven: true,
    arms: plan.arms,
    pairs: plan.pairs,
    runs,
    target: {
      size: P1_TARGET.size,
      maxRatio: P1_TARGET.maxRatio,
      met: largest === undefined ? null : largest <= P1_TARGET.maxRatio,
    },
    referenceTarget: {
      size: P1_TARGET.size,
      maxRatio: P1_REFERENCE_TARGET.maxRatio,
      met: toReference === undefined ? null : toReference <= P1_REFERENCE_TARGET.maxRatio,
    },
  };
  if (latencyRuns) {
    const m = p1Medians(latencyRuns, [plan.latencySize]);
    const at = (field) => m[field][String(plan.latencySize)];
    p1.latency = {
      latencyMs: plan.latencyMs,
      appliesTo: "every Graph request (/beta, /v1.0), not the token endpoint",
      size: plan.latencySize,
      ratio: at("ratio"),
      ratioToReference: at("ratioToReference"),
      referenceRatio: at("referenceRatio"),
      oursSeconds: at("oursSeconds"),
      referenceSeconds: at("referenceSeconds"),
      baselineSeconds: at("baselineSeconds"),
      oursFirstGraphCallSeconds: at("oursFirstGraphCallSeconds"),
      oursGraphPhaseSeconds: at("oursGraphPhaseSeconds"),
      referenceFirstGraphCallSeconds: at("referenceFirstGraphCallSeconds"),
      referenceGraphPhaseSeconds: at("referenceGraphPhaseSeconds"),
      runs: latencyRuns,
      target: {
        maxRatioToReference: P1_REFERENCE_TARGET.maxRatio,
        met:
          at("ratioToReference") === undefined
            ? null
            : at("ratioToReference") <= P1_REFERENCE_TARGET.maxRatio,
      },
    };
  }
  return p1;
}

/** P1: rotating rounds per size, emulator limit off, pacer off; then the latency run. */
async function runP1(bench, plan) {
  log(
    "P1 engine overhead: ours vs the minimal reference provider vs no-op dynamic resources, emulator limit off, pacer off",
  );
  const runs = [];
  for (const size of plan.sizes) {
    for (let r = 1; r <= plan.pairs; r++) runs.push(await p1Round(bench, size, r));
  }
  let latencyRuns;
  if (plan.latencyMs > 0) {
    log(`P1 latency run: ${plan.latencySize} resources, every Graph answer delayed ${plan.latencyMs} ms`);
    latencyRuns = [];
    for (let r = 1; r <= plan.pairs; r++)
      latencyRuns.push(await p1Round(bench, plan.latencySize, r, plan.latencyMs));
  }
  return summarizeP1(runs, plan, latencyRuns);
}

/** From the first POST to the end of the last successful one (ms, on the emulator's clock); null when none succeeded. */
function postSpanMs(posts) {
  const ok = posts.filter((p) => p.status === 200);
  if (ok.length === 0) return null;
  const first = Math.min(...posts.map((p) => Date.parse(p.time)));
  const last = Math.max(...ok.map((p) => Date.parse(p.time) + p.durationMs));
  return Math.round(last - first);
}

/** One P2 up of `n` subjects with our pacer `arm` ("on" = the emulator's limit, or "off"). */
async function p2Run(bench, { n, floorMs, pair, arm }) {
  const t = await trial(bench, {
    kind: "ours",
    n,
    emulatorRateLimit: P2_RATE_LIMIT,
    pacer: arm === "on" ? P2_RATE_LIMIT : "off",
    allowFailure: true,
  });
  const posts = t.calls.posts;
  const succeeded = resourcesOfType(t.deployment, TYPES.ours).filter(
    (r) => r.outputs?.result === "Success",
  ).length;
  const run = {
    pair,
    upMs: Math.round(t.wallMs),
    postSpanMs: postSpanMs(posts),
    posts: posts.length,
    throttled: t.calls.throttled,
    failures: n - succeeded,
    tokens: t.calls.token,
    schemas: t.calls.schema,
    upError: t.error ? String(t.error.message).split("\n")[0].slice(0, 300) : undefined,
  };
  run.wallOverFloor = floorMs > 0 && run.postSpanMs !== null ? round(run.postSpanMs / floorMs) : null;
  run.upWallOverFloor = floorMs > 0 ? round(run.upMs / floorMs) : null;
  log(
    `  pacer ${arm.padEnd(3)} pair ${pair}: up ${(run.upMs / 1000).toFixed(2)} s, POST span ${((run.postSpanMs ?? 0) / 1000).toFixed(2)} s ` +
      `(${run.wallOverFloor}× floor), ${run.posts} POSTs, ${run.throttled} × 429, ${run.failures} failed`,
  );
  return run;
}

/** The medians (failures: the worst) of one P2 arm's runs. */
function summarizeP2(runs) {
  return {
    wallOverFloor: round(median(runs.map((r) => r.wallOverFloor))),
    upWallOverFloor: round(median(runs.map((r) => r.upWallOverFloor))),
    postSpanSeconds: round(median(runs.map((r) => r.postSpanMs)) / 1000),
    upSeconds: round(median(runs.map((r) => r.upMs)) / 1000),
    failures: Math.max(...runs.map((r) => r.failures)),
    throttled: median(runs.map((r) => r.throttled)),
    posts: median(runs.map((r) => r.posts)),
    runs,
  };
}

/** P2: paced throughput, pacer at the emulator's limit vs off, alternating. */
async function runP2(bench, plan) {
  const { count, windowMs } = parseRateLimit(P2_RATE_LIMIT, "P2 rate limit");
  const n = plan.p2Subjects;
  const floorMs = rateLimitFloorMs(n, count, windowMs);
  log(
    `P2 paced throughput: ${n} subjects, emulator limit ${P2_RATE_LIMIT}, floor ${floorMs / 1000} s; pacer ${P2_RATE_LIMIT} (A) vs off (B)`,
  );
  const runs = { on: [], off: [] };
  for (let pair = 1; pair <= plan.p2Pairs; pair++) {
    for (const arm of ["on", "off"]) runs[arm].push(await p2Run(bench, { n, floorMs, pair, arm }));
  }
  const p2 = {
    n,
    rateLimit: P2_RATE_LIMIT,
    floorSeconds: floorMs / 1000,
    pacer: P2_RATE_LIMIT,
    ...summarizeP2(runs.on),
    pacerOff: summarizeP2(runs.off),
  };
  p2.targets = {
    ...P2_TARGETS,
    met:
      p2.wallOverFloor <= P2_TARGETS.maxWallOverFloor &&
      p2.failures <= P2_TARGETS.maxFailures &&
      p2.throttled <= P2_TARGETS.maxThrottledShare * p2.posts,
  };
  return p2;
}

/** Runs one P3 phase with the request log cleared first; its Graph calls by kind and its seconds. */
async function phase(bench, name, fn) {
  await bench.emulator.admin.clearRequests();
  const t0 = Date.now();
  const result = await fn();
  const seconds = round((Date.now() - t0) / 1000, 2);
  checkNotInterrupted(bench);
  const c = await graphCalls(bench.emulator.admin);
  log(`  ${name.padEnd(11)} ${seconds} s: token ${c.token}, schema ${c.schema}, post ${c.post}`);
  return { counts: { token: c.token, schema: c.schema, post: c.post }, seconds, result };
}

/** One stack of `n` resources through every phase; the phases, the exported state after up, peak RSS. */
async function lifecycle(bench, n) {
  bench.spec = { ...bench.base, kind: "ours", n };
  await resetEmulator(bench.emulator.admin, { rateLimit: "off" });
  const stack = await bench.ws.newStack("p3", emulatorConfig(bench.emulator, "off"));
  const phases = { preview: await phase(bench, "preview", () => stack.preview()) };
  const rss = watchPeakRss();
  phases.up = await phase(bench, "up", () => stack.up());
  const upPeaks = rss.stop();
  const exported = await stack.exportStack();
  phases.upUnchanged = await phase(bench, "upUnchanged", () => stack.up());
  phases.refresh = await phase(bench, "refresh", () => stack.refresh());
  phases.destroy = await phase(bench, "destroy", () => stack.destroy());
  await bench.ws.remove("p3");
  return { phases, exported, upPeaks };
}

/** P3: Graph calls per phase against P3_EXPECTED; `broken` lists each count off target. */
function summarizeP3(n, phases) {
  const expected = P3_EXPECTED(n);
  const p3 = { n };
  for (const name of Object.keys(expected)) p3[name] = phases[name].counts;
  p3.seconds = Object.fromEntries(Object.keys(expected).map((name) => [name, phases[name].seconds]));
  p3.upUnchangedChanges = phases.upUnchanged.result.summary.resourceChanges;
  const broken = [];
  for (const [name, counts] of Object.entries(expected)) {
    for (const [kind, want] of Object.entries(counts)) {
      if (p3[name][kind] !== want) broken.push(`P3 ${name}: ${kind} ${p3[name][kind]}, target ${want}`);
    }
  }
  p3.expected = expected;
  p3.met = broken.length === 0;
  return { p3, broken };
}

/**
 * P4: our state sizes against the no-op's and the reference's. `exported` is P3's stack (ruleId
 * resolved from the schema); `sameInputs` holds the warm-up's sizes, where all three programs gave
 * the same inputs (ruleId given): the per-resource comparison uses those.
 */
function summarizeP4(n, exported, sameInputs) {
  const ours = stateSizes(exported, TYPES.ours);
  const broken = [];
  if (ours.count !== n) broken.push(`P4: ${ours.count} of our resources in state, expected ${n}`);
  const p4 = {
    n,
    providerBytes: ours.providerBytes,
    resourceBytes: sameInputs.ours.resourceBytes,
    resourceBytesRuleFromSchema: ours.resourceBytes,
    resourceBytesMedian: ours.resourceBytesMedian,
    deploymentBytes: ours.deploymentBytes,
    baselineProviderBytes: sameInputs.noop.providerBytes,
    baselineResourceBytes: sameInputs.noop.resourceBytes,
    referenceProviderBytes: sameInputs.reference.providerBytes,
    referenceResourceBytes: sameInputs.reference.resourceBytes,
    maxProviderBytes: P4_MAX_PROVIDER_BYTES,
    maxResourceRatio: P4_MAX_RESOURCE_RATIO,
  };
  p4.resourceRatio = round(p4.resourceBytes / p4.baselineResourceBytes, 3);
  p4.resourceRatioMet = p4.resourceRatio <= P4_MAX_RESOURCE_RATIO;
  p4.met = p4.providerBytes <= P4_MAX_PROVIDER_BYTES && p4.resourceRatioMet;
  if (p4.providerBytes > P4_MAX_PROVIDER_BYTES)
    broken.push(`P4: __provider ${p4.providerBytes} bytes, target <= ${P4_MAX_PROVIDER_BYTES}`);
  if (!p4.resourceRatioMet)
    broken.push(
      `P4: a resource is ${p4.resourceRatio} × the no-op's in state, target <= ${P4_MAX_RESOURCE_RATIO}`,
    );
  return { p4, broken };
}

/** The provider's and the CLI's peak RSS: P1's runs of each program at the largest size, and P3's up. */
function peakRss(p1, maxSize, upPeaks) {
  const largest = p1.runs.filter((r) => r.size === maxSize);
  const max = (f) => round(Math.max(...largest.map((r) => f(r) ?? 0)), 1) || null;
  return {
    providerPeakRssMiB: max((r) => r.oursProviderRssMiB),
    providerPeakRss: {
      resources: maxSize,
      source:
        "max VmHWM of the dynamic-provider process over the P1 runs of each program at the largest size",
      oursMiB: largest.map((r) => r.oursProviderRssMiB),
      referenceMiB: largest.map((r) => r.referenceProviderRssMiB),
      baselineMiB: largest.map((r) => r.baselineProviderRssMiB),
      referencePeakMiB: max((r) => r.referenceProviderRssMiB),
      baselinePeakMiB: max((r) => r.baselineProviderRssMiB),
      p3UpMiB: upPeaks?.providerMiB,
      cliMiB: max((r) => r.cliRssMiB),
    },
  };
}

/** The ids of the users P6 adds to the group before its second `up`. */
const p6AddedIds = () =>
  Array.from({ length: P6_ADDED }, (_, i) => `8f1a2b3c-0000-4000-8002-${String(i + 1).padStart(12, "0")}`);

/** P6's second `up`: P6_ADDED new users join the group (outside the program), the program lists them. */
async function p6Update(bench, stack, groupId) {
  const { admin } = bench.emulator;
  const ids = p6AddedIds();
  await admin.addObjects({
    users: ids.map((id, i) => ({
      id,
      displayName: `P6 Added ${i + 1}`,
      userPrincipalName: `p6added${i + 1}@${bench.domain}`,
    })),
  });
  await admin.addGroupMembers(groupId, ids);
  bench.spec = { ...bench.spec, memberIds: [...bench.spec.memberIds, ...ids] };
  await admin.clearRequests();
  const t0 = process.hrtime.bigint();
  const up = await stack.up();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const calls = await graphCalls(admin);
  const resource = resourcesOfType(await stack.exportStack(), TYPES.ours)[0];
  return {
    added: ids.length,
    posts: calls.post,
    otherGraphCalls: calls.all - calls.post - calls.token,
    upSeconds: round(ms / 1000, 2),
    changes: up.summary.resourceChanges,
    sent: resource?.outputs?.members?.sent ?? null,
    total: resource?.outputs?.members?.total ?? null,
  };
}

/** One P6 run: a fresh stack, the group `up` (timed, paced), then the incremental `up`. */
async function p6Run(bench, { members, floorMs, run }) {
  const spec = { groupId: bench.fixture.groupId, memberIds: members };
  const t = await trial(bench, {
    kind: "group",
    n: members.length,
    spec,
    emulatorRateLimit: P2_RATE_LIMIT,
    pacer: P2_RATE_LIMIT,
    allowFailure: true,
    keep: true,
  });
  try {
    const posts = t.calls.posts;
    const resource = resourcesOfType(t.deployment, TYPES.ours)[0];
    const outcome = resource?.outputs?.members;
    const result = {
      run,
      upMs: Math.round(t.wallMs),
      postSpanMs: postSpanMs(posts),
      posts: posts.length,
      throttled: t.calls.throttled,
      failures: outcome
        ? outcome.failed + (members.length - outcome.succeeded - outcome.failed)
        : members.length,
      result: resource?.outputs?.result ?? null,
      outputBytes: resource ? Buffer.byteLength(JSON.stringify(resource.outputs)) : null,
      resourceBytes: resource ? Buffer.byteLength(JSON.stringify(resource)) : null,
      providerPeakRssMiB: t.peaks?.providerMiB,
      upError: t.error ? String(t.error.message).split("\n")[0].slice(0, 300) : undefined,
    };
    result.wallOverFloor =
      result.postSpanMs !== null && floorMs > 0 ? round(result.postSpanMs / floorMs) : null;
    result.outputBytesPerMember = result.outputBytes && round(result.outputBytes / members.length, 1);
    result.update = t.error ? undefined : await p6Update(bench, t.stack, spec.groupId);
    log(
      `  run ${run}: up ${(result.upMs / 1000).toFixed(2)} s, POST span ${((result.postSpanMs ?? 0) / 1000).toFixed(2)} s ` +
        `(${result.wallOverFloor}× floor), ${result.posts} POSTs, ${result.throttled} × 429, ${result.failures} failed, ` +
        `${result.outputBytesPerMember} output bytes/member, provider ${result.providerPeakRssMiB} MiB; ` +
        `+${P6_ADDED} members: ${result.update?.posts ?? "?"} POST(s) in ${result.update?.upSeconds ?? "?"} s`,
    );
    return result;
  } finally {
    await bench.ws.remove(t.name);
  }
}

/** P6: a whole group under the emulator's limit, our pacer at the same limit; then 3 members added. */
async function runP6(bench, plan) {
  const { count, windowMs } = parseRateLimit(P2_RATE_LIMIT, "P6 rate limit");
  const { GRAPH_MEMBERS_PER_REQUEST } = require(path.join(root, "dist/provider/limits.js"));
  const members = bench.fixture.userIds;
  if (members.length !== plan.p6Members)
    throw new Error(`P6: the emulator's group has ${members.length} members, expected ${plan.p6Members}`);
  const requests = Math.ceil(members.length / GRAPH_MEMBERS_PER_REQUEST);
  const floorMs = rateLimitFloorMs(requests, count, windowMs);
  log(
    `P6 whole group: ${members.length} listed members = ${requests} requests, emulator limit and pacer ${P2_RATE_LIMIT}, floor ${floorMs / 1000} s`,
  );
  const runs = [];
  for (let run = 1; run <= plan.p6Runs; run++) runs.push(await p6Run(bench, { members, floorMs, run }));
  const updates = runs.map((r) => r.update).filter(Boolean);
  const p6 = {
    members: members.length,
    requests,
    rateLimit: P2_RATE_LIMIT,
    pacer: P2_RATE_LIMIT,
    floorSeconds: floorMs / 1000,
    wallOverFloor: round(median(runs.map((r) => r.wallOverFloor))),
    postSpanSeconds: round(median(runs.map((r) => r.postSpanMs)) / 1000),
    upSeconds: round(median(runs.map((r) => r.upMs)) / 1000),
    posts: median(runs.map((r) => r.posts)),
    throttled: median(runs.map((r) => r.throttled)),
    failures: Math.max(...runs.map((r) => r.failures)),
    outputBytes: median(runs.map((r) => r.outputBytes)),
    outputBytesPerMember: median(runs.map((r) => r.outputBytesPerMember)),
    resourceBytes: median(runs.map((r) => r.resourceBytes)),
    providerPeakRssMiB: Math.max(...runs.map((r) => r.providerPeakRssMiB ?? 0)) || null,
    update: {
      added: P6_ADDED,
      posts: updates.length ? Math.max(...updates.map((u) => u.posts)) : null,
      otherGraphCalls: updates.length ? Math.max(...updates.map((u) => u.otherGraphCalls)) : null,
      upSeconds: round(median(updates.map((u) => u.upSeconds)), 2),
      sent: updates[0]?.sent ?? null,
    },
    runs,
  };
  p6.targets = {
    ...P6_TARGETS,
    met:
      p6.wallOverFloor <= P6_TARGETS.maxWallOverFloor &&
      p6.failures <= P6_TARGETS.maxFailures &&
      p6.throttled <= P6_TARGETS.maxThrottledShare * p6.posts &&
      p6.update.posts === P6_TARGETS.updatePosts,
  };
  return p6;
}

/** Writes the results, prints the markdown table; 1 when a P3/P4 target is broken, else 0. */
function report(results, outDir) {
  const files = writeResults(results, outDir);
  log(`results: ${files.map((f) => path.relative(process.cwd(), f)).join(", ")}`);
  const markdown = files.find((f) => f.endsWith(".md"));
  process.stdout.write(`\n${fs.readFileSync(markdown, "utf8")}\n`);
  if (results.targetsBroken.length === 0) return 0;
  process.stderr.write(`\nTargets broken (P3 counts / P4 size):\n  ${results.targetsBroken.join("\n  ")}\n`);
  return 1;
}

/** Every measurement in order (the parts the plan names), then the results object that report.js writes. */
async function measure(bench, plan, info) {
  const maxSize = Math.max(...plan.sizes);
  const runs = (part) => plan.parts.includes(part);
  const sameInputs = await warmUp(bench);
  const p1 = runs("p1") ? await runP1(bench, plan) : undefined;
  const p2 = runs("p2") ? await runP2(bench, plan) : undefined;
  let p3;
  let p4;
  let upPeaks;
  const broken = [];
  if (runs("p3")) {
    log(`P3 Graph calls per phase and P4 state size: ${maxSize} resources, emulator limit off, pacer off`);
    const life = await lifecycle(bench, maxSize);
    upPeaks = life.upPeaks;
    const s3 = summarizeP3(maxSize, life.phases);
    const s4 = summarizeP4(maxSize, life.exported, sameInputs);
    ({ p3 } = s3);
    ({ p4 } = s4);
    broken.push(...s3.broken, ...s4.broken);
  }
  const p6 = runs("p6") ? await runP6(bench, plan) : undefined;
  return {
    date: new Date(started).toISOString(),
    quick: plan.quick,
    ...info,
    plan: {
      parts: plan.parts,
      sizes: plan.sizes,
      pairs: plan.pairs,
      latencyMs: plan.latencyMs,
      latencySize: plan.latencySize,
      p2Subjects: plan.p2Subjects,
      p2Pairs: plan.p2Pairs,
      p6Members: plan.p6Members,
      p6Runs: plan.p6Runs,
      engineParallel: "CLI default (8)",
      profiled: plan.profileDir ? true : undefined,
    },
    durationSeconds: round((Date.now() - started) / 1000, 0),
    loadAverageAtEnd: os.loadavg().map((v) => round(v, 2)),
    p1,
    p2,
    p3,
    p4,
    p6,
    ...(p1 ? peakRss(p1, maxSize, upPeaks) : {}),
    sameInputsState: sameInputs,
    targetsBroken: broken,
  };
}

/**
 * Runs the benchmark with `bin` (the Pulumi CLI's folder) and `plan` (bench/lib/options.js); resolves
 * with the exit code.
 */
async function main({ bin, plan }) {
  const info = machineInfo(bin);
  log(
    `benchmark ${plan.quick ? "(quick) " : ""}${plan.parts.join(",")}: sizes ${plan.sizes.join(",")}, ${plan.pairs} rounds, ` +
      `latency run ${plan.latencyMs ? `${plan.latencySize} at ${plan.latencyMs} ms` : "off"}; P2 ${plan.p2Subjects} subjects at ${P2_RATE_LIMIT}, ${plan.p2Pairs} pairs; ` +
      `P6 ${plan.p6Members} members; pulumi ${info.pulumiVersion}, ${info.machine.nproc} CPUs`,
  );
  const bench = { dir: fs.mkdtempSync(path.join(os.tmpdir(), "pod-bench-")), interrupted: false };
  createCleanup(bench);
  try {
    await startBench(bench, plan, bin);
    return report(await measure(bench, plan, info), plan.outDir);
  } finally {
    await bench.cleanup();
  }
}

module.exports = { main };
