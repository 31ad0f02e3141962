/**
 * A bounded fault soak: 100 creates (distinct users, in waves of 20 at once, each wave on a fresh
 * credential so that it asks the login host for a token) against an emulator that meets them with
 * faults chosen at random from a fixed seed: 429 with and without Retry-After, 500/502/503/504,
 * connection resets and hanging POSTs, and a hanging or 5xx token endpoint. Create timeouts are short.
 *
 * Every create must end within its timeout (plus a small margin), and either succeed — its user then
 * in the emulated target exactly once — or fail with a ProvisionOnDemandError whose message is
 * bounded, holds no secret and, when an HTTP answer came, names it by its ids. Afterwards no timer,
 * socket or child process may be left behind.
 */
import { createHook } from "node:async_hooks";
import { inspect } from "node:util";
import type { FaultSpec, RunningEmulator } from "../../src/emulator";
import {
  GraphRequestError,
  ProvisionOnDemandError,
  TokenRequestError,
  UnreadableResponseError,
} from "../../src/graph/errors";
import * as provider from "../../src/provider";
import { startTestEmulator } from "../support/emulator";
import { CLIENT_SECRET, IDS } from "../support/ids";
import { checkAndCreate, configureRequest, emulatorConfig, inputsFor } from "../support/provider";
import { user } from "../support/subjects";

jest.setTimeout(90_000);

const SEED = 0x5eed_2026;
const CREATES = 100;
const WAVE = 20;
/** How many credentials the waves take turns with. */
const CREDENTIALS = 2;
/** How far past its timeout a create may end: the engine's view of "within the timeout". */
const MARGIN_MS = 1_500;
/** Longest error message accepted (a Pulumi diagnostic, not a dump). */
const MAX_MESSAGE_CHARS = 4_096;
const POST_PATH = "provisionOnDemand$";
const TOKEN_PATH = "/oauth2/v2.0/token$";

/** mulberry32: a small seeded PRNG, so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];

/** The POST faults a wave may meet. */
const POST_FAULTS: readonly ((rng: Rng) => FaultSpec)[] = [
  () => ({ path: POST_PATH, method: "POST", status: 429, retryAfterSeconds: 1 }),
  () => ({ path: POST_PATH, method: "POST", status: 429 }),
  () => ({ path: POST_PATH, method: "POST", status: 429, retryAfterSeconds: 30 }), // past every timeout
  (rng) => ({ path: POST_PATH, method: "POST", status: pick(rng, [500, 502, 503, 504]) }),
  (rng) => ({
    path: POST_PATH,
    method: "POST",
    status: pick(rng, [500, 502, 503, 504]),
    retryAfterSeconds: 1,
  }),
  () => ({ path: POST_PATH, method: "POST", action: "reset" }),
  () => ({ path: POST_PATH, method: "POST", action: "hang" }),
];

/** A hanging token endpoint. */
const TOKEN_HANG: FaultSpec = { path: TOKEN_PATH, method: "POST", action: "hang" };
/** A token endpoint answering 5xx `count` times. */
const token5xx = (rng: Rng, count: number): FaultSpec => ({
  path: TOKEN_PATH,
  method: "POST",
  status: pick(rng, [500, 502, 503, 504]),
  count,
});

/**
 * The token fault of a wave. The first waves each bring a fresh credential, so each asks for a token:
 * one meets a hanging login host, another 5xx answers (in an order the seed decides). Later waves
 * reuse those credentials and ask only when the earlier wave got no token: they may meet anything.
 */
function tokenFaultsFor(rng: Rng, waves: number): (FaultSpec | undefined)[] {
  const first = rng() < 0.5 ? [TOKEN_HANG, token5xx(rng, 2)] : [token5xx(rng, 2), TOKEN_HANG];
  const later = Array.from({ length: waves - first.length }, () => {
    const roll = rng();
    return roll < 0.3 ? TOKEN_HANG : roll < 0.7 ? token5xx(rng, pick(rng, [1, 3, 5])) : undefined;
  });
  return [...first, ...later];
}

/** What one create did. */
interface Outcome {
  readonly userId: string;
  readonly timeoutSeconds: number;
  readonly elapsedMs: number;
  readonly result?: string;
  readonly error?: unknown;
}

