// Small statistics and the rate-limit floor. (Rates are parsed by the package's dist/duration.js.)
"use strict";

/** The median of numbers (the mean of the middle two for an even count); undefined when empty. */
function median(values) {
  const xs = values.filter((v) => typeof v === "number" && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** Rounds to `digits` decimals (numbers only). */
function round(value, digits = 3) {
  if (typeof value !== "number" || !Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * The rate-limit floor, in ms: the shortest possible time between the first and the last of `n`
 * accepted POSTs under a sliding window of `limit` requests per `windowMs` (the emulator's rule: a
 * request is admitted when fewer than `limit` admitted requests arrived in the `windowMs` before it).
 * Request k (0-based) cannot be admitted before request k - limit + windowMs, so the last one
 * (k = n - 1) waits at least floor((n - 1) / limit) windows: floor = floor((n-1)/limit) × windowMs,
 * which equals ceil(n/limit − 1) windows. 30 POSTs at 5/2s: 5 windows = 10 s; 10 POSTs: 2 s.
 */
function rateLimitFloorMs(n, limit, windowMs) {
  return Math.floor((n - 1) / limit) * windowMs;
}

module.exports = { median, round, rateLimitFloorMs };
