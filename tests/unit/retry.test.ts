/**
 * Retries: which failures are tried again and how long we wait (decideRetry), and what a create sees
 * while it retries (withRetries): one log line per retry, a fast failure on a client error, and a
 * timeout error when the create's deadline passes.
 */
import {
  GraphRequestError,
  TimeoutExceededError,
  TokenRequestError,
  type GraphCallTarget,
  type GraphRequestErrorOptions,
} from "../../src/graph/errors";
import { backoffDelay, decideRetry, withRetries, type RetryOptions } from "../../src/graph/retry";
import { JOB_ID, SP_ID } from "../support/ids";

const TARGET: GraphCallTarget = {
  operation: "provisionOnDemand",
  servicePrincipalId: SP_ID,
  jobId: JOB_ID,
  subjects: "User 6e5a0c1e",
};

const CODES: Record<number, string> = {
  0: "NetworkError",
  400: "RequestParameterInvalid",
  401: "InvalidAuthenticationToken",
  403: "Authorization_RequestDenied",
  404: "Request_ResourceNotFound",
  409: "Conflict",
  429: "TooManyRequests",
  500: "InternalServerError",
  502: "BadGateway",
  503: "ServiceUnavailable",
  504: "GatewayTimeout",
};

function graphError(status: number, details: Partial<GraphRequestErrorOptions> = {}): GraphRequestError {
  return new GraphRequestError({
    code: CODES[status] ?? "Error",
    serverMessage: `answered ${status}`,
    status,
    requestId: "req-1",
    clientRequestId: "client-1",
    target: TARGET,
    ...details,
  });
}

const OPTIONS: RetryOptions = {
  deadline: Number.MAX_SAFE_INTEGER,
  timeoutSeconds: 900,
  replicationWindowMs: 120_000,
  minDelayMs: 1000,
  maxDelayMs: 30_000,
};

describe("decideRetry: which failures are tried again", () => {
  it.each([429, 500, 502, 503, 504])("HTTP %i is retried, waiting what Retry-After says", (status) => {
    const decision = decideRetry(graphError(status, { retryAfterMs: 7000 }), 1, 0, OPTIONS);
    expect(decision).toEqual({ retry: true, delayMs: 7000, reason: expect.stringMatching(/Retry-After 7s/) });
    expect(decision.reason).toContain(`HTTP ${status}`);
  });

  it.each([429, 500, 502, 503, 504])(
    "HTTP %i without Retry-After is retried after a jittered backoff",
    (status) => {
      const decision = decideRetry(graphError(status), 1, 0, OPTIONS);
      expect(decision.retry).toBe(true);
      expect(decision.reason).toMatch(/backoff/);
      expect(decision.delayMs).toBeGreaterThanOrEqual(500);
      expect(decision.delayMs).toBeLessThanOrEqual(1500);
    },
  );

  it("no answer at all (status 0: reset, DNS, TLS) is retried", () => {
    const decision = decideRetry(graphError(0, { code: "ECONNRESET" }), 3, 600_000, OPTIONS);
    expect(decision).toMatchObject({ retry: true, reason: "no answer (ECONNRESET)" });
  });

  it.each([404, 403, 409])(
    "HTTP %i is taken for replication lag inside the replication window, and final after it",
    (status) => {
      const inside = decideRetry(graphError(status), 2, 119_000, OPTIONS);
      expect(inside.retry).toBe(true);
      expect(inside.reason).toMatch(/created moments ago and not replicated yet; retrying for up to 120s/);
      const after = decideRetry(graphError(status), 9, 120_000, OPTIONS);
      expect(after).toEqual({ retry: false, reason: `HTTP ${status} is not retryable`, delayMs: 0 });
    },
  );

  it("the replication window is configurable", () => {
    expect(decideRetry(graphError(404), 1, 5_000, { ...OPTIONS, replicationWindowMs: 1_000 }).retry).toBe(
      false,
    );
  });

  it.each([400, 401, 405, 422])("HTTP %i fails at once", (status) => {
    expect(decideRetry(graphError(status), 1, 0, OPTIONS)).toEqual({
      retry: false,
      reason: `HTTP ${status} is not retryable`,
      delayMs: 0,
    });
  });

  it.each<[number, boolean]>([
    [400, false],
    [401, false],
    [0, false],
    [429, true],
    [500, true],
    [503, true],
  ])("a token endpoint answer of HTTP %i is retried: %s", (status, retried) => {
    const error = new TokenRequestError({
      code: "temporarily_unavailable",
      serverMessage: "AADSTS90033",
      status,
      method: "clientSecret",
      authorityHost: "https://login.microsoftonline.com",
    });
    expect(decideRetry(error, 1, 0, OPTIONS).retry).toBe(retried);
  });

  it("an error that is not a Graph answer (a bug, a parse error) is not retried", () => {
    expect(decideRetry(new TypeError("x is undefined"), 1, 0, OPTIONS)).toMatchObject({ retry: false });
  });
});