/** The error itself and its causes, outermost first. */
function chain(error: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = error; e !== undefined && out.length < 10; e = (e as { cause?: unknown }).cause) out.push(e);
  return out;
}

/** Handles other than timers (sockets, servers, child processes) by type, as Node lists them. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo())
    if (!["Timeout", "Immediate", "FSReqCallback"].includes(type)) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/**
 * Watches the timers created from now on. `armed()` lists (by where they were set) those still pending
 * that keep the process alive; unref'd ones, such as Node's HTTP date cache, do not count.
 */
function watchTimers(): { armed(): string[]; stop(): void } {
  const timers = new Map<number, { hasRef?: () => boolean }>();
  const stacks = new Map<number, string>();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (type !== "Timeout") return;
      timers.set(id, resource as { hasRef?: () => boolean });
      stacks.set(id, (new Error().stack ?? "").split("\n").slice(3, 12).join("\n"));
    },
    destroy(id) {
      timers.delete(id);
      stacks.delete(id);
    },
  }).enable();
  return {
    armed: () =>
      [...timers.entries()].filter(([, t]) => t.hasRef?.() ?? true).map(([id]) => stacks.get(id) ?? ""),
    stop: () => hook.disable(),
  };
}

/** Waits `ms` on a timer that does not count as left behind. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

it(`${CREATES} creates against random faults (seed ${SEED}): each ends in time, succeeds once or fails cleanly; nothing is left behind`, async () => {
  const started = Date.now();
  const before = handles();
  const timers = watchTimers();
  const stderr: string[] = [];
  const write = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  });
  const rng = random(SEED);
  const outcomes: Outcome[] = [];
  const tokenFaults = tokenFaultsFor(rng, Math.ceil(CREATES / WAVE));
  let emulator: RunningEmulator | undefined;
  try {
    emulator = await startTestEmulator({ rateLimit: "off", groupMembers: CREATES });
    const em = emulator;
    expect(em.clientSecret).toBe(CLIENT_SECRET);
    const users = em.fixture.userIds;
    expect(new Set(users).size).toBe(CREATES);

    for (let wave = 0; wave * WAVE < CREATES; wave++) {
      // Three credentials (distinct settings, so distinct clients) in turn: the first waves ask for a
      // token and meet the token faults; the later ones reuse a credential an earlier wave left behind,
      // perhaps with a token request abandoned on a hung login host.
      await provider.configure(
        configureRequest(
          emulatorConfig(em, {
            "provisionOnDemand:replicationWindowSeconds": String(120 + (wave % CREDENTIALS)),
          }),
        ),
      );
      const token = tokenFaults[wave];
      if (token) await em.admin.addFault(token);
      const faults = Array.from({ length: 6 + Math.floor(rng() * 7) }, () => pick(rng, POST_FAULTS)(rng));
      // Some faults wait in place before the wave, the others arrive while it runs.
      const early = faults.filter(() => rng() < 0.5);
      for (const fault of early) await em.admin.addFault(fault);
      const late = faults
        .filter((f) => !early.includes(f))
        .map((fault) => ({ fault, afterMs: Math.floor(rng() * 800) }));

      const creates = users.slice(wave * WAVE, (wave + 1) * WAVE).map(async (userId) => {
        const timeoutSeconds = 3 + Math.floor(rng() * 4); // 3–6 s
        const startAfterMs = Math.floor(rng() * 500);
        await new Promise((resolve) => setTimeout(resolve, startAfterMs));
        const t = Date.now();
        try {
          const { outs } = await checkAndCreate(
            provider,
            inputsFor(em, [user(userId)], { createTimeoutSeconds: timeoutSeconds }),
          );
          outcomes.push({ userId, timeoutSeconds, elapsedMs: Date.now() - t, result: String(outs.result) });
        } catch (error) {
          outcomes.push({ userId, timeoutSeconds, elapsedMs: Date.now() - t, error });
        }
      });
      const injections = late.map(async ({ fault, afterMs }) => {
        await new Promise((resolve) => setTimeout(resolve, afterMs));
        await em.admin.addFault(fault);
      });
      await Promise.all([...creates, ...injections]);
      await em.admin.clearFaults(); // what this wave did not meet does not spill into the next
    }

    const byKind: Record<string, number> = {};
    for (const o of outcomes) {
      const kind = o.error === undefined ? "Success" : (o.error as Error).name;
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    }
    const faultsMet: Record<string, number> = {};
    for (const entry of (await em.admin.requests()).filter((e) => e.fault !== undefined)) {
      const kind = `${entry.kind} ${entry.fault}${entry.status ? ` ${entry.status}` : ""}`;
      faultsMet[kind] = (faultsMet[kind] ?? 0) + 1;
    }
    write.mockRestore();
    console.log(
      `fault soak (seed ${SEED}): ${JSON.stringify(byKind)}; token faults by wave: ${tokenFaults.map((f) => (f ? (f.action ?? `${f.status}×${f.count}`) : "none")).join(", ")};` +
        ` faults met: ${JSON.stringify(faultsMet)};` +
        ` ${Math.round((Date.now() - started) / 1000)} s`,
    );

    // Every create ended within its timeout.
    expect(outcomes).toHaveLength(CREATES);
    const overdue = outcomes.filter((o) => o.elapsedMs > o.timeoutSeconds * 1000 + MARGIN_MS);
    expect(overdue.map((o) => `${o.userId}: ${o.elapsedMs} ms for ${o.timeoutSeconds}s`)).toEqual([]);

    // Successes are in the target system exactly once.
    const { objects } = await em.admin.target(IDS.servicePrincipalId);
    const succeeded = outcomes.filter((o) => o.error === undefined);
    for (const o of succeeded) {
      expect(o.result).toBe("Success");
      const exported = objects.filter((x) => x.objectId === o.userId);
      expect(exported.map((x) => x.exportCount)).toEqual([1]);
    }
    for (const o of outcomes.filter((x) => x.error !== undefined))
      expect(objects.filter((x) => x.objectId === o.userId).length).toBeLessThanOrEqual(1);

    // Failures are typed, bounded, secret-free, and name the HTTP answer when one came.
    const log = await em.admin.requests();
    const loggedIds = new Set(log.map((entry) => entry.requestId));
    for (const o of outcomes.filter((x) => x.error !== undefined)) {
      const error = o.error as Error;
      expect(error).toBeInstanceOf(ProvisionOnDemandError);
      expect(error.message.length).toBeLessThan(MAX_MESSAGE_CHARS);
      expect(inspect(error, { depth: 10 })).not.toContain(CLIENT_SECRET);
      for (const link of chain(error)) {
        if (
          (link instanceof GraphRequestError && link.status > 0) ||
          link instanceof UnreadableResponseError
        ) {
          expect(link.requestId).toEqual(expect.any(String));
          expect(loggedIds.has(link.requestId!)).toBe(true);
          expect(link.clientRequestId).toEqual(expect.any(String));
        }
        if (link instanceof TokenRequestError && link.status > 0)
          expect(link.correlationId).toEqual(expect.any(String));
      }
    }
    expect(stderr.join("")).not.toContain(CLIENT_SECRET);

    // The faults really were met, and the soak is a soak: both outcomes occur.
    const shaped = log.filter((entry) => entry.fault !== undefined);
    expect(shaped.length).toBeGreaterThanOrEqual(20);
    expect(succeeded.length).toBeGreaterThanOrEqual(CREATES * 0.3);
    expect(succeeded.length).toBeLessThan(CREATES);
  } finally {
    write.mockRestore();
    await emulator?.stop();
  }

  // Nothing is left running: no timer, socket or child process beyond what was there before. A token
  // request abandoned on the hung login host settles once the emulator has closed its socket.
  // Handles are compared by kind, counting only those beyond the ones there before (a jest worker's own
  // may close meanwhile).
  const stopped = Date.now();
  const added = () =>
    Object.fromEntries(
      Object.entries(handles() as Record<string, number>)
        .map(([kind, n]) => [kind, n - ((before as Record<string, number>)[kind] ?? 0)] as const)
        .filter(([, n]) => n > 0),
    );
  const leftOver = () => ({ timers: timers.armed(), handles: added() });
  while ((timers.armed().length > 0 || Object.keys(added()).length > 0) && Date.now() - stopped < 15_000)
    await pause(100);
  timers.stop();
  expect(leftOver()).toEqual({ timers: [], handles: {} });
  console.log(`fault soak: everything settled ${Date.now() - stopped} ms after the emulator stopped`);
  expect(Date.now() - started).toBeLessThan(60_000);
});
