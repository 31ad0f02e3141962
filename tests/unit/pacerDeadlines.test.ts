/**
 * The pacer and the callers' deadlines: nobody waits for Graph's budget past its own create timeout,
 * a caller that gives up does not hold back the callers behind it, a Retry-After longer than a
 * caller's deadline fails that caller at once, and 429s caused by someone else slow the pace down
 * (to a floor) until answered requests win it back. Time is faked.
 */
import { TimeoutExceededError } from "../../src/graph/errors";
import { Pacer, type AcquireOptions } from "../../src/graph/pacer";

const T0 = 1_700_000_000_000;
/** The pacer's safety margin per window (pacer.ts): a window frees up this much after `windowMs`. */
const MARGIN = 150;
const TARGET = {
  operation: "provisionOnDemand",
  servicePrincipalId: "sp",
  jobId: "job",
  subjects: "User 1b2c…",
};

beforeEach(() => jest.useFakeTimers({ now: T0 }));
afterEach(() => {
  expect(jest.getTimerCount()).toBe(0); // nothing left behind once every caller is served or gone
  jest.useRealTimers();
});

/**
 * One acquisition, recording when (ms after T0) it was served or rejected, and with what. Its request
 * is answered at once (the slot is settled when served), as an emulator on the same machine would.
 */
function waiter(pacer: Pacer, key: string, options: AcquireOptions = {}) {
  const seen: { servedAt?: number; rejectedAt?: number; error?: Error } = {};
  void pacer.acquire(key, options).then(
    (slot) => {
      slot.settle();
      seen.servedAt = Date.now() - T0;
    },
    (error: Error) => {
      seen.rejectedAt = Date.now() - T0;
      seen.error = error;
    },
  );
  return seen;
}

/** Fills the key's window with `count` requests answered at T0. */
async function fill(pacer: Pacer, key: string, count: number) {
  for (let i = 0; i < count; i++) (await pacer.acquire(key)).settle();
}

