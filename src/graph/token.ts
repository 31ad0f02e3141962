/**
 * The bearer token: one request at a time per credential (single flight), reused until five minutes
 * before it expires, and never waited on for longer than a caller can wait.
 *
 * - Deadlines: each caller stops waiting at its own deadline without cancelling the request for the
 *   others. When the last caller waiting on a request has given up, the request is abandoned: the
 *   next caller starts a fresh one instead of joining a request that may never be answered.
 * - A request that hangs is abandoned after `TOKEN_REQUEST_TIMEOUT_MS` even while callers wait.
 * - After a failed or abandoned request the credential is built anew. @azure/identity's MSAL flows
 *   remember a 429 or 5xx from the login host and refuse every request for the next 60 s without
 *   asking (MSAL's throttling cache), which would fail every retry; our retry loop (retry.ts) paces
 *   the retries instead.
 */
import type { ResolvedCredential } from "./credential";
import { createCredential, credentialHint } from "./credential";
import { TokenRequestError } from "./errors";
import { toTokenRequestError } from "./errorMapping";
import type { GraphSettings } from "./settings";

/** Longest wait for one token request before it is abandoned (a hung login host). */
export const TOKEN_REQUEST_TIMEOUT_MS = 60_000;

/** Reuse a token until this long before it expires. */
const EXPIRY_MARGIN_MS = 5 * 60_000;

/** Rejects with `error()` after `ms`, unless `promise` settles first; the timer never outlives it. */
function within<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(error()), Math.max(0, ms));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (reason: unknown) => {
        clearTimeout(timer);
        reject(reason);
      },
    );
  });
}

/** One token request in flight, and who waits on it. */
interface Flight {
  /** Settles with the token, or with a TokenRequestError (a timeout after TOKEN_REQUEST_TIMEOUT_MS). */
  readonly promise: Promise<string>;
  /** Callers still waiting on it. */
  waiters: number;
  /** Whether it has settled. */
  settled: boolean;
  /** Stops waiting for the answer: aborts the request and clears its timer. */
  abandon(): void;
}

/** Hands out bearer tokens of one credential. */
export class TokenSource {
  private flight?: Flight;
  private token?: { value: string; expiresAt: number };

  /**
   * @param credential the credential to ask
   * @param settings the scope and login host
   * @param renew builds the credential anew after a failed request. Default: `createCredential(settings)`.
   */
  constructor(
    private credential: ResolvedCredential,
    private readonly settings: GraphSettings,
    private readonly renew: () => ResolvedCredential = () => createCredential(settings),
  ) {}

  /** A token, or a TokenRequestError (code `Timeout` when the login host did not answer before `deadline`). */
  get(deadline: number): Promise<string> {
    const now = Date.now();
    if (this.token && this.token.expiresAt - EXPIRY_MARGIN_MS > now) return Promise.resolve(this.token.value);
    const flight = (this.flight ??= this.request());
    flight.waiters += 1;
    const waiting = within(flight.promise, deadline - now, () => this.timeout(Date.now() - now));
    const leave = () => {
      flight.waiters -= 1;
      // Nobody waits for it any more: the next caller starts afresh rather than join a hung request.
      if (flight.waiters === 0 && !flight.settled) this.forget(flight);
    };
    waiting.then(leave, leave);
    return waiting;
  }

  /** Starts one token request, bounded by TOKEN_REQUEST_TIMEOUT_MS. */
  private request(): Flight {
    this.token = undefined;
    const controller = new AbortController();
    const { credential, method } = this.credential;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const asked = credential.getToken(this.settings.scope, { abortSignal: controller.signal }).then(
      (token) => {
        if (!token) throw new Error("the credential returned no token");
        return token;
      },
      (error: unknown) => {
        throw toTokenRequestError(
          error,
          method,
          this.settings.authorityHost,
          credentialHint(this.settings, method),
        );
      },
    );
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(this.timeout(TOKEN_REQUEST_TIMEOUT_MS));
      }, TOKEN_REQUEST_TIMEOUT_MS);
    });
    const flight: Flight = {
      promise: Promise.race([asked, timedOut]).then(
        (token) => {
          flight.settled = true;
          clearTimeout(timer);
          if (this.flight === flight) {
            this.token = { value: token.token, expiresAt: token.expiresOnTimestamp };
            this.flight = undefined;
          }
          return token.token;
        },
        (error: unknown) => {
          flight.settled = true;
          clearTimeout(timer);
          this.forget(flight);
          throw error;
        },
      ),
      waiters: 0,
      settled: false,
      abandon: () => {
        clearTimeout(timer);
        controller.abort();
      },
    };
    // Whoever waits handles the failure; an abandoned request's late failure is nobody's.
    asked.catch(() => {});
    timedOut.catch(() => {});
    flight.promise.catch(() => {});
    return flight;
  }

  /** Drops `flight` (failed, or abandoned by every caller) and builds the credential anew. */
  private forget(flight: Flight): void {
    if (!flight.settled) flight.abandon();
    if (this.flight !== flight) return;
    this.flight = undefined;
    try {
      this.credential = this.renew();
    } catch {
      // The settings built a credential before; keep that one if they no longer do.
    }
  }

  private timeout(waitedMs: number): TokenRequestError {
    const seconds = Math.max(0, Math.round(waitedMs / 1000));
    return new TokenRequestError({
      code: "Timeout",
      serverMessage: `the token request to the login host did not finish within ${seconds}s`,
      status: 0,
      method: this.credential.method,
      authorityHost: this.settings.authorityHost,
    });
  }
}