describe("backoffDelay: jittered, growing, capped", () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    [0, 1, 500],
    [0.999, 1, 1499],
    [0, 3, 2000],
    [0.5, 3, 4000],
  ])("with Math.random() = %f, attempt %i waits %i ms (min 1 s)", (random, attempt, expected) => {
    jest.spyOn(Math, "random").mockReturnValue(random);
    expect(backoffDelay(attempt, 1000, 30_000)).toBe(expected);
  });

  it("never waits longer than maxDelayMs, whatever the jitter", () => {
    jest.spyOn(Math, "random").mockReturnValue(0.999);
    expect(backoffDelay(20, 1000, 30_000)).toBe(30_000);
    expect(backoffDelay(2, 1000, 1500)).toBe(1500);
  });
});

describe("withRetries: what a create sees while it retries", () => {
  /** Options with fast waits that collect log lines instead of writing to stderr. */
  function fast(overrides: Partial<RetryOptions> = {}): RetryOptions & { lines: string[] } {
    const lines: string[] = [];
    return {
      deadline: Date.now() + 10_000,
      timeoutSeconds: 10,
      minDelayMs: 1,
      maxDelayMs: 5,
      log: (line) => lines.push(line),
      ...overrides,
      lines,
    };
  }

  /** An attempt that fails with `failures` in turn, then returns "done". */
  function failingWith(...failures: Error[]) {
    return jest.fn(async (_remaining: number, attemptNumber: number) => {
      const failure = failures[attemptNumber - 1];
      if (failure) throw failure;
      return "done";
    });
  }

  it("succeeds after transient failures, logging one line per retry with the status, attempt and wait", async () => {
    const options = fast();
    const attempt = failingWith(graphError(503), graphError(502), graphError(0, { code: "ECONNRESET" }));
    await expect(withRetries(TARGET, options, attempt)).resolves.toBe("done");
    expect(attempt).toHaveBeenCalledTimes(4);
    expect(options.lines).toHaveLength(3);
    expect(options.lines[0]).toMatch(
      /^provisionOnDemand: attempt 1 failed: HTTP 503 ServiceUnavailable \(backoff\); retrying in \d+\.\ds/,
    );
    expect(options.lines[1]).toMatch(/attempt 2 failed: HTTP 502 BadGateway/);
    expect(options.lines[2]).toMatch(/attempt 3 failed: no answer \(ECONNRESET\); retrying in/);
    for (const line of options.lines) expect(line).toContain(`[job ${JOB_ID}, User 6e5a0c1e]`);
  });

  it("waits what Retry-After says, says so in the log line, and tells the pacer", async () => {
    const onRetryAfter = jest.fn();
    const options = fast({ onRetryAfter });
    const started = Date.now();
    await withRetries(TARGET, options, failingWith(graphError(429, { retryAfterMs: 200 })));
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(options.lines).toEqual([
      expect.stringMatching(
        /attempt 1 failed: HTTP 429 TooManyRequests \(Retry-After 1s\); retrying in 0\.2s/,
      ),
    ]);
    expect(onRetryAfter).toHaveBeenCalledTimes(1);
    expect(onRetryAfter.mock.calls[0][0]).toBeGreaterThanOrEqual(started + 200);
  });

  it("passes each attempt the time left before the deadline", async () => {
    const options = fast({ deadline: Date.now() + 5_000 });
    const attempt = failingWith(graphError(503));
    await withRetries(TARGET, options, attempt);
    for (const [remaining] of attempt.mock.calls) {
      expect(remaining).toBeGreaterThan(0);
      expect(remaining).toBeLessThanOrEqual(5_000);
    }
  });

  it.each([400, 401])(
    "stops at once on HTTP %i, with the Graph error itself and no log line",
    async (status) => {
      const options = fast();
      const error = graphError(status);
      const attempt = failingWith(error, error, error);
      await expect(withRetries(TARGET, options, attempt)).rejects.toBe(error);
      expect(attempt).toHaveBeenCalledTimes(1);
      expect(options.lines).toEqual([]);
    },
  );

  it("stops at once when the token endpoint refuses the credential", async () => {
    const options = fast();
    const error = new TokenRequestError({
      code: "invalid_client",
      serverMessage: "AADSTS7000215: Invalid client secret",
      status: 401,
      method: "clientSecret",
      authorityHost: "https://login.microsoftonline.com",
    });
    const attempt = failingWith(error);
    await expect(withRetries(TARGET, options, attempt)).rejects.toBe(error);
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it("retries replication lag, then gives up with the Graph error once the window has passed", async () => {
    const options = fast({ replicationWindowMs: 30 });
    const attempt = jest.fn(async () => {
      throw graphError(404);
    });
    await expect(withRetries(TARGET, options, attempt)).rejects.toMatchObject({ status: 404 });
    expect(attempt.mock.calls.length).toBeGreaterThan(1);
    expect(options.lines[0]).toMatch(/attempt 1 failed: HTTP 404 .*not replicated yet/);
  });

  it("throws TimeoutExceededError naming the timeout and the last error when the wait would pass the deadline", async () => {
    const options = fast({ deadline: Date.now() + 100, timeoutSeconds: 42 });
    const attempt = failingWith(graphError(503, { retryAfterMs: 60_000 }));
    const error = await withRetries(TARGET, options, attempt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutExceededError);
    expect((error as Error).message).toMatch(
      /^provisionOnDemand did not succeed within the create timeout of 42s \(1 attempt\)/,
    );
    expect((error as Error).message).toMatch(
      /last error: provisionOnDemand failed: ServiceUnavailable: answered 503 \(HTTP 503, request-id req-1/,
    );
    expect((error as Error).message).toMatch(/Raise customTimeouts\.create to wait longer/);
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it("throws TimeoutExceededError when retries run past the deadline", async () => {
    const options = fast({ deadline: Date.now() + 60, timeoutSeconds: 1, minDelayMs: 5, maxDelayMs: 5 });
    const attempt = jest.fn(async () => {
      throw graphError(500);
    });
    const error = await withRetries(TARGET, options, attempt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutExceededError);
    expect((error as TimeoutExceededError).attempts).toBeGreaterThan(1);
    expect((error as TimeoutExceededError).cause).toMatchObject({ status: 500 });
    expect((error as Error).message).toMatch(/create timeout of 1s .*last error: .*HTTP 500/);
  });

  it("makes no attempt at all when the deadline has already passed", async () => {
    const attempt = jest.fn(async () => "done");
    const error = await withRetries(TARGET, fast({ deadline: Date.now() - 1 }), attempt).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TimeoutExceededError);
    expect(attempt).not.toHaveBeenCalled();
  });
});
