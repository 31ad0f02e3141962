/**
 * The knobs, set at start or through the admin API while running: rate limit, faults, replication
 * lag, settings, the request log and reset.
 */
import * as https from "node:https";
import * as os from "node:os";
import type { RequestLogEntry, RunningEmulator } from "../../src/emulator";
import { EmulatorAdminError } from "../../src/emulator";
import { startTestEmulator } from "../support/emulator";
import { call, jobPath, provision, tokenFor } from "../support/http";
import { IDS } from "../support/ids";
import { user } from "../support/subjects";

let emulator: RunningEmulator;
let token: string;
const logged: RequestLogEntry[] = [];
beforeAll(async () => {
  emulator = await startTestEmulator({ onRequest: (entry) => logged.push(entry) });
  token = await tokenFor(emulator);
});
beforeEach(() => emulator.admin.reset());
afterAll(() => emulator.stop());

const alice = () => user(emulator.fixture.userIds[0]);
const schemaPath = () => jobPath(emulator, "/schema");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("rate limit", () => {
  it("starts at the documented 5 requests per 10 seconds", async () => {
    const fresh = await startTestEmulator();
    try {
      expect(await fresh.admin.settings()).toEqual({
        rateLimit: "5/10s",
        directoryReadRateLimit: "off",
        replicationLagMs: 0,
        shape: "live",
      });
      const freshToken = await tokenFor(fresh);
      const answers = [];
      for (let i = 0; i < 6; i++)
        answers.push((await provision(fresh, freshToken, [user(fresh.fixture.userIds[0])])).status);
      expect(answers).toEqual([200, 200, 200, 200, 200, 429]);
    } finally {
      await fresh.stop();
    }
  });

  it("answers 429 TooManyRequests with Retry-After in whole seconds once the window is full, then recovers", async () => {
    await emulator.admin.updateSettings({ rateLimit: "2/1s" });
    expect((await provision(emulator, token, [alice()])).status).toBe(200);
    expect((await provision(emulator, token, [alice()])).status).toBe(200);
    const refused = await provision(emulator, token, [alice()]);
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe("TooManyRequests");
    expect(refused.headers.get("retry-after")).toBe("1");
    await sleep(1050);
    expect((await provision(emulator, token, [alice()])).status).toBe(200);
  });

  it("rounds Retry-After up to whole seconds, and never below 1", async () => {
    await emulator.admin.updateSettings({ rateLimit: "1/2500ms" });
    await provision(emulator, token, [alice()]);
    const refused = await provision(emulator, token, [alice()]);
    expect([refused.status, refused.headers.get("retry-after")]).toEqual([429, "3"]);
    await emulator.admin.updateSettings({ rateLimit: "1/300ms" });
    await provision(emulator, token, [alice()]);
    const soon = await provision(emulator, token, [alice()]);
    expect([soon.status, soon.headers.get("retry-after")]).toEqual([429, "1"]);
  });

  it("counts each tenant separately", async () => {
    await emulator.admin.updateSettings({ rateLimit: "1/10s" });
    expect((await provision(emulator, token, [alice()])).status).toBe(200);
    const other = IDS.otherTenant;
    const otherToken = await tokenFor(emulator, other.appId, other.secret, other.tenantId);
    const answer = await call(
      emulator,
      "POST",
      jobPath(emulator, "/provisionOnDemand", {
        servicePrincipalId: other.servicePrincipalId,
        jobId: other.jobId,
      }),
      {
        token: otherToken,
        body: { parameters: [{ ruleId: emulator.fixture.ruleId, subjects: [user(other.userId)] }] },
      },
    );
    expect(answer.status).toBe(200);
    expect((await provision(emulator, token, [alice()])).status).toBe(429);
  });

  it("does not limit the read endpoints", async () => {
    await emulator.admin.updateSettings({ rateLimit: "1/10s" });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => call(emulator, "GET", schemaPath(), { token })),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it("can be switched off", async () => {
    await emulator.admin.updateSettings({ rateLimit: "off" });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => provision(emulator, token, [alice()])),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
  });

  it("refuses a malformed limit", async () => {
    await expect(emulator.admin.updateSettings({ rateLimit: "fast" })).rejects.toMatchObject({ status: 400 });
    await expect(emulator.admin.updateSettings({ rateLimit: "5/10" })).rejects.toMatchObject({ status: 400 });
    await expect(startTestEmulator({ rateLimit: "5 per second" })).rejects.toThrow(
      /rateLimit "5 per second" is not of the form COUNT\/DURATION/,
    );
  });
});

