/**
 * TokenSource on fake timers with a fake credential: one request serves every concurrent caller,
 * each caller stops at its own deadline without cancelling the request for the others, a request
 * every caller gave up on is abandoned (the next caller asks afresh), a hung request is abandoned
 * after 60 s, and a failed request builds the credential anew. No timer outlives its request.
 */
import type { AccessToken, GetTokenOptions } from "@azure/core-auth";
import type { ResolvedCredential } from "../../src/graph/credential";
import { TokenRequestError } from "../../src/graph/errors";
import type { GraphSettings } from "../../src/graph/settings";
import { TOKEN_REQUEST_TIMEOUT_MS, TokenSource } from "../../src/graph/token";

const T0 = 1_700_000_000_000;
const SETTINGS = {
  scope: "https://graph.microsoft.com/.default",
  authorityHost: "https://login.example",
} as unknown as GraphSettings;
const HOUR = 3_600_000;

/** A credential whose requests the test answers by hand, in order. */
class FakeCredential {
  readonly requests: {
    resolve(token: AccessToken): void;
    reject(error: Error): void;
    signal?: { readonly aborted: boolean };
  }[] = [];

  readonly resolved: ResolvedCredential = {
    method: "clientSecret",
    credential: {
      getToken: (_scopes: string | string[], options?: GetTokenOptions) =>
        new Promise<AccessToken>((resolve, reject) => {
          this.requests.push({ resolve, reject, signal: options?.abortSignal });
        }),
    },
  };

  /** Answers request `i` with a token valid for an hour. */
  answer(i: number, token = `token-${i}`): void {
    this.requests[i].resolve({ token, expiresOnTimestamp: Date.now() + HOUR });
  }
}

/** Starts `get(deadline)` and records how it ended. */
function caller(source: TokenSource, deadline: number) {
  const seen: { token?: string; error?: Error; at?: number } = {};
  void source.get(deadline).then(
    (token) => Object.assign(seen, { token, at: Date.now() - T0 }),
    (error: Error) => Object.assign(seen, { error, at: Date.now() - T0 }),
  );
  return seen;
}

beforeEach(() => jest.useFakeTimers({ now: T0 }));
afterEach(() => {
  expect(jest.getTimerCount()).toBe(0);
  jest.useRealTimers();
});

it("one request serves concurrent callers, and its token is reused until near expiry", async () => {
  const fake = new FakeCredential();
  const source = new TokenSource(fake.resolved, SETTINGS);
  const a = caller(source, T0 + 10_000);
  const b = caller(source, T0 + 10_000);
  await jest.advanceTimersByTimeAsync(100);
  expect(fake.requests).toHaveLength(1);
  fake.answer(0);
  await jest.advanceTimersByTimeAsync(0);
  expect([a.token, b.token]).toEqual(["token-0", "token-0"]);
  await expect(source.get(T0 + 20_000)).resolves.toBe("token-0");
  expect(fake.requests).toHaveLength(1);
});

it("a caller with a short deadline gives up while a concurrent caller with a longer deadline still gets the token", async () => {
  const fake = new FakeCredential();
  const source = new TokenSource(fake.resolved, SETTINGS);
  const impatient = caller(source, T0 + 1_000);
  const patient = caller(source, T0 + 30_000);
  await jest.advanceTimersByTimeAsync(1_000);

  expect(impatient.at).toBe(1_000);
  expect(impatient.error).toBeInstanceOf(TokenRequestError);
  expect(impatient.error).toMatchObject({ code: "Timeout", status: 0 });
  expect(impatient.error!.message).toBe(
    "token request (clientSecret) failed: Timeout: the token request to the login host did not finish within 1s" +
      " [authority https://login.example] (no HTTP answer)",
  );
  expect(fake.requests[0].signal?.aborted).toBe(false); // not cancelled for the patient one

  await jest.advanceTimersByTimeAsync(2_000);
  fake.answer(0);
  await jest.advanceTimersByTimeAsync(0);
  expect(patient).toEqual({ token: "token-0", at: 3_000 });
  expect(fake.requests).toHaveLength(1);
});

