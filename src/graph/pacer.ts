/**
 * The pacer keeps provisionOnDemand POSTs under Graph's documented limit (5 requests per 10 seconds)
 * so that many resources in one deployment queue politely instead of collecting 429 answers.
 * One pacer serves the whole provider process; each tenant + app pair gets its own window.
 */

/** A request budget: at most `count` requests in any `windowMs` milliseconds. */
export interface RateLimit {
  /** Requests allowed per window. */
  readonly count: number;
  /** The window length in milliseconds. */
  readonly windowMs: number;
}

/** Graph's documented limit for provisionOnDemand: 5 requests per 10 seconds. */
export const GRAPH_PROVISION_ON_DEMAND_LIMIT: RateLimit = { count: 5, windowMs: 10_000 };

/** Extra room added to each window, so clock jitter and network delay do not land a request early. */
const SAFETY_MARGIN_MS = 150;

/**
 * Parses `"5/10s"`, `"10/500ms"`, `"30/1m"` or `"off"`. Returns `undefined` for "off"; throws a
 * message naming the expected form otherwise.
 */
export function parseRateLimit(text: string): RateLimit | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "off" || trimmed === "none" || trimmed === "false") return undefined;
  const match = /^(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*(ms|s|m)$/.exec(trimmed);
  if (!match || Number(match[1]) < 1 || Number(match[2]) <= 0) {
    throw new Error(
      `rate limit "${text}" is not of the form COUNT/WINDOW (e.g. "5/10s", "10/500ms") or "off"`,
    );
  }
  const unit = { ms: 1, s: 1000, m: 60_000 }[match[3] as "ms" | "s" | "m"];
  return { count: Number(match[1]), windowMs: Number(match[2]) * unit };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A booked request. `settle()` once its answer arrived: the slot then counts from that moment. */
export interface PacerSlot {
  /** Re-stamps the slot to now. Graph counts a request when it arrives, which is no later than its answer. */
  settle(): void;
}

/**
 * A sliding-window pacer: `acquire(key)` resolves when a request for `key` may be sent.
 * Each slot is booked when the request is released and re-stamped when its answer arrives, so a
 * request that was slow to reach the server (a TLS handshake, a busy machine) cannot make the next
 * window start too early.
 */
export class Pacer {
  private readonly sent = new Map<string, { at: number }[]>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly blockedUntil = new Map<string, number>();

  /** @param limit the budget per key; `undefined` turns pacing off. */
  constructor(private readonly limit: RateLimit | undefined) {}

  /** Waits, in arrival order, until one more request for `key` fits the budget, and books it. */
  acquire(key: string): Promise<PacerSlot> {
    if (!this.limit) return Promise.resolve({ settle: () => {} });
    const previous = this.queues.get(key) ?? Promise.resolve();
    const turn = previous.then(() => this.waitForSlot(key));
    this.queues.set(key, turn);
    return turn;
  }

  /** Holds every request for `key` until `untilMs` (epoch ms): the server said Retry-After. */
  pause(key: string, untilMs: number): void {
    this.blockedUntil.set(key, Math.max(untilMs, this.blockedUntil.get(key) ?? 0));
  }

  /** How many requests are booked in the current window for `key` (for tests and benchmarks). */
  inFlightWindow(key: string): number {
    const { windowMs } = this.limit ?? { windowMs: 0 };
    return (this.sent.get(key) ?? []).filter((slot) => slot.at > Date.now() - windowMs).length;
  }

  private async waitForSlot(key: string): Promise<PacerSlot> {
    const { count, windowMs } = this.limit!;
    const window = windowMs + SAFETY_MARGIN_MS;
    for (;;) {
      const now = Date.now();
      const slots = (this.sent.get(key) ?? []).filter((slot) => slot.at > now - window);
      this.sent.set(key, slots);
      const blocked = (this.blockedUntil.get(key) ?? 0) - now;
      if (blocked > 0) {
        await sleep(blocked);
        continue;
      }
      if (slots.length < count) {
        const slot = { at: now };
        slots.push(slot);
        return { settle: () => void (slot.at = Math.max(slot.at, Date.now())) };
      }
      // The window frees up when enough of the oldest slots have aged out of it.
      const stamps = slots.map((slot) => slot.at).sort((a, b) => a - b);
      await sleep(stamps[slots.length - count] + window - now);
    }
  }
}
