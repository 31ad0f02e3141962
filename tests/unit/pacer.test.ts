/**
 * Pacing: many resources in one deployment queue for Graph's budget (5 per 10 s by default) instead of
 * collecting 429 answers. Time is faked, so the tests assert order and counts, never speed.
 */
import { Pacer } from "../../src/graph/pacer";
import { GRAPH_PROVISION_ON_DEMAND_LIMIT } from "../../src/graph/settings";

describe("the default budget", () => {
  it("is Graph's documented 5 requests per 10 seconds", () => {
    expect(GRAPH_PROVISION_ON_DEMAND_LIMIT).toEqual({ count: 5, windowMs: 10_000 });
  });
});

describe("Pacer", () => {
  it("counts a request that has not been answered as sent now, for up to 2 s", async () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    const pacer = new Pacer({ count: 1, windowMs: 100 });
    const started = Date.now();
    await pacer.acquire("k"); // never settled: its answer is slow
    let second: number | undefined;
    void pacer.acquire("k").then(() => (second = Date.now()));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(second).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1_500);
    expect(second).toBeGreaterThanOrEqual(started + 2_000 + 100);
    jest.useRealTimers();
  });

  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  /**
   * Starts `n` acquisitions for `key` at once; records, per acquisition, when it was let through.
   * Each request is answered at once (its slot settled when granted).
   */
  function burst(pacer: Pacer, key: string, n: number): { granted: (number | undefined)[]; order: number[] } {
    const granted: (number | undefined)[] = Array.from({ length: n }, () => undefined);
    const order: number[] = [];
    for (let i = 0; i < n; i++) {
      void pacer.acquire(key).then((slot) => {
        slot.settle();
        granted[i] = Date.now();
        order.push(i);
      });
    }
    return { granted, order };
  }

  it("never lets more than `count` requests into any window, and serves them in arrival order", async () => {
    const limit = { count: 3, windowMs: 200 };
    const pacer = new Pacer(limit);
    const { granted, order } = burst(pacer, "tenant/app", 7);
    await jest.advanceTimersByTimeAsync(5_000);

    expect(granted.every((t) => t !== undefined)).toBe(true);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const times = granted as number[];
    // Any `count + 1` consecutive grants span at least one window.
    for (let i = 0; i + limit.count < times.length; i++) {
      expect(times[i + limit.count] - times[i]).toBeGreaterThanOrEqual(limit.windowMs);
    }
    // And no window starting at a grant holds more than `count` grants.
    for (const start of times) {
      expect(times.filter((t) => t >= start && t < start + limit.windowMs).length).toBeLessThanOrEqual(
        limit.count,
      );
    }
  });

  it("lets the first `count` through at once and holds the next until the window has passed", async () => {
    const pacer = new Pacer({ count: 3, windowMs: 200 });
    const started = Date.now();
    const { granted } = burst(pacer, "tenant/app", 4);
    await jest.advanceTimersByTimeAsync(0);
    expect(granted.slice(0, 3)).toEqual([started, started, started]);
    expect(granted[3]).toBeUndefined();

    await jest.advanceTimersByTimeAsync(199);
    expect(granted[3]).toBeUndefined();

    await jest.advanceTimersByTimeAsync(1_000);
    expect(granted[3]).toBeGreaterThanOrEqual(started + 200);
  });

  it("frees a slot once an old request leaves the window", async () => {
    const pacer = new Pacer({ count: 1, windowMs: 1_000 });
    await pacer.acquire("k");
    await jest.advanceTimersByTimeAsync(5_000);
    const { granted } = burst(pacer, "k", 1);
    await jest.advanceTimersByTimeAsync(0);
    expect(granted[0]).toBe(Date.now());
  });

  it("counts a slot from when its answer arrived, so a slow request cannot open the next window early", async () => {
    const pacer = new Pacer({ count: 1, windowMs: 1_000 });
    const slot = await pacer.acquire("k");
    const sentAt = Date.now();
    await jest.advanceTimersByTimeAsync(600); // the request took 600 ms to be answered
    slot.settle();
    const answeredAt = Date.now();
    const { granted } = burst(pacer, "k", 1);
    await jest.advanceTimersByTimeAsync(1_000 + 150 - 600); // when a send-time window would have freed
    expect(granted[0]).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(granted[0]).toBeGreaterThanOrEqual(answeredAt + 1_000);
    expect(granted[0]).toBeGreaterThan(sentAt + 1_150);
  });

  it("keeps one budget per key: a busy tenant/app does not hold back another", async () => {
    const pacer = new Pacer({ count: 1, windowMs: 10_000 });
    const first = burst(pacer, "tenant-a/app", 2);
    const other = burst(pacer, "tenant-b/app", 1);
    await jest.advanceTimersByTimeAsync(0);
    expect(first.granted[0]).toBeDefined();
    expect(other.granted[0]).toBeDefined();
    expect(first.granted[1]).toBeUndefined();
    expect(pacer.inFlightWindow("tenant-a/app")).toBe(1);
    expect(pacer.inFlightWindow("tenant-b/app")).toBe(1);

    await jest.advanceTimersByTimeAsync(20_000);
    expect(first.granted[1]).toBeGreaterThanOrEqual((first.granted[0] as number) + 10_000);
  });

  it("pause() holds every request for that key until the given time, and no other key", async () => {
    const pacer = new Pacer({ count: 5, windowMs: 10_000 });
    const until = Date.now() + 3_000;
    pacer.pause("throttled", until);
    const held = burst(pacer, "throttled", 2);
    const free = burst(pacer, "other", 1);

    await jest.advanceTimersByTimeAsync(2_999);
    expect(held.granted).toEqual([undefined, undefined]);
    expect(free.granted[0]).toBeDefined();

    await jest.advanceTimersByTimeAsync(1_000);
    expect(held.granted[0]).toBeGreaterThanOrEqual(until);
    expect(held.granted[1]).toBeGreaterThanOrEqual(until);
  });

  it("a shorter pause never shortens a longer one", async () => {
    const pacer = new Pacer({ count: 5, windowMs: 10_000 });
    const started = Date.now();
    pacer.pause("k", started + 5_000);
    pacer.pause("k", started + 1_000);
    const { granted } = burst(pacer, "k", 1);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(granted[0]).toBeGreaterThanOrEqual(started + 5_000);
  });

  it("with pacing off, every request goes at once", async () => {
    const pacer = new Pacer(undefined);
    const { granted } = burst(pacer, "k", 50);
    await jest.advanceTimersByTimeAsync(0);
    expect(granted.every((t) => t === Date.now())).toBe(true);
  });
});

describe("Pacer on the real clock", () => {
  it("with 3 per 200 ms, the 4th of 7 acquisitions starts no earlier than one window after the 1st", async () => {
    const pacer = new Pacer({ count: 3, windowMs: 200 });
    const granted: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, () => pacer.acquire("k").then(() => granted.push(Date.now()))),
    );
    expect(granted).toHaveLength(7);
    for (let i = 0; i + 3 < granted.length; i++) {
      expect(granted[i + 3] - granted[i]).toBeGreaterThanOrEqual(200);
    }
  });
});
