/**
 * Which Graph failures a create survives and which fail it at once: retryable statuses with and
 * without Retry-After, dropped connections, hung requests, every non-retryable status, and the create
 * timeout that bounds it all. Faults are injected through the emulator's admin API.
 */
import type { RunningEmulator } from "../../src/emulator";
import { GraphRequestError, TimeoutExceededError } from "../../src/graph/errors";
import * as provider from "../../src/provider";
import { StderrCapture } from "../support/capture";
import { requestsOf, withTestEmulator } from "../support/emulator";
import { failureOf } from "../support/expectations";
import { IDS } from "../support/ids";
import {
  checkAndCreate,
  configureRequest,
  emulatorConfig,
  freshProviderEachTest,
  inputsFor,
  type StackConfig,
} from "../support/provider";
import { user } from "../support/subjects";

// Retries, pacing and timeouts make some cases take seconds; none should take half a minute.
jest.setTimeout(30_000);

let emulator: RunningEmulator;
const stderr = new StderrCapture();
const POST_PATH = "provisionOnDemand$";

withTestEmulator((started) => (emulator = started), { rateLimit: "off" });
freshProviderEachTest(provider, () => emulator, stderr);

/** Configures the provider for the emulator with some keys changed. */
const configureWith = (overrides: StackConfig) =>
  provider.configure(configureRequest(emulatorConfig(emulator, overrides)));

/** Provisions one of the fixture's users (a fresh one each time, so each succeeds as Success). */
let nextUser = 0;
function provisionAUser(extra: Record<string, unknown> = {}) {
  const objectId = IDS.burstUserIds[nextUser++ % IDS.burstUserIds.length];
  // Bounded, so a failing case cannot leave retries running after it.
  return checkAndCreate(
    provider,
    inputsFor(emulator, [user(objectId)], { createTimeoutSeconds: 20, ...extra }),
  );
}

describe("retryable Graph answers are retried until the create succeeds", () => {
  const cases = [429, 500, 502, 503, 504].flatMap((status) => [
    [status, "with Retry-After: 1", 1],
    [status, "without Retry-After", undefined],
  ]) as [number, string, number | undefined][];

  it.each(cases)("HTTP %d %s: one retry, then success", async (status, _label, retryAfterSeconds) => {
    await emulator.admin.addFault({ path: POST_PATH, method: "POST", status, retryAfterSeconds, count: 1 });
    const started = Date.now();
    const { outs } = await provisionAUser();
    const elapsed = Date.now() - started;

    expect(outs.result).toBe("Success");
    const posts = await requestsOf(emulator, "provisionOnDemand");
    expect(posts.map((p) => p.status)).toEqual([status, 200]);
    expect(outs.requestId).toBe(posts[1].requestId);
    const retryLine = stderr.lines.find((line) => line.includes("attempt 1 failed"));
    expect(retryLine).toContain(`provisionOnDemand: attempt 1 failed: HTTP ${status} `);
    expect(retryLine).toContain(`[job ${IDS.jobId}, User `);
    if (retryAfterSeconds !== undefined) {
      // The server's Retry-After is the wait, not the backoff.
      expect(retryLine).toContain("(Retry-After 1s); retrying in 1.0s");
      expect(elapsed).toBeGreaterThanOrEqual(950);
    } else {
      // Jittered backoff from 1 s: between 0.5 s and 1.5 s.
      expect(retryLine).toMatch(/\(backoff\); retrying in (0\.[5-9]|1\.[0-5])s/);
      expect(elapsed).toBeGreaterThanOrEqual(450);
    }
  });

  it("a dropped connection is retried", async () => {
    await emulator.admin.addFault({ path: POST_PATH, method: "POST", action: "reset", count: 1 });
    const { outs } = await provisionAUser();

    expect(outs.result).toBe("Success");
    const posts = await requestsOf(emulator, "provisionOnDemand");
    expect(posts.map((p) => [p.status, p.fault])).toEqual([
      [0, "reset"],
      [200, undefined],
    ]);
    expect(stderr.text).toMatch(
      /provisionOnDemand: attempt 1 failed: no answer \(NetworkError\); retrying in/,
    );
  });

  it("a slow answer within the timeout is waited for, not retried", async () => {
    await emulator.admin.addFault({ path: POST_PATH, method: "POST", delayMs: 800, count: 1 });
    const { outs } = await provisionAUser({ createTimeoutSeconds: 5 });
    expect(outs.result).toBe("Success");
    expect(await requestsOf(emulator, "provisionOnDemand")).toHaveLength(1);
  });

  it("a hung request is cut by the create timeout", async () => {
    await emulator.admin.addFault({ path: POST_PATH, method: "POST", action: "hang", count: 1 });
    const started = Date.now();
    const error = await failureOf(() => provisionAUser({ createTimeoutSeconds: 2 }));
    const elapsed = Date.now() - started;

    expect(error).toBeInstanceOf(TimeoutExceededError);
    expect(error.message).toContain("provisionOnDemand did not succeed within the create timeout of 2s");
    expect(error.message).toContain("last error: provisionOnDemand failed: Timeout: no answer");
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(4000);
  });
});