describe("a waiter whose deadline passes while it is queued", () => {
  it("is rejected no later than its deadline with a TimeoutExceededError saying it waited for Graph's rate limit", async () => {
    const pacer = new Pacer({ count: 1, windowMs: 1_000 });
    await fill(pacer, "k", 1);
    const ahead = waiter(pacer, "k"); // takes the slot that frees at 1 150 ms
    const late = waiter(pacer, "k", { deadline: T0 + 2_000, target: TARGET, timeoutSeconds: 2 });

    await jest.advanceTimersByTimeAsync(1_149);
    expect(late.rejectedAt).toBeUndefined(); // it might still have been served: not given up early
    await jest.advanceTimersByTimeAsync(5_000);

    expect(ahead.servedAt).toBe(1_000 + MARGIN);
    expect(late.servedAt).toBeUndefined();
    expect(late.rejectedAt).toBeLessThanOrEqual(2_000);
    expect(late.error).toBeInstanceOf(TimeoutExceededError);
    expect(late.error).toMatchObject({ code: "Timeout", timeoutSeconds: 2, attempts: 0, target: TARGET });
    expect(late.error!.message).toMatch(
      /^provisionOnDemand did not succeed within the create timeout of 2s while waiting for Graph's rate limit \(1\/1s; /,
    );
    expect(late.error!.message).toContain("[job job, service principal sp, subjects User 1b2c…]");
  });

  it("is rejected as soon as its wait grows past its deadline (a 429 slowed the pace), not when the old wait ends", async () => {
    const pacer = new Pacer({ count: 1, windowMs: 1_000 });
    await fill(pacer, "k", 1);
    // Expected to be served at 1 150 ms: queued without complaint.
    const slowed = waiter(pacer, "k", { deadline: T0 + 1_500 });
    const patient = waiter(pacer, "k");
    await jest.advanceTimersByTimeAsync(100);
    expect(slowed.rejectedAt).toBeUndefined();
    pacer.throttled("k"); // the window is now 2 000 + 150 ms
    await jest.advanceTimersByTimeAsync(0);
    expect(slowed.rejectedAt).toBe(100);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(patient.servedAt).toBe(2_000 + MARGIN);
    expect(slowed.error).toBeInstanceOf(TimeoutExceededError);
    expect(slowed.error!.message).toMatch(/while waiting for Graph's rate limit/);
    expect(slowed.error!.message).toMatch(/slowed to 50 %/);
  });

  it("does not hold back the waiters behind it: they are served when the window frees, as if it had never queued", async () => {
    const pacer = new Pacer({ count: 2, windowMs: 1_000 });
    await fill(pacer, "k", 2);
    const first = waiter(pacer, "k", { deadline: T0 + 600 });
    const second = waiter(pacer, "k", { deadline: T0 + 900 });
    const patient = waiter(pacer, "k");
    const alsoPatient = waiter(pacer, "k", { deadline: T0 + 60_000 });
    await jest.advanceTimersByTimeAsync(10_000);

    expect(first.error).toBeInstanceOf(TimeoutExceededError);
    expect(second.error).toBeInstanceOf(TimeoutExceededError);
    expect(first.rejectedAt).toBeLessThanOrEqual(600);
    expect(second.rejectedAt).toBeLessThanOrEqual(900);
    // Both freed slots go to those still waiting: none is kept for the callers that gave up.
    expect(patient.servedAt).toBe(1_000 + MARGIN);
    expect(alsoPatient.servedAt).toBe(1_000 + MARGIN);
  });

  it("a waiter that gives up in the middle of the queue lets the one behind it take its turn", async () => {
    const pacer = new Pacer({ count: 1, windowMs: 1_000 });
    await fill(pacer, "k", 1);
    const head = waiter(pacer, "k"); // 1 150
    const middle = waiter(pacer, "k", { deadline: T0 + 2_000 }); // would be 2 300: cannot make it
    const tail = waiter(pacer, "k"); // takes the middle one's turn
    await jest.advanceTimersByTimeAsync(10_000);

    expect(head.servedAt).toBe(1_150);
    expect(middle.rejectedAt).toBeLessThanOrEqual(2_000);
    expect(tail.servedAt).toBe(2 * (1_000 + MARGIN));
  });

  it("is served normally when its turn comes before its deadline", async () => {
    const pacer = new Pacer({ count: 1, windowMs: 1_000 });
    await fill(pacer, "k", 1);
    const inTime = waiter(pacer, "k", { deadline: T0 + 1_200 });
    await jest.advanceTimersByTimeAsync(5_000);
    expect(inTime).toEqual({ servedAt: 1_150 });
  });

  it("a deadline that has already passed is rejected at once, even with room in the window", async () => {
    const pacer = new Pacer({ count: 5, windowMs: 1_000 });
    await fill(pacer, "k", 5);
    const gone = waiter(pacer, "k", { deadline: T0 - 1 });
    await jest.advanceTimersByTimeAsync(0);
    expect(gone.rejectedAt).toBe(0);
    await jest.advanceTimersByTimeAsync(5_000);
  });
});

describe("a pause (Retry-After) and the callers' deadlines", () => {
  it("a pause longer than a caller's deadline rejects that caller at once, saying Graph asked to retry later", async () => {
    const pacer = new Pacer({ count: 4, windowMs: 1_000 });
    const short = waiter(pacer, "k", { deadline: T0 + 5_000, target: TARGET, timeoutSeconds: 5 });
    await jest.advanceTimersByTimeAsync(0);
    expect(short.servedAt).toBe(0); // served before the 429

    const queuedShort = waiter(pacer, "k", { deadline: T0 + 5_000, timeoutSeconds: 5 });
    const queuedLong = waiter(pacer, "k", { deadline: T0 + 60_000 });
    const noDeadline = waiter(pacer, "k");
    await jest.advanceTimersByTimeAsync(0);
    expect([queuedShort.servedAt, queuedLong.servedAt, noDeadline.servedAt]).toEqual([0, 0, 0]);

    // The window is full until 1 150 ms: these two queue, both able to wait that long.
    const late = waiter(pacer, "k", { deadline: T0 + 5_000, timeoutSeconds: 5 });
    const patient = waiter(pacer, "k", { deadline: T0 + 60_000 });
    await jest.advanceTimersByTimeAsync(500);
    expect([late.rejectedAt, patient.rejectedAt]).toEqual([undefined, undefined]);
    pacer.pause("k", T0 + 30_000); // a 429 with Retry-After: 29.5
    await jest.advanceTimersByTimeAsync(0);
    expect(late.rejectedAt).toBe(500);
    expect(late.error).toBeInstanceOf(TimeoutExceededError);
    expect(late.error!.message).toMatch(/while waiting for Graph's rate limit/);
    expect(late.error!.message).toMatch(/Retry-After/);
    expect(patient.rejectedAt).toBeUndefined();

    await jest.advanceTimersByTimeAsync(29_499);
    expect(patient.servedAt).toBeUndefined(); // held until the pause ends
    await jest.advanceTimersByTimeAsync(1);
    expect(patient.servedAt).toBe(30_000);
  });

  it("holds only the callers that will still be waiting when it ends; those that cannot are let go at once", async () => {
    const pacer = new Pacer({ count: 10, windowMs: 1_000 });
    pacer.pause("k", T0 + 10_000);
    const callers = [2_000, 20_000, 5_000, undefined, 9_999, 10_001].map((ms) =>
      waiter(pacer, "k", ms === undefined ? {} : { deadline: T0 + ms }),
    );
    await jest.advanceTimersByTimeAsync(0);
    expect(callers.map((c) => c.rejectedAt)).toEqual([0, undefined, 0, undefined, 0, undefined]);

    await jest.advanceTimersByTimeAsync(10_000);
    expect(callers.map((c) => c.servedAt)).toEqual([undefined, 10_000, undefined, 10_000, undefined, 10_000]);
  });

  it("a caller that arrives during a pause it cannot outwait is rejected at once; the queue keeps its order", async () => {
    const pacer = new Pacer({ count: 1, windowMs: 1_000 });
    pacer.pause("k", T0 + 3_000);
    const a = waiter(pacer, "k");
    await jest.advanceTimersByTimeAsync(1_000);
    const b = waiter(pacer, "k", { deadline: T0 + 2_500 });
    const c = waiter(pacer, "k");
    await jest.advanceTimersByTimeAsync(0);
    expect(b.rejectedAt).toBe(1_000);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(a.servedAt).toBe(3_000);
    expect(c.servedAt).toBe(3_000 + 1_000 + MARGIN);
  });
});

describe("adaptive pace: 429s caused by another client slow the key down, answers win it back", () => {
  it("throttled() halves the pace down to the floor, and only for that key", () => {
    const pacer = new Pacer({ count: 5, windowMs: 10_000 });
    expect(pacer.paceOf("k")).toBe(1);
    const paces = [1, 2, 3, 4].map(() => {
      pacer.throttled("k");
      return pacer.paceOf("k");
    });
    expect(paces).toEqual([0.5, 0.25, 0.25, 0.25]);
    expect(pacer.paceOf("other")).toBe(1);
  });

  it("a slowed pace stretches the window: half the pace, twice the wait", async () => {
    const pacer = new Pacer({ count: 1, windowMs: 1_000 });
    await fill(pacer, "k", 1);
    pacer.throttled("k");
    const next = waiter(pacer, "k");
    await jest.advanceTimersByTimeAsync(10_000);
    expect(next.servedAt).toBe(2_000 + MARGIN);
  });

  it("each answered request wins back part of the pace until it is full again, never more", async () => {
    const pacer = new Pacer({ count: 100, windowMs: 1_000 });
    pacer.throttled("k");
    pacer.throttled("k");
    const paces: number[] = [];
    for (let i = 0; i < 30; i++) {
      const slot = pacer.acquire("k");
      await jest.advanceTimersByTimeAsync(1_000); // slowed down, requests leave spread out
      (await slot).settle();
      paces.push(pacer.paceOf("k"));
    }
    expect(paces[0]).toBeGreaterThan(0.25);
    for (let i = 1; i < paces.length; i++) expect(paces[i]).toBeGreaterThanOrEqual(paces[i - 1]);
    expect(paces[paces.length - 1]).toBe(1);
    expect(Math.max(...paces)).toBe(1);
  });

  it("a booked request that is not answered yet wins nothing back", async () => {
    const pacer = new Pacer({ count: 100, windowMs: 1_000 });
    pacer.throttled("k");
    const booked = Promise.all([1, 2, 3].map(() => pacer.acquire("k")));
    await jest.advanceTimersByTimeAsync(10_000);
    const slots = await booked;
    expect(pacer.paceOf("k")).toBe(0.5);
    slots[0].settle();
    expect(pacer.paceOf("k")).toBeGreaterThan(0.5);
  });

  it("slowed down, requests leave spread evenly over the window instead of in bursts; at full pace, in bursts", async () => {
    const pacer = new Pacer({ count: 5, windowMs: 2_000 });
    const full = Array.from({ length: 5 }, () => waiter(pacer, "full"));
    pacer.throttled("slowed"); // window 4 000 + 150 ms: one request per 830 ms, then less as it recovers
    const slowed = Array.from({ length: 5 }, () => waiter(pacer, "slowed"));
    await jest.advanceTimersByTimeAsync(10_000);

    expect(full.map((w) => w.servedAt)).toEqual([0, 0, 0, 0, 0]);
    const times = slowed.map((w) => w.servedAt!);
    expect(times[0]).toBe(0);
    // Each gap is window / count at the pace when it began: 50 %, then 55, 60, 65 as answers win pace back.
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    const expected = [0.5, 0.55, 0.6, 0.65].map((pace) => (2_000 / pace + MARGIN) / 5);
    gaps.forEach((gap, i) => expect(Math.abs(gap - expected[i])).toBeLessThanOrEqual(1));
    // Still no more than `count` in a (stretched) window.
    expect(times[4] - times[0]).toBeLessThan(4_000 + MARGIN);
  });

  it("with pacing off, throttled() and pause() change nothing", async () => {
    const pacer = new Pacer(undefined);
    pacer.throttled("k");
    pacer.pause("k", T0 + 60_000);
    expect(pacer.paceOf("k")).toBe(1);
    const free = waiter(pacer, "k", { deadline: T0 + 1 });
    await jest.advanceTimersByTimeAsync(0);
    expect(free.servedAt).toBe(0);
  });
});
