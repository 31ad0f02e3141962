/**
 * Entra replication lag: a service principal and job created moments before (in the same `pulumi up`)
 * answer 404 for a while. The create retries that for the replication window, saying why, and fails at
 * once when the window is 0.
 */
import type { RunningEmulator } from "../../src/emulator";
import { GraphRequestError } from "../../src/graph/errors";
import * as provider from "../../src/provider";
import { StderrCapture } from "../support/capture";
import { requestsOf, startTestEmulator } from "../support/emulator";
import { failureOf } from "../support/expectations";
import { IDS } from "../support/ids";
import { checkAndCreate, configureRequest, emulatorConfig } from "../support/provider";
import { user } from "../support/subjects";

// Retries, pacing and timeouts make some cases take seconds; none should take half a minute.
jest.setTimeout(30_000);

const LAG_MS = 1200;
let emulator: RunningEmulator;
const stderr = new StderrCapture();

beforeAll(async () => {
  emulator = await startTestEmulator({ rateLimit: "off", replicationLagMs: LAG_MS });
});
afterAll(() => emulator.stop());
beforeEach(() => stderr.start());
afterEach(() => stderr.stop());

/** Adds a new enterprise app with a job (and assigns the fixture's group to it), as a program would. */
let added = 0;
async function addFreshJob(): Promise<{ servicePrincipalId: string; jobId: string; visibleAt: number }> {
  added += 1;
  const suffix = String(added).padStart(12, "0");
  const servicePrincipalId = `c0c10000-0000-4000-8000-${suffix}`;
  const jobId = `dataBricks.${"c0c1".repeat(7)}${suffix.slice(-4)}.${IDS.tenantId}`;
  const answer = await emulator.admin.addObjects({
    servicePrincipals: [
      { id: servicePrincipalId, appId: `c0c1aaaa-0000-4000-8000-${suffix}`, displayName: `new app ${added}` },
    ],
    jobs: [{ id: jobId, servicePrincipalId }],
    assignments: [{ servicePrincipalId, principalId: IDS.groupId }],
  });
  return { servicePrincipalId, jobId, visibleAt: Date.parse(answer.visibleAt) };
}

describe("a service principal and job created moments ago", () => {
  it("are retried through their 404s, with a log line saying why, until the POST succeeds", async () => {
    await provider.configure(configureRequest(emulatorConfig(emulator)));
    const { servicePrincipalId, jobId, visibleAt } = await addFreshJob();
    const { outs } = await checkAndCreate(provider, {
      servicePrincipalId,
      synchronizationJobId: jobId,
      createTimeoutSeconds: 20,
      parameters: [{ ruleId: IDS.ruleId, subjects: [user(IDS.userIds[0])] }],
    });

    expect(outs.result).toBe("Success");
    expect(Date.now()).toBeGreaterThanOrEqual(visibleAt);
    const posts = (await requestsOf(emulator, "provisionOnDemand")).filter((p) =>
      p.path.includes(servicePrincipalId),
    );
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(posts.slice(0, -1).every((p) => p.status === 404)).toBe(true);
    expect(posts[posts.length - 1].status).toBe(200);
    expect(outs.requestId).toBe(posts[posts.length - 1].requestId);
    const lines = stderr.lines.filter((line) => line.startsWith("provisionOnDemand: attempt"));
    expect(lines).toHaveLength(posts.length - 1);
    expect(lines[0]).toContain(
      "attempt 1 failed: HTTP 404 Request_ResourceNotFound: the service principal or job may have been " +
        "created moments ago and not replicated yet; retrying for up to 120s",
    );
    expect(lines[0]).toContain(`[job ${jobId}, User ${IDS.userIds[0]}]`);
  });

  it("with an omitted ruleId, the schema GET is retried the same way", async () => {
    await provider.configure(configureRequest(emulatorConfig(emulator)));
    const { servicePrincipalId, jobId } = await addFreshJob();
    const { outs } = await checkAndCreate(provider, {
      servicePrincipalId,
      synchronizationJobId: jobId,
      createTimeoutSeconds: 20,
      parameters: [{ subjects: [user(IDS.userIds[1])] }],
    });

    expect(outs.result).toBe("Success");
    expect(outs.parameters[0]).toMatchObject({ ruleId: IDS.ruleId, ruleIdSource: "schema" });
    const schemaGets = (await requestsOf(emulator, "schema")).filter((r) =>
      r.path.includes(servicePrincipalId),
    );
    expect(schemaGets.length).toBeGreaterThanOrEqual(2);
    expect(schemaGets.map((r) => r.status).slice(-1)).toEqual([200]);
    expect(stderr.text).toContain("get job schema: attempt 1 failed: HTTP 404 Request_ResourceNotFound");
  });

  it("fail at once with the 404 when provisionOnDemand:replicationWindowSeconds is 0", async () => {
    await provider.configure(
      configureRequest(emulatorConfig(emulator, { "provisionOnDemand:replicationWindowSeconds": "0" })),
    );
    const { servicePrincipalId, jobId } = await addFreshJob();
    const started = Date.now();
    const error = await failureOf(() =>
      checkAndCreate(provider, {
        servicePrincipalId,
        synchronizationJobId: jobId,
        createTimeoutSeconds: 20,
        parameters: [{ ruleId: IDS.ruleId, subjects: [user(IDS.userIds[2])] }],
      }),
    );

    expect(Date.now() - started).toBeLessThan(LAG_MS);
    expect(error).toBeInstanceOf(GraphRequestError);
    expect(error).toMatchObject({ status: 404, code: "Request_ResourceNotFound" });
    expect(error.message).toMatch(
      /^provisionOnDemand failed: Request_ResourceNotFound: .+ \(HTTP 404, request-id /,
    );
    const posts = (await requestsOf(emulator, "provisionOnDemand")).filter((p) =>
      p.path.includes(servicePrincipalId),
    );
    expect(posts.map((p) => p.status)).toEqual([404]);
    expect(stderr.text).not.toContain("retrying");
  });
});
