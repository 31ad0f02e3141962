/**
 * The provisionOnDemand rate limit, per tenant, as a sliding window: at most `limit` accepted
 * requests in any `windowMs`. Graph documents 5 requests per 10 seconds for this API.
 */

/** A rate limit: `limit` requests per `windowMs`, or no limit at all. */
export type RateLimit = { readonly limit: number; readonly windowMs: number } | "off";

/** The documented limit of provisionOnDemand: 5 requests per 10 seconds. */
export const DEFAULT_RATE_LIMIT = "5/10s";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/**
 * Parses `"off"`, `"N/Ws"`, `"N/Wms"` or `"N/Wm"` (e.g. `"5/10s"`, `"10/500ms"`); a window without a
 * unit is in seconds. Throws a RangeError naming the accepted forms.
 */
export function parseRateLimit(text: string): RateLimit {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "off" || trimmed === "none" || trimmed === "0") return "off";
  const match = /^(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(trimmed);
  const limit = match ? Number(match[1]) : NaN;
  const windowMs = match ? Number(match[2]) * UNIT_MS[match[3] ?? "s"] : NaN;
  if (!match || !(limit >= 1) || !(windowMs >= 1))
    throw new RangeError(
      `Invalid rate limit "${text}": use "off" or "N/W" with W in ms, s or m, e.g. "5/10s"`,
    );
  return { limit, windowMs };
}

/** The text form of a rate limit (`"off"` or `"N/Wms"`), as the settings API reports it. */
export function formatRateLimit(rateLimit: RateLimit): string {
  if (rateLimit === "off") return "off";
  const { limit, windowMs } = rateLimit;
  return windowMs % 1000 === 0 ? `${limit}/${windowMs / 1000}s` : `${limit}/${windowMs}ms`;
}

/** The verdict on one request. */
export type RateDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/** Counts accepted requests per tenant; refused requests do not count. */
export class TenantRateLimiter {
  private readonly accepted = new Map<string, number[]>();

  /** @param rateLimit the limit to enforce */
  constructor(private rateLimit: RateLimit) {}

  /** The limit in force. */
  get current(): RateLimit {
    return this.rateLimit;
  }

  /** Changes the limit; the counts so far are forgotten. */
  set(rateLimit: RateLimit): void {
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
    if (this.rateLimit === "off") return { allowed: true };
    const { limit, windowMs } = this.rateLimit;
    const key = tenantId.toLowerCase();
    const times = (this.accepted.get(key) ?? []).filter((time) => time > now - windowMs);
    if (times.length >= limit) {
      this.accepted.set(key, times);
      const waitMs = times[0] + windowMs - now;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    times.push(now);
    this.accepted.set(key, times);
    return { allowed: true };
  }
}
