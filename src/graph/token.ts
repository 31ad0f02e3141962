/**
 * The bearer token: one request at a time per credential (single flight), reused until five minutes
 * before it expires, and never waited on for longer than a caller can wait. A token request that
 * hangs is abandoned after `TOKEN_REQUEST_TIMEOUT_MS` (the next caller starts a fresh one), and each
 * caller stops waiting at its own deadline without cancelling the request for the others.
 */
import type { ResolvedCredential } from "./credential";
import { credentialHint } from "./credential";
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

/** Hands out bearer tokens of one credential. */
export class TokenSource {
  private pending?: Promise<string>;
  private expiresAt = 0;

  constructor(
    private readonly credential: ResolvedCredential,
    private readonly settings: GraphSettings,
  ) {}

  /** A token, or a TokenRequestError (code `Timeout` when the login host did not answer before `deadline`). */
  get(deadline: number): Promise<string> {
    const fresh = this.expiresAt - EXPIRY_MARGIN_MS > Date.now();
    if (!this.pending || (this.expiresAt > 0 && !fresh)) this.pending = this.request();
    return within(this.pending, deadline - Date.now(), () => this.timeout(deadline - Date.now()));
  }

  /** Starts one token request, bounded by TOKEN_REQUEST_TIMEOUT_MS; forgets it when it fails. */
  private request(): Promise<string> {
    this.expiresAt = 0;
    const controller = new AbortController();
    const asked = this.credential.credential
      .getToken(this.settings.scope, { abortSignal: controller.signal })
      .then(
        (token) => {
          if (!token) throw new Error("the credential returned no token");
          this.expiresAt = token.expiresOnTimestamp;
          return token.token;
        },
        (error: unknown) => {
          throw toTokenRequestError(
            error,
            this.credential.method,
            this.settings.authorityHost,
            credentialHint(this.settings, this.credential.method),
          );
        },
      );
    const pending = within(asked, TOKEN_REQUEST_TIMEOUT_MS, () => {
      controller.abort();
      return this.timeout(TOKEN_REQUEST_TIMEOUT_MS);
    });
    pending.catch(() => {
      if (this.pending === pending) this.pending = undefined;
    });
    return pending;
  }

  private timeout(waitedMs: number): TokenRequestError {
    const seconds = Math.max(0, Math.round(waitedMs / 1000));
    return new TokenRequestError({
      code: "Timeout",
      serverMessage: `the login host did not answer the token request within ${seconds}s`,
      status: 0,
      method: this.credential.method,
      authorityHost: this.settings.authorityHost,
    });
  }
}
