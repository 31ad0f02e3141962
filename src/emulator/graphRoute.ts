/**
 * What every Microsoft Graph route shares: the shape of a matched endpoint, the caller's bearer token
 * check (401), and Graph's common refusals: throttled (429), insufficient privileges (403), and an
 * unknown resource (404).
 */
import type { EmulatorCore } from "./core";
import { describeRateLimit } from "./rateLimit";
import type { TenantRateLimiter } from "./rateLimit";
import type { RequestKind } from "./requestLog";
import type { AccessTokenClaims, TokenRejection } from "./tokens";
import { sendGraphError } from "./wire";
import type { RequestContext } from "./wire";

/** A Graph endpoint a path matched: its log kind, its method, and how to serve an authenticated caller. */
export interface GraphEndpoint {
  /** The request log's kind for it. */
  readonly kind: RequestKind;
  /** The one method it answers. */
  readonly method: "GET" | "POST";
  /** Answers the request; the caller's token has been verified. */
  serve(ctx: RequestContext, core: EmulatorCore, claims: AccessTokenClaims): Promise<void> | void;
}

const REJECTION_MESSAGES: Record<TokenRejection, string> = {
  missing: "Access token is empty.",
  malformed: "CompactToken parsing failed with error code: 80049217",
  foreign: "Access token validation failure.",
  expired: "Lifetime validation failed, the token is expired.",
  audience: "Access token validation failure. Invalid audience.",
};

function bearerToken(ctx: RequestContext): string | undefined {
  const header = ctx.req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match ? match[1].trim() : "";
}

/**
 * The verified claims of the caller's bearer token, with tenant and app noted for the request log;
 * undefined after answering 401 `InvalidAuthenticationToken` with Graph's message for the case.
 */
export function authenticateCaller(ctx: RequestContext, core: EmulatorCore): AccessTokenClaims | undefined {
  const verdict = core.tokens.verify(bearerToken(ctx));
  if ("rejection" in verdict) {
    ctx.res.setHeader(
      "www-authenticate",
      'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
    );
    sendGraphError(ctx, 401, "InvalidAuthenticationToken", REJECTION_MESSAGES[verdict.rejection]);
    return undefined;
  }
  ctx.tenantId = verdict.claims.tid;
  ctx.clientId = verdict.claims.appid;
  return verdict.claims;
}

/**
 * Counts the request against a per-tenant limit; when the limit is exhausted, answers 429
 * `TooManyRequests` with `Retry-After` and returns true. `api` names what is limited in the message.
 */
export function refuseIfThrottled(
  ctx: RequestContext,
  limiter: TenantRateLimiter,
  claims: AccessTokenClaims,
  api: string,
): boolean {
  const decision = limiter.tryAcquire(claims.tid, Date.now());
  if (decision.allowed) return false;
  sendGraphError(
    ctx,
    429,
    "TooManyRequests",
    `Too many requests. ${api} allows ${describeRateLimit(limiter.current)}; retry after ${decision.retryAfterSeconds} seconds.`,
    decision.retryAfterSeconds,
  );
  return true;
}

/** Answers 403 `Authorization_RequestDenied`, as Graph does when the app lacks the permission. */
export function sendAccessDenied(ctx: RequestContext): void {
  sendGraphError(
    ctx,
    403,
    "Authorization_RequestDenied",
    "Insufficient privileges to complete the operation.",
  );
}

/** Answers 404 `Request_ResourceNotFound` for an id Graph does not know (or not yet). */
export function sendResourceNotFound(ctx: RequestContext, id: string): void {
  sendGraphError(
    ctx,
    404,
    "Request_ResourceNotFound",
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}
