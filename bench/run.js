// `npm run bench`: the real Pulumi CLI against the project's emulator. See docs/BENCHMARKS.md.
//
//   P1 engine overhead   `pulumi up` of N of our resources vs N no-op dynamic resources (same inputs),
//                        alternating pairs A B A B…, ratio per pair, median reported.
//   P2 paced throughput  N subjects under the emulator's rate limit (5/2s), our pacer at 5/2s vs off,
//                        alternating pairs; POST span / rate-limit floor, failures, 429 answers.
//   P3 Graph calls       token requests, schema GETs and POSTs per phase, from the emulator's log.
//   P4 state size        bytes of `__provider` and of the whole resource in the exported state;
//                        and the dynamic-provider process's peak RSS (VmHWM) at the largest size.
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
const P2_TARGETS = { maxWallOverFloor: 1.2, maxFailures: 0, maxThrottledShare: 0.1 };
const P4_MAX_PROVIDER_BYTES = 2048;
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
    extraUsers: Math.max(...plan.sizes, plan.p2Subjects),
  });
  bench.emulator = emulator;
  log(`emulator (pid ${emulator.pid}) at ${emulator.url}, ${emulator.userIds.length} bench users`);
  bench.base = {
    servicePrincipalId: emulator.fixture.servicePrincipalId,
    jobId: emulator.fixture.jobId,
    userIds: emulator.userIds,
  };
  bench.spec = { ...bench.base, kind: "ours", n: 1 };
  bench.stackCounter = 0;
  bench.ws = await createWorkspace({
    bin,
    dir: bench.dir,
    caCertPath: emulator.caCertPath,
    program: programFor(() => bench.spec),
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

/** One fresh stack: reset the emulator, create, up (timed), collect, forget the stack. */
async function trial(bench, { kind, n, emulatorRateLimit = "off", pacer = "off", allowFailure = false }) {
  const { emulator, ws } = bench;
  bench.spec = { ...bench.base, kind, n };
  const name = `${kind}-${n}-${++bench.stackCounter}`;
  await resetEmulator(emulator.admin, { rateLimit: emulatorRateLimit });
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
  await ws.remove(name);
  return { name, kind, n, wallMs, up, error, calls, deployment, peaks, timeline };
}

/** Warm-up (untimed): the first `pulumi up` of a run pays for cold caches. Returns the baseline's sizes. */
async function warmUp(bench) {
  log("warm-up: one up of each program (untimed)");
  const ours = await trial(bench, { kind: "ours", n: 1 });
  const noop = await trial(bench, { kind: "noop", n: 1 });
  if (ours.calls.post !== 1) throw new Error(`warm-up: expected 1 POST, saw ${ours.calls.post}`);
  return stateSizes(noop.deployment, TYPES.noop);
}

/** One P1 pair at `size`: ours (A) then the no-op baseline (B). */
async function p1Pair(bench, size, pair) {
  const a = await trial(bench, { kind: "ours", n: size });
  if (a.calls.post !== size || a.calls.posts.some((p) => p.status !== 200))
    throw new Error(`P1 ${size}: expected ${size} POSTs answered 200, saw ${a.calls.post}`);
  const b = await trial(bench, { kind: "noop", n: size });
  const run = {
    size,
    pair,
    oursMs: Math.round(a.wallMs),
    baselineMs: Math.round(b.wallMs),
    ratio: round(a.wallMs / b.wallMs),
    oursFirstGraphCallMs: a.timeline && Math.round(a.timeline.firstCallMs),
    oursLastGraphAnswerMs: a.timeline && Math.round(a.timeline.lastAnswerMs),
    oursPostServerMsMedian: round(median(a.calls.posts.map((p) => p.durationMs)), 1),
    oursProviderRssMiB: a.peaks?.providerMiB,
    baselineProviderRssMiB: b.peaks?.providerMiB,
    cliRssMiB: a.peaks?.cliMiB,
  };
  log(
    `  ${String(size).padStart(3)} resources, pair ${pair}: ours ${(run.oursMs / 1000).toFixed(2)} s, no-op ${(run.baselineMs / 1000).toFixed(2)} s, ratio ${run.ratio}`,
  );
  return run;
}

/** P1's medians per size and its target, from the pairs' runs. */
function summarizeP1(runs, plan) {
  const bySize = (f) =>
    Object.fromEntries(
      plan.sizes.map((s) => [String(s), round(median(runs.filter((r) => r.size === s).map(f)), 3)]),
    );
  const ratio = bySize((r) => r.ratio);
  const largest = ratio[String(P1_TARGET.size)];
  return {
    ratio,
    oursFirstGraphCallSeconds: bySize((r) => r.oursFirstGraphCallMs / 1000),
    oursGraphPhaseSeconds: bySize((r) => (r.oursLastGraphAnswerMs - r.oursFirstGraphCallMs) / 1000),
    oursAfterLastAnswerSeconds: bySize((r) => (r.oursMs - r.oursLastGraphAnswerMs) / 1000),
    oursPostServerMsMedian: bySize((r) => r.oursPostServerMsMedian),
    oursSeconds: bySize((r) => r.oursMs / 1000),
    baselineSeconds: bySize((r) => r.baselineMs / 1000),
    pairs: plan.pairs,
    runs,
    target: {
      size: P1_TARGET.size,
      maxRatio: P1_TARGET.maxRatio,
      met: largest === undefined ? null : largest <= P1_TARGET.maxRatio,
    },
  };
}

/** P1: alternating pairs per size, emulator limit off, pacer off. */
async function runP1(bench, plan) {
  log("P1 engine overhead: ours (A) vs no-op dynamic resources (B), emulator limit off, pacer off");
  const runs = [];
  for (const size of plan.sizes) {
    for (let pair = 1; pair <= plan.pairs; pair++) runs.push(await p1Pair(bench, size, pair));
  }
  return summarizeP1(runs, plan);
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
  const ok = posts.filter((p) => p.status === 200);
  const first = Math.min(...posts.map((p) => Date.parse(p.time)));
  const last = Math.max(...ok.map((p) => Date.parse(p.time) + p.durationMs));
  const succeeded = resourcesOfType(t.deployment, TYPES.ours).filter(
    (r) => r.outputs?.result === "Success",
  ).length;
  const run = {
    pair,
    upMs: Math.round(t.wallMs),
    postSpanMs: ok.length > 0 ? Math.round(last - first) : null,
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

/** P4: our state sizes after up, against the baseline's and the size target. */
function summarizeP4(n, exported, baselineSizes) {
  const ours = stateSizes(exported, TYPES.ours);
  const broken = [];
  if (ours.count !== n) broken.push(`P4: ${ours.count} of our resources in state, expected ${n}`);
  const p4 = {
    n,
    providerBytes: ours.providerBytes,
    resourceBytes: ours.resourceBytes,
    resourceBytesMedian: ours.resourceBytesMedian,
    deploymentBytes: ours.deploymentBytes,
    baselineProviderBytes: baselineSizes.providerBytes,
    baselineResourceBytes: baselineSizes.resourceBytes,
    maxProviderBytes: P4_MAX_PROVIDER_BYTES,
  };
  p4.met = p4.providerBytes <= P4_MAX_PROVIDER_BYTES;
  if (!p4.met) broken.push(`P4: __provider ${p4.providerBytes} bytes, target <= ${P4_MAX_PROVIDER_BYTES}`);
  return { p4, broken };
}

/** The provider's and the CLI's peak RSS: P1's runs of our program at the largest size, and P3's up. */
function peakRss(p1, maxSize, upPeaks) {
  const largest = p1.runs.filter((r) => r.size === maxSize);
  return {
    providerPeakRssMiB: round(Math.max(...largest.map((r) => r.oursProviderRssMiB ?? 0)), 1) || null,
    providerPeakRss: {
      resources: maxSize,
      source: "max VmHWM of the dynamic-provider process over the P1 runs of our program at the largest size",
      oursMiB: largest.map((r) => r.oursProviderRssMiB),
      baselineMiB: largest.map((r) => r.baselineProviderRssMiB),
      p3UpMiB: upPeaks.providerMiB,
      cliMiB: round(Math.max(...largest.map((r) => r.cliRssMiB ?? 0)), 1) || null,
    },
  };
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

/** Every measurement in order, then the results object that report.js writes. */
async function measure(bench, plan, info) {
  const maxSize = Math.max(...plan.sizes);
  const baselineSizes = await warmUp(bench);
  const p1 = await runP1(bench, plan);
  const p2 = await runP2(bench, plan);
  log(`P3 Graph calls per phase and P4 state size: ${maxSize} resources, emulator limit off, pacer off`);
  const { phases, exported, upPeaks } = await lifecycle(bench, maxSize);
  const { p3, broken: p3Broken } = summarizeP3(maxSize, phases);
  const { p4, broken: p4Broken } = summarizeP4(maxSize, exported, baselineSizes);
  return {
    date: new Date(started).toISOString(),
    quick: plan.quick,
    ...info,
    plan: {
      sizes: plan.sizes,
      pairs: plan.pairs,
      p2Subjects: plan.p2Subjects,
      p2Pairs: plan.p2Pairs,
      engineParallel: "CLI default (8)",
    },
    durationSeconds: round((Date.now() - started) / 1000, 0),
    loadAverageAtEnd: os.loadavg().map((v) => round(v, 2)),
    p1,
    p2,
    p3,
    p4,
    ...peakRss(p1, maxSize, upPeaks),
    targetsBroken: [...p3Broken, ...p4Broken],
  };
}

/**
 * Runs the benchmark with `bin` (the Pulumi CLI's folder) and `plan` (bench/lib/options.js); resolves
 * with the exit code.
 */
async function main({ bin, plan }) {
  const info = machineInfo(bin);
  log(
    `benchmark ${plan.quick ? "(quick) " : ""}sizes ${plan.sizes.join(",")}, ${plan.pairs} pairs; P2 ${plan.p2Subjects} subjects at ${P2_RATE_LIMIT}, ${plan.p2Pairs} pairs; ` +
      `pulumi ${info.pulumiVersion}, ${info.machine.nproc} CPUs`,
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
