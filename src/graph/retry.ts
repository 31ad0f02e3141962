/**
 * Which failures are retried, and how long to wait: the one place that decides it.
 *
 * | failure                                   | retried?                                         | wait                                  |
 * |-------------------------------------------|--------------------------------------------------|---------------------------------------|
 * | 429, 500, 502, 503, 504                   | yes, until the create timeout                    | Retry-After, else jittered backoff    |
 * | no answer (reset, DNS, TLS, attempt timeout) | yes, until the create timeout                 | jittered backoff                      |
 * | 404, 403, 409 on the job or its schema    | yes, for the replication window (default 2 min) | jittered backoff                      |
 * | token endpoint 429, 5xx or no answer (60 s) | yes, until the create timeout                  | jittered backoff                      |
 * | any other 4xx, other token failures       | no: fails at once                                | —                                     |
 *
 * `withRetries` runs the attempts in a plain loop; `decideRetry` decides; both live here.
 */
import { GraphRequestError, TimeoutExceededError, TokenRequestError, type GraphCallTarget } from "./errors";

/** The knobs of the retry policy; every option documents its default. */
export interface RetryOptions {
  /** When the whole operation must have succeeded (epoch ms); beyond it, a TimeoutExceededError. */
  readonly deadline: number;
  /** The create timeout, in seconds, for the error message. */
  readonly timeoutSeconds: number;
  /** How long 404/403/409 are taken for replication lag. Default 120 000 ms (2 minutes). */
  readonly replicationWindowMs?: number;
  /** First backoff delay. Default 1 000 ms; doubles each attempt, with ±50 % jitter. */
  readonly minDelayMs?: number;
  /** Largest backoff delay. Default 30 000 ms. */
  readonly maxDelayMs?: number;
  /** Writes one line per retry. Default: standard error (the engine shows it as a diagnostic). */
  readonly log?: (line: string) => void;
  /** Called with the server's Retry-After (epoch ms) so the pacer holds other requests too. */
  readonly onRetryAfter?: (untilMs: number) => void;
  /** Cuts a wait between attempts short (the next attempt then sees the deadline). Default: none. */
  readonly signal?: AbortSignal;
}

/** Statuses that mean "try again later". */
export const RETRYABLE_STATUSES: readonly number[] = [429, 500, 502, 503, 504];
/** Statuses that, right after the service principal or job was created, mean "not replicated yet". */
export const REPLICATION_STATUSES: readonly number[] = [404, 403, 409];

/** The decision for one failed attempt. */
export interface RetryDecision {
  /** Whether to try again. */
  readonly retry: boolean;
  /** Why, in words for the log line. */
  readonly reason: string;
  /** How long to wait before the next attempt, in milliseconds. */
  readonly delayMs: number;
}

/** Jittered exponential backoff: min·2^(attempt-1), times a random factor in [0.5, 1.5), capped at max. */
export function backoffDelay(attempt: number, minDelayMs: number, maxDelayMs: number): number {
  const base = Math.min(maxDelayMs, minDelayMs * 2 ** (attempt - 1));
  return Math.min(maxDelayMs, Math.round(base * (0.5 + Math.random())));
}

/** Decides whether `error` (from attempt number `attempt`, `elapsedMs` after the first) is retried. */
export function decideRetry(
  error: unknown,
  attempt: number,
  elapsedMs: number,
  options: RetryOptions,
): RetryDecision {
  const minDelay = options.minDelayMs ?? 1000;
  const maxDelay = options.maxDelayMs ?? 30_000;
  const replicationWindow = options.replicationWindowMs ?? 120_000;
  const backoff = backoffDelay(attempt, minDelay, maxDelay);
  if (error instanceof TokenRequestError) {
    const transient = RETRYABLE_STATUSES.includes(error.status) || error.code === "Timeout";
    return transient
      ? { retry: true, reason: `token request: ${error.code}`, delayMs: backoff }
      : { retry: false, reason: "the token endpoint refused the credential", delayMs: 0 };
  }
  if (!(error instanceof GraphRequestError))
    return { retry: false, reason: "not a Graph answer", delayMs: 0 };
  if (error.status === 0) return { retry: true, reason: `no answer (${error.code})`, delayMs: backoff };
  if (RETRYABLE_STATUSES.includes(error.status)) {
    const wait = error.retryAfterMs ?? backoff;
    const why =
      error.retryAfterMs !== undefined ? `Retry-After ${Math.ceil(error.retryAfterMs / 1000)}s` : "backoff";
    return { retry: true, reason: `HTTP ${error.status} ${error.code} (${why})`, delayMs: wait };
  }
  if (REPLICATION_STATUSES.includes(error.status) && elapsedMs < replicationWindow) {
    return {
      retry: true,
      reason:
        `HTTP ${error.status} ${error.code}: the service principal or job may have been created moments ago ` +
        `and not replicated yet; retrying for up to ${Math.round(replicationWindow / 1000)}s`,
      delayMs: backoff,
    };
  }
  return { retry: false, reason: `HTTP ${error.status} is not retryable`, delayMs: 0 };
}

/** Sleeps `ms`, or less when `signal` aborts first. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/**
 * Runs `attempt` until it succeeds, a failure is not retryable, or the deadline passes.
 * `attempt` receives the remaining time, so it can bound a single request by it.
 *
 * A plain loop rather than p-retry: the wait before each attempt is the server's Retry-After when it
 * sent one, which p-retry's fixed backoff options cannot express, and the deadline covers the wait too.
 */
export async function withRetries<T>(
  target: GraphCallTarget,
  options: RetryOptions,
  attempt: (remainingMs: number, attemptNumber: number) => Promise<T>,
): Promise<T> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = Date.now();
  let lastError: unknown;
  for (let attemptNumber = 1; ; attemptNumber++) {
    const remaining = options.deadline - Date.now();
    if (remaining <= 0) {
      throw new TimeoutExceededError({
        timeoutSeconds: options.timeoutSeconds,
        attempts: attemptNumber - 1,
        target,
        cause: lastError,
      });
    }
    try {
      return await attempt(remaining, attemptNumber);
    } catch (error) {
      if (error instanceof TimeoutExceededError) throw error;
      lastError = error;
      const decision = decideRetry(error, attemptNumber, Date.now() - started, options);
      if (!decision.retry) throw error;
      if (error instanceof GraphRequestError && error.retryAfterMs !== undefined) {
        options.onRetryAfter?.(Date.now() + error.retryAfterMs);
      }
      if (decision.delayMs >= options.deadline - Date.now()) {
        throw new TimeoutExceededError({
          timeoutSeconds: options.timeoutSeconds,
          attempts: attemptNumber,
          target,
          cause: error,
        });
      }
      log(
        `${target.label ? `${target.label}: ` : ""}${target.operation}: attempt ${attemptNumber} failed: ${decision.reason}; ` +
          `retrying in ${(decision.delayMs / 1000).toFixed(1)}s ` +
          `[job ${target.jobId}${target.subjects ? `, ${target.subjects}` : ""}]`,
      );
      await sleep(decision.delayMs, options.signal);
    }
  }
}
