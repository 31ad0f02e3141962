/**
 * Durations and rates, one grammar for the whole package: the resource's `customTimeouts`, the
 * provider's `provisionOnDemand:rateLimit`, the emulator's knobs and CLI, and the benchmark's options.
 *
 * | text             | means                          |
 * |------------------|--------------------------------|
 * | `500ms`          | 500 milliseconds               |
 * | `90s`, `1.5s`    | seconds                        |
 * | `15m`, `1h30m`   | minutes, hours, or a sum       |
 * | `0`              | zero (the only bare number)    |
 * | `5/10s`          | a rate: 5 requests per 10 s    |
 * | `off`, `none`    | a rate: no limit               |
 *
 * A bare number other than `0` is an error: nobody has to guess whether it means seconds or
 * milliseconds. This module has no dependencies, so the emulator can share it with the product.
 */

/** Milliseconds per unit. */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;

/** A request budget: at most `count` requests in any `windowMs` milliseconds. */
export interface RateLimit {
  /** Requests allowed per window (a whole number, at least 1). */
  readonly count: number;
  /** The window length in milliseconds. */
  readonly windowMs: number;
}

/**
 * Parses a duration (`"500ms"`, `"2s"`, `"15m"`, `"1h30m"`, `"0"`) into milliseconds.
 * Throws a RangeError that names `what` and the accepted forms.
 */
export function parseDurationMs(text: string, what = "duration"): number {
  const trimmed = String(text).trim().toLowerCase();
  if (trimmed === "0") return 0;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let match = PART.exec(trimmed); match; match = PART.exec(trimmed)) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
    consumed = PART.lastIndex;
  }
  if (consumed === 0 || consumed !== trimmed.length) {
    const hint = /^\d+(\.\d+)?$/.test(trimmed) ? " (a number needs a unit: ms, s, m or h)" : "";
    throw new RangeError(`${what} "${text}" is not a duration like "500ms", "90s", "15m" or "1h30m"${hint}`);
  }
  return total;
}

/** Formats milliseconds the way `parseDurationMs` reads them back: `1h30m`, `90s`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0";
  if (ms % 1000 !== 0) return `${ms}ms`;
  let seconds = ms / 1000;
  const parts: string[] = [];
  for (const [unit, size] of [
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0) parts.push(`${seconds}s`);
  return parts.join("");
}

/**
 * Parses a rate `"COUNT/DURATION"` (`"5/10s"`, `"10/500ms"`) or `"off"`/`"none"` (no limit: returns
 * `undefined`). Throws a RangeError that names `what` and the accepted forms.
 */
export function parseRateLimit(text: string, what = "rate limit"): RateLimit | undefined {
  const trimmed = String(text).trim().toLowerCase();
  if (trimmed === "off" || trimmed === "none") return undefined;
  const slash = trimmed.indexOf("/");
  const countText = slash > 0 ? trimmed.slice(0, slash).trim() : "";
  const count = /^\d+$/.test(countText) ? Number(countText) : NaN;
  let windowMs = NaN;
  try {
    windowMs = slash > 0 ? parseDurationMs(trimmed.slice(slash + 1).trim(), what) : NaN;
  } catch {
    // reported below with the whole text
  }
  if (!(count >= 1) || !(windowMs > 0)) {
    throw new RangeError(
      `${what} "${text}" is not of the form COUNT/DURATION (e.g. "5/10s", "10/500ms") or "off"`,
    );
  }
  return { count, windowMs };
}

/** Formats a rate the way `parseRateLimit` reads it back: `"5/10s"`, or `"off"` for no limit. */
export function formatRateLimit(limit: RateLimit | undefined): string {
  return limit ? `${limit.count}/${formatDuration(limit.windowMs)}` : "off";
}
