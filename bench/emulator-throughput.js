#!/usr/bin/env node
// How many provisionOnDemand requests per second the emulator serves with rate limiting off.
//
//   npm run build && node bench/emulator-throughput.js [--requests 20000] [--concurrency 32]
//                                                     [--max-seconds 30] [--in-process]
//
// By default the emulator runs in its own process (the `graph-emulator` CLI, one Node thread = one
// core), so the figure is the emulator's, not shared with this load generator. Requests go over HTTPS
// keep-alive connections with a bearer token from the emulator's token endpoint; the bodies rotate
// over the default fixture's users and its group with members. Prints req/s, latency percentiles,
// and (on Linux) the emulator's CPU time per request.
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const https = require("node:https");
const os = require("node:os");
const path = require("node:path");
const { URLSearchParams } = require("node:url");
const { parseArgs } = require("node:util");

const root = path.resolve(__dirname, "..");
const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "32" },
    "max-seconds": { type: "string", default: "30" },
    "in-process": { type: "boolean", default: false },
  },
});
const totalRequests = Number(values.requests);
const concurrency = Number(values.concurrency);
const maxMs = Number(values["max-seconds"]) * 1000;

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

async function startInChild() {
  const caDir = path.join(os.tmpdir(), "graph-emulator-bench-ca");
  const child = spawn(
    process.execPath,
    [path.join(root, "dist/emulator/cli.js"), "--json", "--quiet", "--rate-limit", "off", "--ca-dir", caDir],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const firstLine = await new Promise((resolve, reject) => {
    let buffered = "";
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      const newline = buffered.indexOf("\n");
      if (newline >= 0) resolve(buffered.slice(0, newline));
    });
    child.on("exit", (code) => reject(new Error(`graph-emulator exited with ${code}`)));
  });
  child.stdout.resume(); // keep draining (nothing more is expected with --quiet)
  const details = JSON.parse(firstLine);
  return {
    details,
    pid: child.pid,
    stop: () => new Promise((resolve) => (child.once("exit", resolve), child.kill("SIGTERM"))),
  };
}

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

async function main() {
  if (!fs.existsSync(path.join(root, "dist/emulator/index.js"))) {
    console.error("Build first: npm run build");
    process.exit(1);
  }
  const emulator = values["in-process"] ? await startInProcess() : await startInChild();
  const d = emulator.details;
  const agent = new https.Agent({
    ca: fs.readFileSync(d.caCertPath),
    keepAlive: true,
    maxSockets: concurrency,
  });
  try {
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
    const accessToken = JSON.parse(token.text).access_token;
    const f = d.fixture;
    const url = `${d.graphUrl}/beta/servicePrincipals/${f.servicePrincipalId}/synchronization/jobs/${encodeURIComponent(f.jobId)}/provisionOnDemand`;
    const user = (id) => ({ objectId: id, objectTypeName: "User" });
    const bodies = [
      ...f.userIds.map((id) => ({ parameters: [{ ruleId: f.ruleId, subjects: [user(id)] }] })),
      {
        parameters: [
          {
            ruleId: f.ruleId,
            subjects: [
              { objectId: f.groupId, objectTypeName: "Group", links: { members: f.userIds.map(user) } },
            ],
          },
        ],
      },
    ].map((body) => JSON.stringify(body));
    const headers = { authorization: `Bearer ${accessToken}`, "content-type": "application/json" };
    const statuses = {};
    const latencies = [];
    let issued = 0;
    const deadline = { at: Infinity };
    async function worker(limit) {
      while (issued < limit && Date.now() < deadline.at) {
        const body = bodies[issued++ % bodies.length];
        const started = process.hrtime.bigint();
        const answer = await request(agent, url, { method: "POST", headers, body });
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      }
    }
    // Warm up: open the connections, let V8 optimise the hot path.
    await Promise.all(Array.from({ length: concurrency }, () => worker(Math.min(1000, totalRequests))));
    issued = 0;
    latencies.length = 0;
    for (const key of Object.keys(statuses)) delete statuses[key];
    const cpuBefore = cpuSeconds(emulator.pid);
    const started = Date.now();
    deadline.at = started + maxMs;
    await Promise.all(Array.from({ length: concurrency }, () => worker(totalRequests)));
    const seconds = (Date.now() - started) / 1000;
    const cpuAfter = cpuSeconds(emulator.pid);
    latencies.sort((a, b) => a - b);
    const pct = (p) =>
      latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(2);
    const done = latencies.length;
    console.log(
      `provisionOnDemand: ${done} requests in ${seconds.toFixed(2)} s = ${Math.round(done / seconds)} req/s ` +
        `(concurrency ${concurrency}, emulator ${values["in-process"] ? "in this process" : "in its own process"})`,
    );
    console.log(`  statuses ${JSON.stringify(statuses)}; latency p50 ${pct(50)} ms, p99 ${pct(99)} ms`);
    if (cpuBefore !== undefined && cpuAfter !== undefined && !values["in-process"]) {
      const cpu = cpuAfter - cpuBefore;
      console.log(
        `  emulator CPU ${cpu.toFixed(2)} s (${Math.round((cpu / seconds) * 100)}% of one core) = ` +
          `${Math.round(done / cpu)} requests per CPU-second`,
      );
    }
  } finally {
    agent.destroy();
    await emulator.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
