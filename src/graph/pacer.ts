/**
 * The pacer keeps requests under a budget (Graph's documented 5 provisionOnDemand requests per
 * 10 seconds) so that many resources in one deployment queue politely instead of collecting 429
 * answers. One pacer serves the whole provider process; each tenant + app pair (key) has its own
 * sliding window and its own queue, served in arrival order.
 *
 * - Deadlines: a caller whose deadline passes while it waits is rejected at its deadline with a
 *   TimeoutExceededError saying it was waiting for the rate limit; one that cannot be served before
 *   its deadline (a long Retry-After) is rejected at once. Neither holds back the callers behind it.
 * - Retry-After: `pause(key, until)` holds the key's queue until then.
 * - Adaptive: a 429 that arrives although the pacer kept to its budget means another process (a
 *   second `pulumi up` on the same app) spends the same budget. `throttled(key)` then halves the
 *   key's pace (down to a quarter); every answered request wins back 5 % of the full pace. Below the
 *   full pace, requests also leave evenly spread (one per window / count) rather than in bursts of
 *   `count`: two deployments slowed to half each would otherwise still send burst against burst into
 *   the same window and keep drawing 429s (docs/BENCHMARKS.md, "Adaptive pacing").
 */
import type { RateLimit } from "../duration";
import { formatRateLimit } from "../duration";
import { TimeoutExceededError, type GraphCallTarget } from "./errors";

/** Extra room added to each window, so clock jitter and network delay do not land a request early. */
const SAFETY_MARGIN_MS = 150;

/**
 * A request still waiting for its answer may not have reached the server yet (a TLS handshake, a busy
 * machine): until it is answered, or this long after it was released, its slot counts as taken now.
 */
const ARRIVAL_GRACE_MS = 2000;

/** The slowest adaptive pace, as a share of the budget. */
const MIN_PACE = 0.25;
/** How much of the full pace each answered request wins back. */
const PACE_RECOVERY = 0.05;

/** A booked request. `settle()` once its answer arrived: the slot then counts from that moment. */
export interface PacerSlot {
  /** Re-stamps the slot to now. Graph counts a request when it arrives, which is no later than its answer. */
  settle(): void;
}

/** What a caller tells the pacer about itself; every option documents its default. */
export interface AcquireOptions {
  /** When the caller stops waiting (epoch ms). Default: never. */
  readonly deadline?: number;
  /** What the caller's request concerns, for the timeout error. */
  readonly target?: GraphCallTarget;
  /** The caller's create timeout in seconds, for the timeout error. Default: derived from the deadline. */
  readonly timeoutSeconds?: number;
  /** Called once when the caller has to wait, with the expected wait in ms and why. Default: nothing. */
  readonly onWait?: (waitMs: number, reason: string) => void;
}

interface Waiter {
  readonly options: AcquireOptions;
  readonly enqueuedAt: number;
  resolve(slot: PacerSlot): void;
  reject(error: Error): void;
  timer?: ReturnType<typeof setTimeout>;
  told?: boolean;
}

/** One booked request: when it was released, and whether its answer came. */
interface Slot {
  at: number;
  settled: boolean;
}

interface Lane {
  slots: Slot[];
  queue: Waiter[];
  blockedUntil: number;
  pace: number;
  timer?: ReturnType<typeof setTimeout>;
}

/** A sliding-window pacer with per-caller deadlines. `undefined` as the budget turns pacing off. */
export class Pacer {
  private readonly lanes = new Map<string, Lane>();

  /** @param limit the budget per key; `undefined` turns pacing off. */
  constructor(private readonly limit: RateLimit | undefined) {}

  /** Waits, in arrival order, until one more request for `key` fits the budget, and books it. */
  acquire(key: string, options: AcquireOptions = {}): Promise<PacerSlot> {
    if (!this.limit) return Promise.resolve({ settle: () => {} });
    const lane = this.lane(key);
    return new Promise<PacerSlot>((resolve, reject) => {
      const waiter: Waiter = { options, enqueuedAt: Date.now(), resolve, reject };
      if (options.deadline !== undefined && Number.isFinite(options.deadline)) {
        waiter.timer = setTimeout(
          () => this.expire(lane, waiter, `its deadline passed${this.slowedNote(lane)}`),
          Math.max(0, options.deadline - Date.now()),
        );
      }
      lane.queue.push(waiter);
      this.drain(lane);
    });
  }

  /** Holds every request for `key` until `untilMs` (epoch ms): the server said Retry-After. */
  pause(key: string, untilMs: number): void {
    if (!this.limit) return;
    const lane = this.lane(key);
    lane.blockedUntil = Math.max(untilMs, lane.blockedUntil);
    this.drain(lane);
  }

  /** A 429 came although the budget was kept: someone else spends it, so slow down (see the module doc). */
  throttled(key: string): void {
    if (!this.limit) return;
    const lane = this.lane(key);
    lane.pace = Math.max(MIN_PACE, lane.pace / 2);
    // The waits just grew: a caller that can no longer be served before its deadline is told now.
    this.drain(lane);
  }

