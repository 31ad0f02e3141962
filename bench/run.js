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
// Called by scripts/bench.js after `npm run build` and scripts/ensure-pulumi. Exits 1 when a P3 count
// or the P4 size target is broken (never because something was slow), 2 when the benchmark itself
// could not run, 130 on Ctrl-C.
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const { startEmulatorProcess, graphCalls, resetEmulator } = require("./lib/emulator");
const { createWorkspace, emulatorConfig, pulumiVersion } = require("./lib/pulumi");
const { programFor, TYPES } = require("./lib/programs");
const { watchPeakRss, stopDescendants } = require("./lib/procs");
const { median, round, rateLimitFloorMs, parseLimit } = require("./lib/stats");
const { writeResults } = require("./lib/report");

const root = path.resolve(__dirname, "..");
const P2_RATE_LIMIT = "5/2s";
const P1_TARGET = { size: 50, maxRatio: 1.15 };
const P2_TARGETS = { maxWallOverFloor: 1.2, maxFailures: 0, maxThrottledShare: 0.1 };
const P4_MAX_PROVIDER_BYTES = 2048;

const started = Date.now();
function log(text) {
  const s = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[${s}s] ${text}\n`);
}

/** Options from the command line. */
function planFor(argv) {
  const quick = argv.includes("--quick");
  const valueOf = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const plan = quick
    ? { quick, sizes: [1, 10], pairs: 2, p2Subjects: 10, p2Pairs: 2 }
    : { quick, sizes: [1, 10, 50], pairs: 5, p2Subjects: 30, p2Pairs: 3 };
  if (valueOf("--pairs")) plan.pairs = plan.p2Pairs = Number(valueOf("--pairs"));
  if (valueOf("--sizes")) plan.sizes = valueOf("--sizes").split(",").map(Number);
  if (valueOf("--subjects")) plan.p2Subjects = Number(valueOf("--subjects"));
  const out = valueOf("--out");
  plan.outDir = out ? path.resolve(out) : path.join(__dirname, "results");
  return plan;
}

function machineInfo(bin) {
  const cpus = os.cpus();
  let commit;
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
  } catch {
    commit = undefined;
  }
  let modified;
  try {
    // Tracked files changed but not committed: the build measured is the working tree's.
    modified = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
      cwd: root,
      encoding: "utf8",
    })
      .split("\n")
      .filter(Boolean)
      .map((line) => line.slice(3));
  } catch {
    modified = undefined;
  }
  return {
    pulumiVersion: pulumiVersion(bin),
    pulumiSdkVersion: require(path.join(root, "node_modules/@pulumi/pulumi/package.json")).version,
    packageVersion: require(path.join(root, "package.json")).version,
    commit,
    uncommittedChanges: modified,
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

/** Our resources and the baseline's in an exported deployment. */
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

async function main(options) {
  const plan = planFor(options.argv);
  const bin = options.bin;
  const info = machineInfo(bin);
  const maxSize = Math.max(...plan.sizes);
  log(
    `benchmark ${plan.quick ? "(quick) " : ""}sizes ${plan.sizes.join(",")}, ${plan.pairs} pairs; P2 ${plan.p2Subjects} subjects at ${P2_RATE_LIMIT}, ${plan.p2Pairs} pairs; ` +
      `pulumi ${info.pulumiVersion}, ${info.machine.nproc} CPUs`,
  );

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pod-bench-"));
  let emulator;
  let cleaning;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await stopDescendants({ keep: emulator ? [emulator.pid] : [] }).catch(() => {});
      if (emulator) await emulator.stop().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    })());
  const onSignal = (code) => () => {
    if (cleaning) return;
    process.stderr.write("\nInterrupted: stopping the Pulumi CLI, its provider and the emulator…\n");
    cleanup().finally(() => process.exit(code));
  };
  process.on("SIGINT", onSignal(130));
  process.on("SIGTERM", onSignal(143));
  process.on("SIGHUP", onSignal(129));

  try {
    emulator = await startEmulatorProcess({ dir, extraUsers: Math.max(maxSize, plan.p2Subjects) });
    log(`emulator (pid ${emulator.pid}) at ${emulator.url}, ${emulator.userIds.length} bench users`);
    let spec = { kind: "ours", n: 1 };
    const base = {
      servicePrincipalId: emulator.fixture.servicePrincipalId,
      jobId: emulator.fixture.jobId,
      userIds: emulator.userIds,
    };
    const ws = await createWorkspace({
      bin,
      dir,
      caCertPath: emulator.caCertPath,
      program: programFor(() => spec),
    });
    let stackCounter = 0;

    /** One fresh stack: reset the emulator, create, up (timed), collect, forget the stack. */
    async function trial({
      kind,
      n,
      emulatorRateLimit = "off",
      pacer = "off",
      keep,
      watchRss = true,
      allowFailure = false,
    }) {
      spec = { ...base, kind, n };
      const name = `${kind}-${n}-${++stackCounter}`;
      await resetEmulator(emulator.admin, { rateLimit: emulatorRateLimit });
      const stack = await ws.newStack(name, emulatorConfig(emulator, pacer));
      const rss = watchRss ? watchPeakRss() : undefined;
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
      const peaks = rss?.stop();
      if (cleaning) throw new Error("interrupted");
      if (error && !allowFailure) throw error;
      const calls = await graphCalls(emulator.admin);
      const deployment = await stack.exportStack();
      // Where the time went, on the emulator's clock (same machine): first Graph call and last POST answer.
      const all = await emulator.admin.requests();
      const timeline =
        all.length === 0
          ? undefined
          : {
              firstCallMs: Math.min(...all.map((r) => Date.parse(r.time))) - t0Epoch,
              lastAnswerMs: Math.max(...all.map((r) => Date.parse(r.time) + r.durationMs)) - t0Epoch,
            };
      const result = { name, kind, n, wallMs, up, error, calls, deployment, peaks, timeline };
      if (!keep) await ws.remove(name);
      else result.stack = stack;
      return result;
    }

    // Warm-up (untimed): the first `pulumi up` of a run pays for cold caches.
    log("warm-up: one up of each program (untimed)");
    const warmOurs = await trial({ kind: "ours", n: 1 });
    const warmNoop = await trial({ kind: "noop", n: 1 });
    const baselineSizes = stateSizes(warmNoop.deployment, TYPES.noop);
    if (warmOurs.calls.post !== 1) throw new Error(`warm-up: expected 1 POST, saw ${warmOurs.calls.post}`);

    // P1: alternating pairs per size.
    log("P1 engine overhead: ours (A) vs no-op dynamic resources (B), emulator limit off, pacer off");
    const p1Runs = [];
    for (const size of plan.sizes) {
      for (let pair = 1; pair <= plan.pairs; pair++) {
        const a = await trial({ kind: "ours", n: size });
        if (a.calls.post !== size || a.calls.posts.some((p) => p.status !== 200))
          throw new Error(`P1 ${size}: expected ${size} POSTs answered 200, saw ${a.calls.post}`);
        const b = await trial({ kind: "noop", n: size });
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
        p1Runs.push(run);
        log(
          `  ${String(size).padStart(3)} resources, pair ${pair}: ours ${(run.oursMs / 1000).toFixed(2)} s, no-op ${(run.baselineMs / 1000).toFixed(2)} s, ratio ${run.ratio}`,
        );
      }
    }
    const bySize = (f) =>
      Object.fromEntries(
        plan.sizes.map((s) => [String(s), round(median(p1Runs.filter((r) => r.size === s).map(f)), 3)]),
      );
    const p1 = {
      ratio: bySize((r) => r.ratio),
      oursFirstGraphCallSeconds: bySize((r) => r.oursFirstGraphCallMs / 1000),
      oursGraphPhaseSeconds: bySize((r) => (r.oursLastGraphAnswerMs - r.oursFirstGraphCallMs) / 1000),
      oursAfterLastAnswerSeconds: bySize((r) => (r.oursMs - r.oursLastGraphAnswerMs) / 1000),
      oursPostServerMsMedian: bySize((r) => r.oursPostServerMsMedian),
      oursSeconds: bySize((r) => r.oursMs / 1000),
      baselineSeconds: bySize((r) => r.baselineMs / 1000),
      pairs: plan.pairs,
      runs: p1Runs,
    };
    const p1Largest = p1.ratio[String(P1_TARGET.size)];
    p1.target = {
      size: P1_TARGET.size,
      maxRatio: P1_TARGET.maxRatio,
      met: p1Largest === undefined ? null : p1Largest <= P1_TARGET.maxRatio,
    };

    // P2: paced throughput, pacer at the emulator's limit vs off, alternating.
    const { limit, windowMs } = parseLimit(P2_RATE_LIMIT);
    const n2 = plan.p2Subjects;
    const floorMs = rateLimitFloorMs(n2, limit, windowMs);
    log(
      `P2 paced throughput: ${n2} subjects, emulator limit ${P2_RATE_LIMIT}, floor ${floorMs / 1000} s; pacer ${P2_RATE_LIMIT} (A) vs off (B)`,
    );
    const p2Runs = { on: [], off: [] };
    for (let pair = 1; pair <= plan.p2Pairs; pair++) {
      for (const arm of ["on", "off"]) {
        const t = await trial({
          kind: "ours",
          n: n2,
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
          failures: n2 - succeeded,
          tokens: t.calls.token,
          schemas: t.calls.schema,
          upError: t.error ? String(t.error.message).split("\n")[0].slice(0, 300) : undefined,
        };
        run.wallOverFloor = floorMs > 0 && run.postSpanMs !== null ? round(run.postSpanMs / floorMs) : null;
        run.upWallOverFloor = floorMs > 0 ? round(run.upMs / floorMs) : null;
        p2Runs[arm].push(run);
        log(
          `  pacer ${arm.padEnd(3)} pair ${pair}: up ${(run.upMs / 1000).toFixed(2)} s, POST span ${((run.postSpanMs ?? 0) / 1000).toFixed(2)} s ` +
            `(${run.wallOverFloor}× floor), ${run.posts} POSTs, ${run.throttled} × 429, ${run.failures} failed`,
        );
      }
    }
    const summarizeP2 = (runs) => ({
      wallOverFloor: round(median(runs.map((r) => r.wallOverFloor))),
      upWallOverFloor: round(median(runs.map((r) => r.upWallOverFloor))),
      postSpanSeconds: round(median(runs.map((r) => r.postSpanMs)) / 1000),
      upSeconds: round(median(runs.map((r) => r.upMs)) / 1000),
      failures: Math.max(...runs.map((r) => r.failures)),
      throttled: median(runs.map((r) => r.throttled)),
      posts: median(runs.map((r) => r.posts)),
      runs,
    });
    const p2 = {
      n: n2,
      rateLimit: P2_RATE_LIMIT,
      floorSeconds: floorMs / 1000,
      pacer: P2_RATE_LIMIT,
      ...summarizeP2(p2Runs.on),
      pacerOff: summarizeP2(p2Runs.off),
    };
    p2.targets = {
      ...P2_TARGETS,
      met:
        p2.wallOverFloor <= P2_TARGETS.maxWallOverFloor &&
        p2.failures <= P2_TARGETS.maxFailures &&
        p2.throttled <= P2_TARGETS.maxThrottledShare * p2.posts,
    };

    // P3 + P4: one stack through every phase, at the largest size.
    const n3 = maxSize;
    log(`P3 Graph calls per phase and P4 state size: ${n3} resources, emulator limit off, pacer off`);
    spec = { ...base, kind: "ours", n: n3 };
    await resetEmulator(emulator.admin, { rateLimit: "off" });
    const p3Stack = await ws.newStack("p3", emulatorConfig(emulator, "off"));
    const phase = async (name, fn) => {
      await emulator.admin.clearRequests();
      const t0 = Date.now();
      const result = await fn();
      const seconds = round((Date.now() - t0) / 1000, 2);
      if (cleaning) throw new Error("interrupted");
      const c = await graphCalls(emulator.admin);
      log(`  ${name.padEnd(11)} ${seconds} s: token ${c.token}, schema ${c.schema}, post ${c.post}`);
      return { counts: { token: c.token, schema: c.schema, post: c.post }, seconds, result };
    };
    const preview = await phase("preview", () => p3Stack.preview());
    const rssUp = watchPeakRss();
    const up = await phase("up", () => p3Stack.up());
    const upPeaks = rssUp.stop();
    const exported = await p3Stack.exportStack();
    const upUnchanged = await phase("upUnchanged", () => p3Stack.up());
    const refresh = await phase("refresh", () => p3Stack.refresh());
    const destroy = await phase("destroy", () => p3Stack.destroy());
    await ws.remove("p3");
    const p3 = {
      n: n3,
      preview: preview.counts,
      up: up.counts,
      upUnchanged: upUnchanged.counts,
      refresh: refresh.counts,
      destroy: destroy.counts,
      seconds: {
        preview: preview.seconds,
        up: up.seconds,
        upUnchanged: upUnchanged.seconds,
        refresh: refresh.seconds,
        destroy: destroy.seconds,
      },
      upUnchangedChanges: upUnchanged.result.summary.resourceChanges,
    };
    const expected = {
      preview: { token: 0, schema: 0, post: 0 },
      up: { token: 1, schema: 1, post: n3 },
      upUnchanged: { token: 0, schema: 0, post: 0 },
      refresh: { token: 0, schema: 0, post: 0 },
      destroy: { token: 0, schema: 0, post: 0 },
    };
    const broken = [];
    for (const [name, counts] of Object.entries(expected)) {
      for (const [kind, want] of Object.entries(counts)) {
        if (p3[name][kind] !== want) broken.push(`P3 ${name}: ${kind} ${p3[name][kind]}, target ${want}`);
      }
    }
    p3.expected = expected;
    p3.met = broken.length === 0;

    const ours = stateSizes(exported, TYPES.ours);
    if (ours.count !== n3) broken.push(`P4: ${ours.count} of our resources in state, expected ${n3}`);
    const p4 = {
      n: n3,
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

    const largest = p1Runs.filter((r) => r.size === maxSize);
    const providerPeakRssMiB = round(Math.max(...largest.map((r) => r.oursProviderRssMiB ?? 0)), 1) || null;
    const results = {
      date: new Date(started).toISOString(),
      quick: plan.quick,
      ...info,
      plan: {
        sizes: plan.sizes,
        pairs: plan.pairs,
        p2Subjects: n2,
        p2Pairs: plan.p2Pairs,
        engineParallel: "CLI default (8)",
      },
      durationSeconds: round((Date.now() - started) / 1000, 0),
      loadAverageAtEnd: os.loadavg().map((v) => round(v, 2)),
      p1,
      p2,
      p3,
      p4,
      providerPeakRssMiB,
      providerPeakRss: {
        resources: maxSize,
        source:
          "max VmHWM of the dynamic-provider process over the P1 runs of our program at the largest size",
        oursMiB: largest.map((r) => r.oursProviderRssMiB),
        baselineMiB: largest.map((r) => r.baselineProviderRssMiB),
        p3UpMiB: upPeaks.providerMiB,
        cliMiB: round(Math.max(...largest.map((r) => r.cliRssMiB ?? 0)), 1) || null,
      },
      targetsBroken: broken,
    };
    const files = writeResults(results, plan.outDir);
    log(`results: ${files.map((f) => path.relative(process.cwd(), f)).join(", ")}`);
    process.stdout.write(
      `\n${fs.readFileSync(
        files.find((f) => f.endsWith(".md")),
        "utf8",
      )}\n`,
    );
    if (broken.length > 0) {
      process.stderr.write(`\nTargets broken (P3 counts / P4 size):\n  ${broken.join("\n  ")}\n`);
      return 1;
    }
    return 0;
  } finally {
    await cleanup();
  }
}

module.exports = { main };