it("a request every caller gave up on is abandoned: the next caller asks afresh and is not held by it", async () => {
  const fake = new FakeCredential();
  const renewed: FakeCredential[] = [];
  const source = new TokenSource(fake.resolved, SETTINGS, () => {
    renewed.push(new FakeCredential());
    return renewed[renewed.length - 1].resolved;
  });
  const first = caller(source, T0 + 5_000);
  await jest.advanceTimersByTimeAsync(5_000);
  expect(first.error).toMatchObject({ code: "Timeout" });
  expect(fake.requests[0].signal?.aborted).toBe(true);
  expect(renewed).toHaveLength(1);

  const next = caller(source, T0 + 20_000);
  await jest.advanceTimersByTimeAsync(10);
  expect(renewed[0].requests).toHaveLength(1);
  renewed[0].answer(0, "fresh");
  await jest.advanceTimersByTimeAsync(0);
  expect(next).toEqual({ token: "fresh", at: 5_010 });

  // The abandoned request answering late changes nothing.
  fake.answer(0, "late");
  await jest.advanceTimersByTimeAsync(0);
  await expect(source.get(T0 + 30_000)).resolves.toBe("fresh");
});

it(`a request that hangs is abandoned after ${TOKEN_REQUEST_TIMEOUT_MS / 1000}s even while callers wait`, async () => {
  const fake = new FakeCredential();
  const source = new TokenSource(fake.resolved, SETTINGS, () => fake.resolved);
  const patient = caller(source, T0 + 10 * 60_000);
  await jest.advanceTimersByTimeAsync(TOKEN_REQUEST_TIMEOUT_MS);
  expect(patient.at).toBe(TOKEN_REQUEST_TIMEOUT_MS);
  expect(patient.error!.message).toContain("did not finish within 60s");
  expect(fake.requests[0].signal?.aborted).toBe(true);
});

it("a failed request is forgotten and the credential built anew, so the next attempt really asks", async () => {
  const fake = new FakeCredential();
  const fresh = new FakeCredential();
  const source = new TokenSource(fake.resolved, SETTINGS, () => fresh.resolved);
  const first = caller(source, T0 + 10_000);
  await jest.advanceTimersByTimeAsync(0);
  fake.requests[0].reject(new Error("temporarily_unavailable"));
  await jest.advanceTimersByTimeAsync(0);
  expect(first.error).toBeInstanceOf(TokenRequestError);

  const second = caller(source, T0 + 10_000);
  await jest.advanceTimersByTimeAsync(0);
  expect(fake.requests).toHaveLength(1);
  expect(fresh.requests).toHaveLength(1);
  fresh.answer(0);
  await jest.advanceTimersByTimeAsync(0);
  expect(second.token).toBe("token-0");
});

it("a credential that can no longer be built keeps the old one", async () => {
  const fake = new FakeCredential();
  const source = new TokenSource(fake.resolved, SETTINGS, () => {
    throw new Error("the certificate file is gone");
  });
  const first = caller(source, T0 + 10_000);
  await jest.advanceTimersByTimeAsync(0);
  fake.requests[0].reject(new Error("boom"));
  await jest.advanceTimersByTimeAsync(0);
  expect(first.error).toBeInstanceOf(TokenRequestError);
  const second = caller(source, T0 + 10_000);
  await jest.advanceTimersByTimeAsync(0);
  fake.answer(1);
  await jest.advanceTimersByTimeAsync(0);
  expect(second.token).toBe("token-1");
});

it("an expired token is asked for again", async () => {
  const fake = new FakeCredential();
  const source = new TokenSource(fake.resolved, SETTINGS);
  const first = caller(source, T0 + 10_000);
  await jest.advanceTimersByTimeAsync(0);
  fake.requests[0].resolve({ token: "short", expiresOnTimestamp: Date.now() + 6 * 60_000 });
  await jest.advanceTimersByTimeAsync(0);
  expect(first.token).toBe("short");
  await jest.advanceTimersByTimeAsync(2 * 60_000); // within five minutes of expiry now
  const second = caller(source, Date.now() + 10_000);
  await jest.advanceTimersByTimeAsync(0);
  expect(fake.requests).toHaveLength(2);
  fake.answer(1);
  await jest.advanceTimersByTimeAsync(0);
  expect(second.token).toBe("token-1");
});
