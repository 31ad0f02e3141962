/**
 * The pacer keeps provisionOnDemand POSTs under Graph's documented limit (5 requests per 10 seconds)
 * so that many resources in one deployment queue politely instead of collecting 429 answers.
 * One pacer serves the whole provider process; each tenant + app pair gets its own window.
 */
import type { RateLimit } from "../duration";

/** Extra room added to each window, so clock jitter and network delay do not land a request early. */
const SAFETY_MARGIN_MS = 150;

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
