/**
 * The HTTP layer: one Graph request with Node's global `fetch` (undici: a keep-alive connection pool
 * per origin, so the requests of a deployment share their TLS connections). No retry and no pacing
 * here: retries belong to `retry.ts`, pacing to `pacer.ts`. What it keeps of what a Graph SDK does:
 *
 * - the bearer token goes only to the Graph host (the configured `graphUrl`'s host): a URL on any
 *   other host (a `@odata.nextLink` pointing elsewhere) is sent without it;
 * - `client-request-id` on every request, Graph's `request-id` read from every answer;
 * - a refused request throws a `GraphHttpError` carrying the status, Graph's error code and message
 *   from the body (`{ error: { code, message, innerError } }`), the request ids and the headers
 *   (`Retry-After`), which `errorMapping.ts` turns into a typed `GraphRequestError`;
 * - no answer at all rejects with fetch's own error (a TypeError whose `cause` has the socket's code,
 *   or an AbortError), which `errorMapping.ts` maps to `NetworkError` or `Timeout`.
 *
 * Measured against @microsoft/microsoft-graph-client 3.0 (which this replaces, docs/BENCHMARKS.md):
 * the same fetch underneath, but 23–30 ms of CPU less to load and a middleware chain less per request.
 */
import type { GraphApiVersion } from "./model";

/** One request. */
export interface GraphRequest {
  /** `GET` or `POST`. */
  readonly method: "GET" | "POST";
  /** A path under the API version (`/servicePrincipals/…`), or an absolute URL (a nextLink) sent as it is. */
  readonly path: string;
  /** `beta` or `v1.0`: the path's prefix (ignored for an absolute URL). */
  readonly version: GraphApiVersion;
  /** Sent as `client-request-id`. */
  readonly clientRequestId: string;
  /** Aborts the request (the attempt's timeout). */
  readonly signal: AbortSignal;
  /** The JSON body of a POST. */
  readonly body?: unknown;
}

/** A successful (2xx) answer. */
export interface GraphAnswer {
  /** The HTTP status. */
  readonly status: number;
  /** The parsed JSON body; the text when it is not JSON; `undefined` when empty. */
  readonly body: unknown;
  /** Graph's `request-id` header, or `""`. */
  readonly requestId: string;
}

/** Graph answered with a status outside 2xx. The fields are those `errorMapping.ts` reads. */
export class GraphHttpError extends Error {
  override readonly name = "GraphHttpError";
  /** The HTTP status. */
  readonly statusCode: number;
  /** Graph's error code (`error.code` of the body), when the body has one. */
  readonly code?: string;
  /** Graph's `request-id`: from the body's `innerError`, else the header. */
  readonly requestId?: string;
  /** The answer's headers (`Retry-After`, `client-request-id`). */
  readonly headers: Headers;
  /** The body: the parsed JSON, or the text when it is not JSON. */
  readonly body: unknown;

  constructor(status: number, headers: Headers, body: unknown) {
    const error = graphError(body);
    super(error?.message ?? "");
    this.statusCode = status;
    this.code = error?.code;
    this.requestId = error?.innerError?.["request-id"] ?? headers.get("request-id") ?? undefined;
    this.headers = headers;
    this.body = body;
  }
}

/** Graph's `{ error: { code, message, innerError } }`, when `body` is one. */
function graphError(
  body: unknown,
): { code?: string; message?: string; innerError?: { "request-id"?: string } } | undefined {
  const error = (body as { error?: unknown } | undefined)?.error;
  if (!error || typeof error !== "object") return undefined;
  const e = error as Record<string, unknown>;
  const inner = e.innerError ?? e.innererror;
  return {
    code: typeof e.code === "string" ? e.code : undefined,
    message: typeof e.message === "string" ? e.message : undefined,
    innerError:
      inner &&
      typeof inner === "object" &&
      typeof (inner as Record<string, unknown>)["request-id"] === "string"
        ? { "request-id": (inner as Record<string, string>)["request-id"] }
        : undefined,
  };
}

/** The body as JSON when it says so and parses, else the text; `undefined` when empty. */
function parseBody(text: string, contentType: string | null): unknown {
  if (text === "") return undefined;
  if (contentType?.includes("json")) {
    try {
      return JSON.parse(text);
    } catch {
      return text; // a broken JSON body is quoted as text (UnreadableResponseError, HTTP errors)
    }
  }
  return text;
}

/** Sends Graph requests to one Graph URL, with bearer tokens from `getToken`. */
export interface GraphTransport {
  /** Sends `request`; resolves with a 2xx answer, rejects with a GraphHttpError or fetch's error. */
  send(request: GraphRequest): Promise<GraphAnswer>;
}

/**
 * The transport for `graphUrl` (no version, e.g. `https://graph.microsoft.com` or an emulator's
 * URL). `getToken` is asked for every request to the Graph host (the caller's token cache answers).
 */
export function createTransport(graphUrl: string, getToken: () => Promise<string>): GraphTransport {
  const base = graphUrl.replace(/\/+$/, "");
  const graphHost = new URL(base).host.toLowerCase();
  return {
    async send(request) {
      const url = /^https?:\/\//i.test(request.path)
        ? request.path
        : `${base}/${request.version}${request.path.startsWith("/") ? "" : "/"}${request.path}`;
      const headers: Record<string, string> = {
        accept: "application/json",
        "client-request-id": request.clientRequestId,
      };
      if (new URL(url).host.toLowerCase() === graphHost) headers.authorization = `Bearer ${await getToken()}`;
      let body: string | undefined;
      if (request.body !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(request.body);
      }
      const response = await fetch(url, { method: request.method, headers, body, signal: request.signal });
      const parsed = parseBody(await response.text(), response.headers.get("content-type"));
      if (!response.ok) throw new GraphHttpError(response.status, response.headers, parsed);
      return { status: response.status, body: parsed, requestId: response.headers.get("request-id") ?? "" };
    },
  };
}
