/**
 * Pacing: many resources in one deployment share one provider process. Its pacer keeps their POSTs
 * under the API's rate limit so they queue instead of collecting 429s. Both the emulator's limit and
 * ours are shortened from 5/10s to 5/2s to keep the test fast; the logic is the same.
 */
import type { RequestLogEntry, RunningEmulator } from "../../src/emulator";
import * as provider from "../../src/provider";
import { StderrCapture } from "../support/capture";
import { requestsOf, startTestEmulator } from "../support/emulator";
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

/** The most POSTs the emulator accepted within any window of `windowMs`. */
function busiestWindow(posts: RequestLogEntry[], windowMs: number): number {
  const times = posts.filter((p) => p.status === 200).map((p) => Date.parse(p.time));
  return Math.max(...times.map((start) => times.filter((t) => t >= start && t < start + windowMs).length));
}

describe(`a burst of 12 parallel creates against a ${LIMIT} limit`, () => {
  let emulator: RunningEmulator;
  beforeEach(async () => {
    emulator = await startTestEmulator({ rateLimit: LIMIT });
  });
  afterEach(() => emulator.stop());

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
