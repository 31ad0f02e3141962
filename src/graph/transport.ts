/**
 * The HTTP layer: one Graph request with Node's own `https` (its global agent keeps connections alive,
 * so the requests of a deployment reuse their TLS connections). No retry and no pacing here: retries
 * belong to `retry.ts`, pacing to `pacer.ts`. What it keeps of what a Graph SDK does:
 *
 * - the bearer token goes only to the Graph host (the configured `graphUrl`'s host): a URL on any
 *   other host (a `@odata.nextLink` pointing elsewhere) is sent without it;
 * - `client-request-id` on every request, Graph's `request-id` read from every answer;
 * - a refused request throws a `GraphHttpError` carrying the status, Graph's error code and message
 *   from the body (`{ error: { code, message, innerError } }`), the request ids and the headers
 *   (`Retry-After`), which `errorMapping.ts` turns into a typed `GraphRequestError`;
 * - no answer at all rejects with Node's socket error (its `code`: `ECONNREFUSED`, `ECONNRESET`, a
 *   TLS code such as `SELF_SIGNED_CERT_IN_CHAIN`) or an `AbortError`, which `errorMapping.ts` maps to
 *   `NetworkError` or `Timeout`.
 *
 * Why not the global `fetch` (docs/BENCHMARKS.md, "Second pass"): `@azure/identity` already
 * loads `https` for the token, and a request through `fetch` costs about twice the CPU of one through
 * `https` (measured over local TLS: 50 concurrent POSTs 162–225 ms against 90–102 ms; a process's first
 * request 60–75 ms against 22–24 ms), on the critical path of every create.
 */
import * as http from "node:http";
import * as https from "node:https";
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
  /** The answer's headers, names in lower case (`retry-after`, `client-request-id`). */
  readonly headers: Readonly<Record<string, string>>;
  /** The body: the parsed JSON, or the text when it is not JSON. */
  readonly body: unknown;

  constructor(status: number, headers: Readonly<Record<string, string>>, body: unknown) {
    const error = graphError(body);
    super(error?.message ?? "");
    this.statusCode = status;
    this.code = error?.code;
    this.requestId = error?.innerError?.["request-id"] ?? headers["request-id"];
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
function parseBody(text: string, contentType: string | undefined): unknown {
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
  /** Sends `request`; resolves with a 2xx answer, rejects with a GraphHttpError or the socket's error. */
  send(request: GraphRequest): Promise<GraphAnswer>;
}

/** An answer as it came: status, headers (lower-case names, repeated ones joined) and the body's text. */
interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

/** Node's headers, one string each. */
function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

/** Sends one request and reads the whole answer; rejects on a socket error, an abort or a cut answer. */
function exchange(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      reject(new Error(`cannot send to ${url.protocol} URLs, only https: (or http:)`));
      return;
    }
    const client = url.protocol === "https:" ? https : http;
    const request = client.request(
      url,
      // Node's global agent: keep-alive (Node ≥ 19), and it honours HTTPS_PROXY under NODE_USE_ENV_PROXY=1.
      { method, headers, signal },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("close", () => {
          if (!response.complete) reject(new Error("the connection closed before the answer was complete"));
        });
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: flatHeaders(response.headers),
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    request.on("error", reject);
    request.end(body);
  });
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
      const url = new URL(
        /^https?:\/\//i.test(request.path)
          ? request.path
          : `${base}/${request.version}${request.path.startsWith("/") ? "" : "/"}${request.path}`,
      );
      const headers: Record<string, string> = {
        accept: "application/json",
        "client-request-id": request.clientRequestId,
      };
      if (url.host.toLowerCase() === graphHost) headers.authorization = `Bearer ${await getToken()}`;
      let body: string | undefined;
      if (request.body !== undefined) {
        body = JSON.stringify(request.body);
        headers["content-type"] = "application/json";
        headers["content-length"] = String(Buffer.byteLength(body));
      }
      const answer = await exchange(url, request.method, headers, body, request.signal);
      const parsed = parseBody(answer.text, answer.headers["content-type"]);
      if (answer.status < 200 || answer.status > 299)
        throw new GraphHttpError(answer.status, answer.headers, parsed);
      return { status: answer.status, body: parsed, requestId: answer.headers["request-id"] ?? "" };
    },
  };
}