describe("faults", () => {
  it("answers a status with Retry-After for the next request only", async () => {
    await emulator.admin.addFault({ path: "provisionOnDemand$", status: 503, retryAfterSeconds: 2 });
    const faulted = await provision(emulator, token, [alice()]);
    expect(faulted.status).toBe(503);
    expect(faulted.headers.get("retry-after")).toBe("2");
    expect(faulted.json.error).toMatchObject({
      code: "ServiceUnavailable",
      innerError: { "request-id": expect.any(String) },
    });
    expect((await provision(emulator, token, [alice()])).status).toBe(200);
  });

  it("answers a status without Retry-After when none is asked for, with the given code", async () => {
    await emulator.admin.addFault({ path: "provisionOnDemand$", status: 429, code: "Throttled" });
    const faulted = await provision(emulator, token, [alice()]);
    expect([faulted.status, faulted.json.error.code, faulted.headers.get("retry-after")]).toEqual([
      429,
      "Throttled",
      null,
    ]);
  });

  it("applies to the next N matching requests and reports what is left", async () => {
    await emulator.admin.addFault({ path: "/schema$", method: "GET", status: 409, count: 2 });
    expect((await call(emulator, "GET", schemaPath(), { token })).status).toBe(409);
    expect(await emulator.admin.faults()).toEqual([
      expect.objectContaining({ count: 2, remaining: 1, applied: 1 }),
    ]);
    expect((await call(emulator, "GET", schemaPath(), { token })).status).toBe(409);
    expect((await call(emulator, "GET", schemaPath(), { token })).status).toBe(200);
    expect(await emulator.admin.faults()).toEqual([]);
  });

  it("leaves requests with another method or path alone", async () => {
    await emulator.admin.addFault({ path: "provisionOnDemand$", method: "POST", status: 500 });
    expect((await call(emulator, "GET", schemaPath(), { token })).status).toBe(200);
    expect((await call(emulator, "GET", jobPath(emulator, "/provisionOnDemand"), { token })).status).toBe(
      405,
    );
    expect(await emulator.admin.faults()).toHaveLength(1);
  });

  it("delays a request and then serves it normally", async () => {
    await emulator.admin.addFault({ path: "/schema$", delayMs: 300 });
    const started = Date.now();
    const answer = await call(emulator, "GET", schemaPath(), { token });
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("resets the connection", async () => {
    await emulator.admin.addFault({ path: "/schema$", action: "reset" });
    await expect(call(emulator, "GET", schemaPath(), { token })).rejects.toThrow(/fetch failed/);
    expect((await call(emulator, "GET", schemaPath(), { token })).status).toBe(200);
  });

  it("answers injected faults on the token endpoint in Entra's format", async () => {
    await emulator.admin.addFault({ path: "/oauth2/v2.0/token$", status: 503, retryAfterSeconds: 1 });
    const answer = await call(emulator, "POST", `/${emulator.tenantId}/oauth2/v2.0/token`, { rawBody: "" });
    expect(answer.status).toBe(503);
    expect(answer.json).toMatchObject({ error: "temporarily_unavailable", error_codes: [90033] });
    expect(answer.headers.get("retry-after")).toBe("1");
  });

  it("can be cleared", async () => {
    await emulator.admin.addFault({ path: ".", status: 500, count: 100 });
    await emulator.admin.clearFaults();
    expect((await call(emulator, "GET", schemaPath(), { token })).status).toBe(200);
  });

  it.each([
    ["an invalid regular expression", { path: "(", status: 500 }],
    ["nothing to do", { path: "x" }],
    ["respond without a status", { path: "x", action: "respond" }],
    ["an unknown action", { path: "x", action: "explode" }],
  ])("refuses a fault with %s", async (_name, fault) => {
    await expect(emulator.admin.addFault(fault as never)).rejects.toMatchObject({ status: 400 });
  });

  it("holds a hung request until stop(), which releases it", async () => {
    const hanging = await startTestEmulator();
    const hangingToken = await tokenFor(hanging);
    await hanging.admin.addFault({ path: "/schema$", action: "hang" });
    const pending = call(hanging, "GET", jobPath(hanging, "/schema"), { token: hangingToken });
    const outcome = pending.then(
      () => "answered",
      () => "released",
    );
    await sleep(200);
    const race = await Promise.race([outcome, sleep(50).then(() => "still hanging")]);
    expect(race).toBe("still hanging");
    const stopped = Date.now();
    await hanging.stop();
    expect(await outcome).toBe("released");
    expect(Date.now() - stopped).toBeLessThan(1000);
  });

  it("stop() also cancels a pending delay", async () => {
    const delayed = await startTestEmulator();
    const delayedToken = await tokenFor(delayed);
    await delayed.admin.addFault({ path: "/schema$", delayMs: 60_000 });
    const outcome = call(delayed, "GET", jobPath(delayed, "/schema"), { token: delayedToken }).then(
      () => "answered",
      () => "released",
    );
    await sleep(100);
    const stopped = Date.now();
    await delayed.stop();
    expect(await outcome).toBe("released");
    expect(Date.now() - stopped).toBeLessThan(1000);
  });
});

describe("replication lag", () => {
  it("hides objects added at run time (404) until the lag has passed", async () => {
    await emulator.admin.updateSettings({ replicationLagMs: 400, rateLimit: "off" });
    const spId = "5eed0000-0000-4000-8000-000000000021";
    const jobId = "dataBricks.11112222333344445555666677778888.8f1a2b3c-0000-4000-8000-000000000001";
    const userId = "5eed0000-0000-4000-8000-000000000101";
    const appId = "5eed0000-0000-4000-8000-000000000010";
    const added = await emulator.admin.addObjects({
      applications: [
        {
          appId,
          displayName: "late caller",
          clientSecrets: [{ value: "late-secret" }],
          permissions: ["Synchronization.ReadWrite.All"],
        },
      ],
      servicePrincipals: [
        { id: spId, appId: "5eed0000-0000-4000-8000-000000000020", displayName: "late", owners: [] },
      ],
      jobs: [{ id: jobId, servicePrincipalId: spId }],
      users: [{ id: userId, displayName: "Late User", userPrincipalName: "late@emulator.onmicrosoft.com" }],
      assignments: [{ servicePrincipalId: spId, principalId: userId }],
    });
    expect(Date.parse(added.visibleAt)).toBeGreaterThan(Date.now());
    const path = jobPath(emulator, "", { servicePrincipalId: spId, jobId });
    expect((await call(emulator, "GET", path, { token })).status).toBe(404);
    expect((await call(emulator, "GET", `/beta/servicePrincipals/${spId}`, { token })).status).toBe(404);
    await expect(tokenFor(emulator, appId, "late-secret")).rejects.toThrow(/AADSTS700016/);
    await sleep(450);
    expect((await call(emulator, "GET", path, { token })).status).toBe(200);
    await expect(tokenFor(emulator, appId, "late-secret")).resolves.toEqual(expect.any(String));
    const answer = await call(emulator, "POST", `${path}/provisionOnDemand`, {
      token,
      body: { parameters: [{ ruleId: emulator.fixture.ruleId, subjects: [user(userId)] }] },
    });
    expect(JSON.parse(answer.json.value)[0].statusInfo.status).toBe("Success");
  });

  it("can be set at start", async () => {
    const lagging = await startTestEmulator({ replicationLagMs: 1234 });
    try {
      expect((await lagging.admin.settings()).replicationLagMs).toBe(1234);
    } finally {
      await lagging.stop();
    }
  });
});

describe("admin API", () => {
  it("logs each Graph and Entra request with method, path, status, duration, kind, tenant, app and request id", async () => {
    await emulator.admin.clearRequests();
    const answer = await call(emulator, "GET", schemaPath(), { token });
    const requests = await emulator.admin.requests();
    expect(requests).toEqual([
      {
        time: expect.any(String),
        method: "GET",
        path: schemaPath(),
        status: 200,
        durationMs: expect.any(Number),
        kind: "schema",
        tenantId: emulator.tenantId,
        clientId: emulator.clientId,
        requestId: answer.headers.get("request-id"),
        clientRequestId: answer.headers.get("request-id"),
      },
    ]);
  });

  it("never logs the Authorization header, tokens or secrets", async () => {
    await tokenFor(emulator);
    await call(emulator, "GET", schemaPath(), { token });
    const text = JSON.stringify(await emulator.admin.requests()) + JSON.stringify(logged);
    expect(text).not.toContain(token);
    expect(text).not.toContain(emulator.clientSecret);
    expect(text.toLowerCase()).not.toContain("bearer");
  });

  it("logs a reset connection with status 0 and the fault", async () => {
    await emulator.admin.addFault({ path: "/schema$", action: "reset" });
    await call(emulator, "GET", schemaPath(), { token }).catch(() => undefined);
    await sleep(20);
    expect((await emulator.admin.requests()).pop()).toMatchObject({
      status: 0,
      fault: "reset",
      kind: "schema",
    });
  });

  it("reports admin calls to onRequest but keeps them out of the log", async () => {
    logged.length = 0;
    await emulator.admin.settings();
    expect(logged.map((e) => e.kind)).toContain("admin");
    expect((await emulator.admin.requests()).some((e) => e.kind === "admin")).toBe(false);
  });

  it("clears the log", async () => {
    await call(emulator, "GET", schemaPath(), { token });
    await emulator.admin.clearRequests();
    expect(await emulator.admin.requests()).toEqual([]);
  });

  it("reset puts back the fixture, the start settings and an empty target, log and fault list", async () => {
    await emulator.admin.updateSettings({ rateLimit: "off", shape: "docs", replicationLagMs: 5 });
    await emulator.admin.addFault({ path: "nothing-matches-this", status: 500 });
    await emulator.admin.addObjects({
      users: [{ id: "added-user", displayName: "Added", userPrincipalName: "a@b" }],
    });
    await provision(emulator, token, [alice()]);
    await emulator.admin.reset();
    expect(await emulator.admin.settings()).toEqual({
      rateLimit: "5/10s",
      directoryReadRateLimit: "off",
      replicationLagMs: 0,
      shape: "live",
    });
    expect(await emulator.admin.faults()).toEqual([]);
    expect(await emulator.admin.requests()).toEqual([]);
    expect((await emulator.admin.target(emulator.fixture.servicePrincipalId)).objects).toEqual([]);
    const answer = await provision(emulator, token, [user("added-user")]);
    expect(JSON.parse(answer.json.value)[0].statusInfo.errorCode).toBe("EntryNotFound");
  });

  it("refuses objects that do not validate, naming the field", async () => {
    const error = await emulator.admin.addObjects({ users: [{ id: "x" }] } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmulatorAdminError);
    expect((error as EmulatorAdminError).status).toBe(400);
    expect(JSON.stringify((error as EmulatorAdminError).body)).toContain("users.0.displayName");
  });

  it("refuses a job for an unknown service principal", async () => {
    await expect(
      emulator.admin.addObjects({ jobs: [{ id: "j", servicePrincipalId: "nope" }] }),
    ).rejects.toMatchObject({
      status: 400,
    });
  });

  it("answers an empty target for a service principal nothing was exported for", async () => {
    expect(await emulator.admin.target("no-such-sp")).toEqual({ objects: [] });
  });

  it("tells how to connect through /_emulator/info", async () => {
    expect(await emulator.admin.info()).toEqual({
      graphUrl: emulator.graphUrl,
      authorityHost: emulator.authorityHost,
      caCertPath: emulator.caCertPath,
      tenantId: emulator.tenantId,
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
      fixture: emulator.fixture,
    });
  });

  const externalAddress = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a?.family === "IPv4" && !a.internal)?.address;
  (externalAddress ? it : it.skip)(
    "answers admin calls from loopback only (needs a non-loopback IPv4 address)",
    async () => {
      const open = await startTestEmulator({ host: "0.0.0.0" });
      try {
        const status = (address: string) =>
          new Promise<number>((resolve, reject) => {
            const request = https.request(
              { host: address, port: open.port, path: "/_emulator/settings", rejectUnauthorized: false },
              (response) => (response.resume(), resolve(response.statusCode ?? 0)),
            );
            request.on("error", reject);
            request.end();
          });
        expect(await status(externalAddress as string)).toBe(403);
        expect(await status("127.0.0.1")).toBe(200);
      } finally {
        await open.stop();
      }
    },
  );

  it("answers 404 for an unknown admin route", async () => {
    const answer = await call(emulator, "GET", "/_emulator/nothing");
    expect([answer.status, answer.json.error.code]).toEqual([404, "NotFound"]);
  });
});
