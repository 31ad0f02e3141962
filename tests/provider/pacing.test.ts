/**
 * Pacing: many resources in one deployment share one provider process. Its pacer keeps their POSTs
 * under the API's rate limit so they queue instead of collecting 429s. Both the emulator's limit and
 * ours are shortened from 5/10s to 5/2s to keep the test fast; the logic is the same.
 */
import type { RequestLogEntry, RunningEmulator } from "../../src/emulator";
import * as provider from "../../src/provider";
import { StderrCapture } from "../support/capture";
import { requestsOf, withTestEmulator } from "../support/emulator";
import { IDS } from "../support/ids";
import { checkAndCreate, configureRequest, emulatorConfig, inputsFor } from "../support/provider";
import { user } from "../support/subjects";

// Retries, pacing and timeouts make some cases take seconds; none should take half a minute.
jest.setTimeout(30_000);

const LIMIT = "5/2s";
const WINDOW_MS = 2000;
const stderr = new StderrCapture();
/** Bounds each create, so a failing case cannot leave retries running after it. */
const BOUNDED = { createTimeoutSeconds: 20 };

beforeEach(() => stderr.start());
afterEach(() => stderr.stop());

/** Twelve creates at once, each for a different user; returns the results and the POST log. */
async function burst(
  emulator: RunningEmulator,
  ourRateLimit: string,
): Promise<{ results: string[]; posts: RequestLogEntry[] }> {
  await provider.configure(
    configureRequest(emulatorConfig(emulator, { "provisionOnDemand:rateLimit": ourRateLimit })),
  );
  const creates = IDS.burstUserIds.map((objectId) =>
    checkAndCreate(provider, inputsFor(emulator, [user(objectId)], BOUNDED)),
  );
  const results = (await Promise.all(creates)).map((r) => r.outs.result as string);
  return { results, posts: await requestsOf(emulator, "provisionOnDemand") };
}

/** Our pacer at Graph's 5/10s, and the emulator's next POST answered 429 with Retry-After `seconds`. */
async function pacedWithOne429(emulator: RunningEmulator, seconds: number): Promise<void> {
  await provider.configure(
    configureRequest(emulatorConfig(emulator, { "provisionOnDemand:rateLimit": "5/10s" })),
  );
  await emulator.admin.addFault({
    path: "provisionOnDemand$",
    method: "POST",
    status: 429,
    retryAfterSeconds: seconds,
    count: 1,
  });
}

/** The most POSTs the emulator accepted within any window of `windowMs`. */
function busiestWindow(posts: RequestLogEntry[], windowMs: number): number {
  const times = posts.filter((p) => p.status === 200).map((p) => Date.parse(p.time));
  return Math.max(...times.map((start) => times.filter((t) => t >= start && t < start + windowMs).length));
}

describe(`a burst of 12 parallel creates against a ${LIMIT} limit`, () => {
  let emulator: RunningEmulator;
  withTestEmulator((started) => (emulator = started), { rateLimit: LIMIT }, { each: true });

  it("queues in our pacer: every create succeeds and the emulator answers no 429", async () => {
    const started = Date.now();
    const { results, posts } = await burst(emulator, LIMIT);

    expect(results).toEqual(Array(12).fill("Success"));
    expect(posts.map((p) => p.status)).toEqual(Array(12).fill(200));
    expect(busiestWindow(posts, WINDOW_MS)).toBeLessThanOrEqual(5);
    // Three windows' worth: the last five wait for two full windows.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * WINDOW_MS);
    expect(stderr.text).not.toContain("TooManyRequests");
    expect((await emulator.admin.target(IDS.servicePrincipalId)).objects).toHaveLength(12);
  });

  it("with our pacer off, the same burst collects 429s from the emulator (retried, so it still succeeds)", async () => {
    const { results, posts } = await burst(emulator, "off");

    expect(results).toEqual(Array(12).fill("Success"));
    const refused = posts.filter((p) => p.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(7);
    expect(posts.filter((p) => p.status === 200)).toHaveLength(12);
    expect(stderr.text).toMatch(
      /provisionOnDemand: attempt 1 failed: HTTP 429 TooManyRequests \(Retry-After \d+s\)/,
    );
  });
});

describe("a Retry-After holds every create of the app, not just the one that got it", () => {
  let emulator: RunningEmulator;
  withTestEmulator((started) => (emulator = started), { rateLimit: "off" }, { each: true });

  it("a create started after another's 429 (Retry-After: 2) sends nothing until those 2 s are over", async () => {
    await pacedWithOne429(emulator, 2);
    const first = checkAndCreate(provider, inputsFor(emulator, [user(IDS.burstUserIds[0])], BOUNDED));
    let refused: RequestLogEntry | undefined;
    while (!refused) {
      refused = (await requestsOf(emulator, "provisionOnDemand")).find((p) => p.status === 429);
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const second = checkAndCreate(provider, inputsFor(emulator, [user(IDS.burstUserIds[1])], BOUNDED));
    await Promise.all([first, second]);

    const accepted = (await requestsOf(emulator, "provisionOnDemand")).filter((p) => p.status === 200);
    expect(accepted).toHaveLength(2);
    for (const post of accepted) {
      // The log stamps a request when its answer is written; allow for that and clock rounding.
      expect(Date.parse(post.time)).toBeGreaterThanOrEqual(Date.parse(refused.time) + 2000 - 50);
    }
  });
});

describe("a create never waits for the pacer past its own timeout", () => {
  let emulator: RunningEmulator;
  withTestEmulator((started) => (emulator = started), { rateLimit: "off" }, { each: true });

  it("a Retry-After of an hour fails the create that got it at once, and a later one too (it could not be served in time), saying why", async () => {
    await pacedWithOne429(emulator, 3600);
    const started = Date.now();
    const first = await checkAndCreate(
      provider,
      inputsFor(emulator, [user(IDS.burstUserIds[2])], { createTimeoutSeconds: 5 }),
    ).catch((e: Error) => e);
    expect(first).toBeInstanceOf(Error);
    expect((first as Error).name).toBe("TimeoutExceededError");
    expect(Date.now() - started).toBeLessThan(2000);

    const next = await checkAndCreate(
      provider,
      inputsFor(emulator, [user(IDS.burstUserIds[3])], { createTimeoutSeconds: 2 }),
    ).catch((e: Error) => e);
    expect((next as Error).name).toBe("TimeoutExceededError");
    expect((next as Error).message).toMatch(/waiting for Graph's rate limit/);
    expect(Date.now() - started).toBeLessThan(4000);
  });
});
