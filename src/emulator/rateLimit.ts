/**
 * Per-tenant request budgets as a sliding window: at most `count` accepted requests in any
 * `windowMs`. Graph documents 5 requests per 10 seconds for provisionOnDemand; directory reads
 * (group members) have a limit of their own, off by default. Rates are written in the shared grammar of `src/duration.ts` (`"5/10s"`, `"10/500ms"`, `"off"`).
 */
import { formatDuration } from "../duration";
import type { RateLimit } from "../duration";

/** The documented limit of provisionOnDemand: 5 requests per 10 seconds. */
export const DEFAULT_RATE_LIMIT = "5/10s";

/** The default limit of directory reads (group members): none. */
export const DEFAULT_DIRECTORY_READ_RATE_LIMIT = "off";

/** A limit in words for error messages: `"5 requests per 10s"`, or `"unlimited requests"`. */
export function describeRateLimit(limit: RateLimit | undefined): string {
  return limit ? `${limit.count} requests per ${formatDuration(limit.windowMs)}` : "unlimited requests";
}

/** The verdict on one request. */
export type RateDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/** Counts accepted requests per tenant; refused requests do not count. */
export class TenantRateLimiter {
  private readonly accepted = new Map<string, number[]>();

  /** @param rateLimit the limit to enforce; undefined means no limit */
  constructor(private rateLimit: RateLimit | undefined) {}

  /** The limit in force (undefined: no limit). */
  get current(): RateLimit | undefined {
    return this.rateLimit;
  }

  /** Changes the limit; the counts so far are forgotten. */
  set(rateLimit: RateLimit | undefined): void {
    this.rateLimit = rateLimit;
    this.accepted.clear();
  }

  /** Forgets every count. */
  reset(): void {
    this.accepted.clear();
  }

  /**
   * Admits or refuses one request of `tenantId` at `now` (ms). A refusal says how long to wait, in
   * whole seconds rounded up and at least 1, until the oldest counted request leaves the window.
   */
  tryAcquire(tenantId: string, now: number): RateDecision {
    if (this.rateLimit === undefined) return { allowed: true };
    const { count, windowMs } = this.rateLimit;
    const key = tenantId.toLowerCase();
    const times = (this.accepted.get(key) ?? []).filter((time) => time > now - windowMs);
    if (times.length >= count) {
      this.accepted.set(key, times);
      const waitMs = times[0] + windowMs - now;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    times.push(now);
    this.accepted.set(key, times);
    return { allowed: true };
  }
}
