/**
 * The token request and the create timeout: a login host that does not answer fails the create at its
 * own timeout (not the engine's, not 60 s later) and says what it waited for; the request it gave up
 * on does not poison the next create on the same credential; a login host that answers 5xx is asked
 * again; and a caller that gives up does not take the token away from one that can wait longer.
 * Each case starts its own emulator, so each begins without a cached token.
 */
import type { RunningEmulator } from "../../src/emulator";
import * as provider from "../../src/provider";
import { StderrCapture } from "../support/capture";
import { requestsOf, startTestEmulator } from "../support/emulator";
import { failureOf } from "../support/expectations";
import { CLIENT_SECRET, IDS } from "../support/ids";
import { checkAndCreate, configureRequest, emulatorConfig, inputsFor } from "../support/provider";
import { user } from "../support/subjects";

jest.setTimeout(45_000);

const TOKEN_PATH = "/oauth2/v2.0/token$";
let emulator: RunningEmulator;
const stderr = new StderrCapture();

beforeEach(async () => {
  emulator = await startTestEmulator({ rateLimit: "off" });
  await provider.configure(configureRequest(emulatorConfig(emulator)));
  stderr.start();
});
afterEach(async () => {
  stderr.stop();
  await emulator.stop();
});

/** Creates a resource for the `n`-th burst user with a create timeout of `seconds`. */
function create(n: number, seconds: number) {
  return checkAndCreate(
    provider,
    inputsFor(emulator, [user(IDS.burstUserIds[n])], { createTimeoutSeconds: seconds }),
  );
}

describe("a login host that does not answer", () => {
  it("fails a create with createTimeoutSeconds: 5 within its timeout, naming the token request, the login host and the wait", async () => {
    await emulator.admin.addFault({ path: TOKEN_PATH, method: "POST", action: "hang", count: 1 });
    const started = Date.now();
    const error = await failureOf(() => create(0, 5));
    const elapsed = Date.now() - started;

    expect(elapsed).toBeGreaterThanOrEqual(4_500);
    expect(elapsed).toBeLessThan(8_000);
    expect(error.name).toBe("TimeoutExceededError");
    expect(error.code).toBe("Timeout");
    expect(error.message).toMatch(/within the create timeout of 5s/);
    expect(error.message).toContain("token request (clientSecret) failed: Timeout");
    expect(error.message).toContain("the token request to the login host did not finish within 5s");
    expect(error.message).toContain(`[authority ${emulator.authorityHost}]`);
    expect(error.message).not.toContain(CLIENT_SECRET);
    // The token never came, so Graph was never called.
    expect(await requestsOf(emulator, "provisionOnDemand")).toEqual([]);
  });

  it("the abandoned request does not poison the next create on the same credential once the host answers again", async () => {
    await emulator.admin.addFault({ path: TOKEN_PATH, method: "POST", action: "hang", count: 1 });
    await failureOf(() => create(1, 5));
    expect(await emulator.admin.faults()).toEqual([]); // the one hang was used up: the host answers now

    const started = Date.now();
    const { outs } = await create(2, 10);
    expect(outs.result).toBe("Success");
    // A fresh token request, answered at once: not a wait for the abandoned one.
    expect(Date.now() - started).toBeLessThan(5_000);
    // The hung request is still open (logged when the emulator closes it); the fresh one was answered.
    expect((await requestsOf(emulator, "token")).map((t) => t.status)).toEqual([200]);
  });

  it("a later create with a longer timeout still succeeds while an earlier one gave up on the same hung request", async () => {
    // The host answers the first token request after 3 s: the 1 s create gives up, the 20 s one gets it.
    await emulator.admin.addFault({ path: TOKEN_PATH, method: "POST", delayMs: 3_000, count: 1 });
    const started = Date.now();
    const impatient = failureOf(() => create(3, 1));
    const patient = create(4, 20);

    const error = await impatient;
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(error.message).toMatch(/within the create timeout of 1s/);
    expect(error.message).toContain("the token request to the login host did not finish within 1s");

    const { outs } = await patient;
    expect(outs.result).toBe("Success");
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    // One token request served both: the impatient caller did not cancel it for the patient one.
    expect((await requestsOf(emulator, "token")).map((t) => t.status)).toEqual([200]);
  });
});

describe("a login host that answers 5xx", () => {
  it.each([500, 502, 503, 504])(
    "HTTP %d on the token endpoint is asked again, and the create succeeds",
    async (status) => {
      await emulator.admin.addFault({ path: TOKEN_PATH, method: "POST", status, count: 1 });
      const { outs } = await create(5, 20);
      expect(outs.result).toBe("Success");
      const tokens = await requestsOf(emulator, "token");
      expect(tokens.map((t) => t.status)).toEqual([status, 200]);
    },
  );

  it("a login host that keeps answering 503 is asked again, by our retries alone, until it answers", async () => {
    // @azure/identity's own retries are off (maxRetries 0): each 503 reaches our retry loop, whose
    // backoff (1, 2, 4, 8 s) fits four in a row into the create's 30 s.
    await emulator.admin.addFault({ path: TOKEN_PATH, method: "POST", status: 503, count: 4 });
    const started = Date.now();
    const { outs } = await create(6, 30);
    expect(outs.result).toBe("Success");
    const tokens = await requestsOf(emulator, "token");
    expect(tokens.filter((t) => t.status === 503)).toHaveLength(4);
    expect(tokens[tokens.length - 1].status).toBe(200);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("a 5xx that outlasts the create timeout fails it in time, naming the token request and the login host", async () => {
    await emulator.admin.addFault({ path: TOKEN_PATH, method: "POST", status: 503, count: 1_000 });
    const started = Date.now();
    const error = await failureOf(() => create(7, 5));
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(error.name).toBe("TimeoutExceededError");
    // The last error is the 503 itself, or (while @azure/identity's own retries still run) the wait.
    expect(error.message).toMatch(
      /; last error: token request \(clientSecret\) failed: (temporarily_unavailable|Timeout: the token request to the login host did not finish within \d+s)/,
    );
    expect(error.message).toContain(`[authority ${emulator.authorityHost}]`);
    expect(error.message).not.toContain(CLIENT_SECRET);
  });
});