describe("the create timeout bounds the retries", () => {
  it("repeated 503s end in TimeoutExceededError naming the timeout and the last error", async () => {
    await emulator.admin.addFault({ path: POST_PATH, method: "POST", status: 503, count: 50 });
    const started = Date.now();
    const error = await failureOf(() => provisionAUser({ createTimeoutSeconds: 2 }));
    const elapsed = Date.now() - started;

    expect(error).toBeInstanceOf(TimeoutExceededError);
    const posts = await requestsOf(emulator, "provisionOnDemand");
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(posts.every((p) => p.status === 503)).toBe(true);
    expect(error).toMatchObject({ timeoutSeconds: 2, attempts: posts.length });
    expect(error.message).toContain(
      `provisionOnDemand did not succeed within the create timeout of 2s (${posts.length} attempts)`,
    );
    expect(error.message).toContain(`[job ${IDS.jobId}, service principal ${IDS.servicePrincipalId}`);
    expect(error.message).toContain("last error: provisionOnDemand failed: ServiceUnavailable:");
    expect(error.message).toContain(`request-id ${posts[posts.length - 1].requestId}`);
    expect(error.message).toContain("Raise customTimeouts.create");
    expect(elapsed).toBeLessThan(3000);
  });

  it("a Retry-After longer than the time left fails at once instead of overrunning the timeout", async () => {
    await emulator.admin.addFault({ path: POST_PATH, method: "POST", status: 429, retryAfterSeconds: 30 });
    const started = Date.now();
    const error = await failureOf(() => provisionAUser({ createTimeoutSeconds: 3 }));

    expect(error).toBeInstanceOf(TimeoutExceededError);
    expect(error.message).toContain("last error: provisionOnDemand failed: TooManyRequests:");
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await requestsOf(emulator, "provisionOnDemand")).toHaveLength(1);
  });
});

describe("non-retryable Graph answers fail the create at once", () => {
  const unknownServicePrincipal = "0dead000-0000-4000-8000-0000000000ff";
  const cases: {
    name: string;
    status: number;
    code: string;
    message: RegExp;
    config?: StackConfig;
    fault?: boolean;
    servicePrincipalId?: string;
    jobId?: string;
    ruleId?: string;
  }[] = [
    {
      name: "a ruleId the job does not have: 400 RequestParameterInvalid",
      status: 400,
      code: "RequestParameterInvalid",
      message: /the job does not include the rule/,
      ruleId: "0badbad0-0000-4000-8000-000000000000",
    },
    {
      name: "a job without target credentials: 400 CredentialsMissing",
      status: 400,
      code: "CredentialsMissing",
      message: /has no target system credentials/,
      servicePrincipalId: IDS.noCredentialsServicePrincipalId,
      jobId: IDS.noCredentialsJobId,
    },
    {
      name: "a token Graph refuses: 401 InvalidAuthenticationToken",
      status: 401,
      code: "InvalidAuthenticationToken",
      message: /Injected fault/,
      fault: true,
    },
    {
      name: "a caller without permission, after the replication window: 403 Authorization_RequestDenied",
      status: 403,
      code: "Authorization_RequestDenied",
      message: /Insufficient privileges/,
      config: {
        "azuread:clientId": IDS.noPermissionClientId,
        "azuread:clientSecret": IDS.noPermissionSecret,
        "provisionOnDemand:replicationWindowSeconds": "0",
      },
    },
    {
      name: "an unknown service principal, after the replication window: 404 Request_ResourceNotFound",
      status: 404,
      code: "Request_ResourceNotFound",
      message: /does not exist/,
      config: { "provisionOnDemand:replicationWindowSeconds": "0" },
      servicePrincipalId: unknownServicePrincipal,
    },
    {
      name: "a conflict after the replication window: 409",
      status: 409,
      code: "Conflict",
      message: /Injected fault/,
      config: { "provisionOnDemand:replicationWindowSeconds": "0" },
      fault: true,
    },
  ];

  it.each(cases)("$name", async (c) => {
    if (c.config) await configureWith(c.config);
    if (c.fault) await emulator.admin.addFault({ path: POST_PATH, method: "POST", status: c.status });
    const servicePrincipalId = c.servicePrincipalId ?? IDS.servicePrincipalId;
    const jobId = c.jobId ?? IDS.jobId;
    const subject = user(IDS.userIds[0]);
    const error = await failureOf(() =>
      checkAndCreate(provider, {
        servicePrincipalId,
        synchronizationJobId: jobId,
        parameters: [{ ruleId: c.ruleId ?? IDS.ruleId, subjects: [subject] }],
        createTimeoutSeconds: 20,
      }),
    );

    const posts = await requestsOf(emulator, "provisionOnDemand");
    expect(posts).toHaveLength(1);
    const [post] = posts;
    expect(post.status).toBe(c.status);
    expect(error).toBeInstanceOf(GraphRequestError);
    expect(error).toMatchObject({
      code: c.code,
      status: c.status,
      requestId: post.requestId,
      clientRequestId: post.clientRequestId,
      target: { operation: "provisionOnDemand", servicePrincipalId, jobId },
    });
    expect(post.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(post.clientRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.message).toMatch(
      new RegExp(
        `^provisionOnDemand failed: ${c.code}: .+ \\(HTTP ${c.status}, request-id ${post.requestId}, ` +
          `client-request-id ${post.clientRequestId}\\) \\[job ${jobId.replace(/\./g, "\\.")}, ` +
          // A wrong rule id also lists the job's rules (tests/provider/ruleErrors.test.ts).
          `service principal ${servicePrincipalId}, subjects User ${subject.objectId}\\](\\. The job's rules: .*)?$`,
      ),
    );
    expect(error.message).toMatch(c.message);
    expect(stderr.text).not.toContain("retrying");
  });

  it("the same 403 within the replication window is retried, not failed at once", async () => {
    await configureWith({ "provisionOnDemand:replicationWindowSeconds": "30" });
    await emulator.admin.addFault({ path: POST_PATH, method: "POST", status: 403, count: 1 });
    const { outs } = await provisionAUser();

    expect(outs.result).toBe("Success");
    const posts = await requestsOf(emulator, "provisionOnDemand");
    expect(posts.map((p) => p.status)).toEqual([403, 200]);
    expect(stderr.text).toContain(
      "HTTP 403 Authorization_RequestDenied: the service principal or job may have",
    );
  });
});