  /** The share of the budget `key` currently uses: 1 unless 429s slowed it down. */
  paceOf(key: string): number {
    return this.lanes.get(key)?.pace ?? 1;
  }

  /** How many requests are booked in the current window for `key` (for tests and benchmarks). */
  inFlightWindow(key: string): number {
    const { windowMs } = this.limit ?? { windowMs: 0 };
    return (this.lanes.get(key)?.slots ?? []).filter((slot) => slot.at > Date.now() - windowMs).length;
  }

  private lane(key: string): Lane {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { slots: [], queue: [], blockedUntil: 0, pace: 1 };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  /** When the next request of `lane` may go (epoch ms), given its slots, pause and pace. */
  private readyAt(lane: Lane, now: number): number {
    const { count, windowMs } = this.limit!;
    const window = windowMs / lane.pace + SAFETY_MARGIN_MS;
    const stamp = (slot: Slot) => (slot.settled ? slot.at : Math.min(now, slot.at + ARRIVAL_GRACE_MS));
    lane.slots = lane.slots.filter((slot) => stamp(slot) > now - window);
    const stamps = lane.slots.map(stamp).sort((a, b) => a - b);
    const slotFree = stamps.length < count ? now : stamps[stamps.length - count] + window;
    // Slowed down: one request per window / count after the latest, so bursts cannot collide.
    const spread = lane.pace < 1 && stamps.length > 0 ? stamps[stamps.length - 1] + window / count : now;
    return Math.max(now, slotFree, spread, lane.blockedUntil);
  }

  /** Serves the head of the queue while the budget allows; fails callers that cannot be served in time. */
  private drain(lane: Lane): void {
    if (lane.timer) clearTimeout(lane.timer);
    lane.timer = undefined;
    for (;;) {
      const now = Date.now();
      const ready = this.readyAt(lane, now);
      for (const waiter of [...lane.queue]) {
        if ((waiter.options.deadline ?? Infinity) < ready) {
          this.expire(lane, waiter, this.tooLate(lane, now), false);
        }
      }
      const head = lane.queue[0];
      if (!head) return;
      if (ready > now) {
        for (const waiter of lane.queue) this.tellWait(lane, waiter, ready - now);
        lane.timer = setTimeout(() => this.drain(lane), ready - now);
        return;
      }
      lane.queue.shift();
      if (head.timer) clearTimeout(head.timer);
      const slot: Slot = { at: now, settled: false };
      lane.slots.push(slot);
      head.resolve({
        settle: () => {
          slot.at = Math.max(slot.at, Date.now());
          slot.settled = true;
          lane.pace = Math.min(1, lane.pace + PACE_RECOVERY);
        },
      });
    }
  }

  /** Why a caller cannot be served before its deadline: a Retry-After past it, or the (slowed) pace. */
  private tooLate(lane: Lane, now: number): string {
    if (lane.blockedUntil > now) {
      const seconds = Math.ceil((lane.blockedUntil - now) / 1000);
      return `Graph asked to retry later (Retry-After): nothing is sent for ${seconds}s, past this request's deadline`;
    }
    return `it cannot be served before its deadline${this.slowedNote(lane)}`;
  }

  /** ` (slowed to 50 %: …)` while 429s from another client keep the pace down; nothing otherwise. */
  private slowedNote(lane: Lane): string {
    return lane.pace < 1
      ? ` (slowed to ${Math.round(lane.pace * 100)} %: another client uses the same app)`
      : "";
  }

  private tellWait(lane: Lane, waiter: Waiter, waitMs: number): void {
    if (waiter.told || !waiter.options.onWait) return;
    waiter.told = true;
    const queued = lane.queue.indexOf(waiter);
    const why =
      lane.blockedUntil > Date.now()
        ? "Graph asked to retry later (Retry-After)"
        : `Graph's rate limit of ${formatRateLimit(this.limit)}${this.slowedNote(lane)}${queued > 0 ? `, ${queued} request${queued === 1 ? "" : "s"} ahead` : ""}`;
    waiter.options.onWait(waitMs, why);
  }

  /** Rejects `waiter` (if still queued) with a timeout that says it was waiting for the rate limit. */
  private expire(lane: Lane, waiter: Waiter, why: string, redrain = true): void {
    const index = lane.queue.indexOf(waiter);
    if (index < 0) return;
    lane.queue.splice(index, 1);
    if (waiter.timer) clearTimeout(waiter.timer);
    const { deadline, target, timeoutSeconds } = waiter.options;
    waiter.reject(
      new TimeoutExceededError({
        timeoutSeconds: timeoutSeconds ?? Math.round(((deadline ?? Date.now()) - waiter.enqueuedAt) / 1000),
        attempts: 0,
        target,
        waitingFor: `Graph's rate limit (${formatRateLimit(this.limit)}; ${why})`,
      }),
    );
    if (index === 0 && redrain) this.drain(lane);
  }
}
