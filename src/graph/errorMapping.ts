/**
 * Error mapping: what the transport and the credential throw, turned into typed errors that carry
 * the Graph or Entra code, HTTP status, request ids and Retry-After (errors.ts holds the types).
 */
import { GraphRequestError, ProvisionOnDemandError, TokenRequestError, type GraphCallTarget } from "./errors";

/** `Retry-After` in milliseconds: seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(headers: Readonly<Record<string, string>> | undefined): number | undefined {
  const value = headers?.["retry-after"];
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * Converts whatever the transport threw (a GraphHttpError, a socket error with its `code`, an abort)
 * into a GraphRequestError; a TokenRequestError or GraphRequestError passes through.
 * @param timedOutAfterMs set when the attempt was aborted by its own timeout, after that many ms.
 */
export function toGraphRequestError(
  error: unknown,
  target: GraphCallTarget,
  clientRequestId: string,
  timedOutAfterMs?: number,
): Error {
  if (error instanceof ProvisionOnDemandError) return error; // already typed: a token or pacer failure
  const e = error as {
    statusCode?: number;
    code?: string;
    message?: string;
    requestId?: string;
    headers?: Readonly<Record<string, string>>;
    body?: unknown;
    name?: string;
    cause?: { code?: string; message?: string };
  };
  const status = typeof e.statusCode === "number" && e.statusCode > 0 ? e.statusCode : 0;
  if (status === 0) {
    // A socket error carries its code itself (ECONNREFUSED); a wrapped one, in its cause.
    const cause = e.code ?? e.cause?.code ?? e.cause?.message;
    const code = timedOutAfterMs !== undefined ? "Timeout" : "NetworkError";
    const message =
      timedOutAfterMs !== undefined
        ? `no answer within ${Math.round(timedOutAfterMs / 1000)}s`
        : `${e.message || String(e.body ?? e.name ?? error)}${cause && !e.message?.includes(cause) ? ` (${cause})` : ""}`;
    return new GraphRequestError({
      code,
      serverMessage: message,
      status: 0,
      clientRequestId,
      target,
      cause: error,
    });
  }
  return new GraphRequestError({
    code: e.code && e.code !== "Error" ? e.code : `HTTP${status}`,
    serverMessage: e.message || (typeof e.body === "string" ? e.body.slice(0, 300) : "no error message"),
    status,
    requestId: e.requestId ?? e.headers?.["request-id"],
    clientRequestId: e.headers?.["client-request-id"] ?? clientRequestId,
    retryAfterMs: retryAfterMs(e.headers),
    target,
    cause: error,
  });
}

/**
 * Wraps an @azure/identity error: keeps Entra's code, description and correlation id, and the
 * original as `cause`. @param hint what the user can do, appended to the message (e.g. where the secret came from).
 */
export function toTokenRequestError(
  error: unknown,
  method: string,
  authorityHost: string,
  hint?: string,
): TokenRequestError {
  if (error instanceof TokenRequestError) return error;
  const e = error as {
    name?: string;
    message?: string;
    statusCode?: number;
    errorResponse?: { error?: string; errorDescription?: string; correlationId?: string };
  };
  const entra = e.errorResponse ? undefined : parseMsalServerError(e.message);
  if (entra) {
    return new TokenRequestError({
      code: entra.error,
      serverMessage: entra.description,
      status: entra.status,
      method,
      authorityHost,
      correlationId: entra.correlationId,
      hint,
      cause: error,
    });
  }
  const code = e.errorResponse?.error ?? e.name ?? "CredentialError";
  let description = (e.errorResponse?.errorDescription ?? e.message ?? String(error)).split("\n")[0];
  if (description.includes("endpoints_resolution_error")) {
    // MSAL says no more than this; name the usual causes so users need not look it up.
    description +=
      ": could not read the authority's OpenID configuration. The login host is unreachable, the" +
      " tenant id is wrong, or the host's TLS certificate is not trusted (for a private CA, set NODE_EXTRA_CA_CERTS)";
  }
  const status = typeof e.statusCode === "number" && e.statusCode > 0 ? e.statusCode : 0;
  return new TokenRequestError({
    code,
    serverMessage: description,
    status,
    method,
    authorityHost,
    correlationId: e.errorResponse?.correlationId,
    hint,
    cause: error,
  });
}

/**
 * MSAL's error for a token endpoint refusal, as @azure/identity 4.13 passes it on: only its message
 * survives (wrapped in an AuthenticationRequiredError, without status or error response):
 * `<error>: Error(s): <codes> - Timestamp: … - Description: <AADSTS…> - Correlation ID: <id> - Trace ID: <id>`.
 */
const MSAL_SERVER_ERROR =
  /^(\w+): Error\(s\): [\s\S]*? - Description: ([\s\S]*?) - Correlation ID: ([^\s]*(?: Available)?) - Trace ID: [\s\S]*$/;

/**
 * Entra's statuses for the OAuth errors of its token endpoint (RFC 6749 §5.2): 401 for invalid_client,
 * 503 for temporarily_unavailable, 400 for the others.
 */
const ENTRA_ERROR_STATUS: Record<string, number> = { invalid_client: 401, temporarily_unavailable: 503 };

/** Reads Entra's error, description (first line, without its trailing ids) and correlation id from MSAL's message. */
function parseMsalServerError(
  message: string | undefined,
): { error: string; description: string; correlationId?: string; status: number } | undefined {
  const match = MSAL_SERVER_ERROR.exec(message ?? "");
  if (!match) return undefined;
  const [, error, description, correlationId] = match;
  return {
    error,
    description: description.split(/\r?\n| Trace ID: /)[0].trim(),
    correlationId: correlationId && correlationId !== "Not Available" ? correlationId : undefined,
    status: ENTRA_ERROR_STATUS[error] ?? 400,
  };
}
