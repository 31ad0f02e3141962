#!/usr/bin/env node
// How many provisionOnDemand requests per second the emulator serves with rate limiting off.
//
//   npm run build && node bench/emulator-throughput.js [--requests 20000] [--concurrency 32]
//                                                     [--max-time 30s] [--in-process]
//
// By default the emulator runs in its own process (the `graph-emulator` CLI, one Node thread = one
// core), so the figure is the emulator's, not shared with this load generator. Requests go over HTTPS
// keep-alive connections with a bearer token from the emulator's token endpoint; the bodies rotate
// over the default fixture's users and its group with members. Prints req/s, latency percentiles,
// and (on Linux) the emulator's CPU time per request. An unknown option or a bad value is an error.
"use strict";
const fs = require("node:fs");
const https = require("node:https");
const os = require("node:os");
const path = require("node:path");
const { URLSearchParams } = require("node:url");
const { parseArgs } = require("node:util");
const { spawnEmulatorCli, stopChild } = require("./lib/emulator");
const { positiveInteger } = require("./lib/options");

const root = path.resolve(__dirname, "..");

/** The command line, strictly: whole numbers of at least 1, and a duration in the package's grammar. */
function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      requests: { type: "string", default: "20000" },
      concurrency: { type: "string", default: "32" },
      "max-time": { type: "string", default: "30s" },
      "in-process": { type: "boolean", default: false },
    },
  });
  const { parseDurationMs } = require(path.join(root, "dist/duration.js"));
  return {
    totalRequests: positiveInteger("requests", values.requests),
    concurrency: positiveInteger("concurrency", values.concurrency),
    maxMs: parseDurationMs(values["max-time"], "--max-time"),
    inProcess: values["in-process"],
  };
}

/** One HTTPS request over `agent`; resolves with the status and the body text. */
function request(agent, url, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The emulator in its own process (the `graph-emulator` CLI), rate limit off. */
async function startInChild() {
  const caDir = path.join(os.tmpdir(), "graph-emulator-bench-ca");
  const { details, child, exited } = await spawnEmulatorCli(["--rate-limit", "off", "--ca-dir", caDir]);
  return { details, pid: child.pid, stop: () => stopChild(child, exited) };
}

/** The emulator in this process, rate limit off. */
async function startInProcess() {
  const { startEmulator } = require(path.join(root, "dist/emulator"));
  const emulator = await startEmulator({ rateLimit: "off" });
  return { details: emulator, pid: process.pid, stop: () => emulator.stop() };
}

/** CPU seconds (user + system) a process has used so far; undefined off Linux. */
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (100 Hz)
  } catch {
    return undefined;
  }
}

/** An access token for the default caller app, from the emulator's token endpoint. */
async function accessToken(agent, d) {
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: d.clientId,
    client_secret: d.clientSecret,
    scope: "https://graph.microsoft.com/.default",
  }).toString();
  const token = await request(agent, `${d.authorityHost}/${d.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
  });
  if (token.status !== 200) throw new Error(`token endpoint answered ${token.status}: ${token.text}`);
  return JSON.parse(token.text).access_token;
}

/** The provisionOnDemand bodies the load rotates over: each fixture user, then the group with them. */
function provisionBodies(f) {
  const user = (id) => ({ objectId: id, objectTypeName: "User" });
  const group = { objectId: f.groupId, objectTypeName: "Group", links: { members: f.userIds.map(user) } };
  return [...f.userIds.map(user), group].map((subject) =>
    JSON.stringify({ parameters: [{ ruleId: f.ruleId, subjects: [subject] }] }),
  );
}

/**
 * POSTs `bodies` in turn from `concurrency` parallel workers until `limit` requests were issued or
 * `maxMs` passed; the statuses counted, every latency (ms), and the seconds it took.
 */
async function load({ agent, url, headers, bodies, concurrency, limit, maxMs }) {
  const statuses = {};
  const latencies = [];
  let issued = 0;
  const started = Date.now();
  const worker = async () => {
    while (issued < limit && Date.now() < started + maxMs) {
      const body = bodies[issued++ % bodies.length];
      const t0 = process.hrtime.bigint();
      const answer = await request(agent, url, { method: "POST", headers, body });
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { statuses, latencies, seconds: (Date.now() - started) / 1000 };
}

/** Prints requests per second, statuses, latency percentiles and the emulator's CPU per request. */
function printResult({ statuses, latencies, seconds }, { concurrency, inProcess }, cpu) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(2);
  const done = sorted.length;
  console.log(
    `provisionOnDemand: ${done} requests in ${seconds.toFixed(2)} s = ${Math.round(done / seconds)} req/s ` +
      `(concurrency ${concurrency}, emulator ${inProcess ? "in this process" : "in its own process"})`,
  );
  console.log(`  statuses ${JSON.stringify(statuses)}; latency p50 ${pct(50)} ms, p99 ${pct(99)} ms`);
  if (cpu !== undefined && !inProcess) {
    console.log(
      `  emulator CPU ${cpu.toFixed(2)} s (${Math.round((cpu / seconds) * 100)}% of one core) = ` +
        `${Math.round(done / cpu)} requests per CPU-second`,
    );
  }
}

/** Starts the emulator, warms up (1000 requests at most, untimed), measures, prints, stops. */
async function main() {
  const options = readOptions(process.argv.slice(2));
  const emulator = options.inProcess ? await startInProcess() : await startInChild();
  const d = emulator.details;
  const agent = new https.Agent({
    ca: fs.readFileSync(d.caCertPath),
    keepAlive: true,
    maxSockets: options.concurrency,
  });
  try {
    const f = d.fixture;
    const target = {
      agent,
      url: `${d.graphUrl}/beta/servicePrincipals/${f.servicePrincipalId}/synchronization/jobs/${encodeURIComponent(f.jobId)}/provisionOnDemand`,
      headers: { authorization: `Bearer ${await accessToken(agent, d)}`, "content-type": "application/json" },
      bodies: provisionBodies(f),
      concurrency: options.concurrency,
    };
    // Warm up: open the connections, let V8 optimise the hot path.
    await load({ ...target, limit: Math.min(1000, options.totalRequests), maxMs: Infinity });
    const cpuBefore = cpuSeconds(emulator.pid);
    const result = await load({ ...target, limit: options.totalRequests, maxMs: options.maxMs });
    const cpuAfter = cpuSeconds(emulator.pid);
    printResult(
      result,
      options,
      cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
    );
  } finally {
    agent.destroy();
    await emulator.stop();
  }
}

if (!fs.existsSync(path.join(root, "dist/emulator/index.js"))) {
  console.error("Build first: npm run build");
  process.exit(1);
}
main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
