/**
 * Error mapping: what the transport throws, turned into one typed GraphRequestError that carries
 * the Graph code, HTTP status, request ids and Retry-After (see errors.ts for the types).
 */
import { GraphRequestError, TokenRequestError, type GraphCallTarget } from "./errors";

/** `Retry-After` in milliseconds: seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers | undefined): number | undefined {
  const value = headers?.get?.("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * Converts whatever the transport threw (a graph-client GraphError, a fetch TypeError, an abort)
 * into a GraphRequestError; a TokenRequestError or GraphRequestError passes through.
 * @param timedOutAfterMs set when the attempt was aborted by its own timeout, after that many ms.
 */
export function toGraphRequestError(
  error: unknown,
  target: GraphCallTarget,
  clientRequestId: string,
  timedOutAfterMs?: number,
): Error {
  if (error instanceof GraphRequestError || error instanceof TokenRequestError) return error;
  const e = error as {
    statusCode?: number;
    code?: string;
    message?: string;
    requestId?: string;
    headers?: Headers;
    body?: unknown;
    name?: string;
    cause?: { code?: string; message?: string };
  };
  const status = typeof e.statusCode === "number" && e.statusCode > 0 ? e.statusCode : 0;
  if (status === 0) {
    const cause = e.cause?.code ?? e.cause?.message;
    const code = timedOutAfterMs !== undefined ? "Timeout" : "NetworkError";
    const message =
      timedOutAfterMs !== undefined
        ? `no answer within ${Math.round(timedOutAfterMs / 1000)}s`
        : `${e.message || String(e.body ?? e.name ?? error)}${cause ? ` (${cause})` : ""}`;
    return new GraphRequestError({ code, message, status: 0, clientRequestId }, target);
  }
  return new GraphRequestError(
    {
      code: e.code && e.code !== "Error" ? e.code : `HTTP${status}`,
      message: e.message || (typeof e.body === "string" ? e.body.slice(0, 300) : "no error message"),
      status,
      requestId: e.requestId ?? e.headers?.get?.("request-id") ?? undefined,
      clientRequestId: e.headers?.get?.("client-request-id") ?? clientRequestId,
      retryAfterMs: retryAfterMs(e.headers),
    },
    target,
  );
}
