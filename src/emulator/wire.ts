/**
 * HTTP wire helpers shared by the Entra, Graph and admin routes: the per-request context, JSON
 * answers, Graph-format and Entra-format errors, and bounded body reading.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestKind } from "./requestLog";

/** Largest request body accepted, in bytes (larger bodies get 413). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Beyond this many bytes an oversized body is no longer drained: the connection is closed. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/** Everything a route needs about the request being served. */
export interface RequestContext {
  /** The incoming request. */
  readonly req: IncomingMessage;
  /** The response being written. */
  readonly res: ServerResponse;
  /** The HTTP method, upper case. */
  readonly method: string;
  /** The URL path without query, percent-decoding not applied. */
  readonly path: string;
  /** The query string parameters. */
  readonly query: URLSearchParams;
  /** The `request-id` of this answer. */
  readonly requestId: string;
  /** The caller's `client-request-id`, or the request id when the caller sent none. */
  readonly clientRequestId: string;
  /** What kind of endpoint answered (for the request log). */
  kind: RequestKind;
  /** The tenant the request concerned, once known. */
  tenantId?: string;
  /** The calling app, once known. */
  clientId?: string;
}

/** Builds the context of a request (request ids included). */
export function newRequestContext(req: IncomingMessage, res: ServerResponse): RequestContext {
  const url = req.url ?? "/";
  const queryStart = url.indexOf("?");
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const requestId = randomUUID();
  const callerId = req.headers["client-request-id"];
  const clientRequestId =
    typeof callerId === "string" && callerId.length > 0 && callerId.length <= 200 ? callerId : requestId;
  return {
    req,
    res,
    method: (req.method ?? "GET").toUpperCase(),
    path,
    query: new URLSearchParams(queryStart === -1 ? "" : url.slice(queryStart + 1)),
    requestId,
    clientRequestId,
    kind: "other",
  };
}

/** Writes a JSON answer with the request-id headers (unless the response is already gone). */
export function sendJson(
  ctx: RequestContext,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = "application/json; charset=utf-8",
): void {
  const { res } = ctx;
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(text),
    "request-id": ctx.requestId,
    "client-request-id": ctx.clientRequestId,
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

/** Graph's JSON content type. */
export const GRAPH_CONTENT_TYPE =
  "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/** Graph's timestamp format inside `innerError.date` (seconds precision, no zone suffix). */
function graphDate(): string {
  return new Date().toISOString().slice(0, 19);
}

/**
 * Writes a Graph error: `{"error":{"code","message","innerError":{"date","request-id",
 * "client-request-id"}}}`; 429 and 503 answers carry `Retry-After` when `retryAfterSeconds` is given.
 */
export function sendGraphError(
  ctx: RequestContext,
  status: number,
  code: string,
  message: string,
  retryAfterSeconds?: number,
): void {
  const headers: Record<string, string> = {};
  if (retryAfterSeconds !== undefined) headers["retry-after"] = String(retryAfterSeconds);
  sendJson(
    ctx,
    status,
    {
      error: {
        code,
        message,
        innerError: {
          date: graphDate(),
          "request-id": ctx.requestId,
          "client-request-id": ctx.clientRequestId,
        },
      },
    },
    headers,
    GRAPH_CONTENT_TYPE,
  );
}

/**
 * Writes an Entra (login endpoint) error: `{"error","error_description":"AADSTS…: …","error_codes",
 * "timestamp","trace_id","correlation_id","error_uri"}`.
 */
export function sendEntraError(
  ctx: RequestContext,
  status: number,
  error: string,
  aadsts: number,
  message: string,
  retryAfterSeconds?: number,
): void {
  const timestamp = new Date()
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  const description =
    `AADSTS${aadsts}: ${message} Trace ID: ${ctx.requestId} Correlation ID: ${ctx.clientRequestId} ` +
    `Timestamp: ${timestamp}`;
  const headers: Record<string, string> = { "x-ms-request-id": ctx.requestId };
  if (retryAfterSeconds !== undefined) headers["retry-after"] = String(retryAfterSeconds);
  sendJson(
    ctx,
    status,
    {
      error,
      error_description: description,
      error_codes: [aadsts],
      timestamp,
      trace_id: ctx.requestId,
      correlation_id: ctx.clientRequestId,
      error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
    },
    headers,
  );
}

/** The outcome of reading a body: its bytes, the fact that it was larger than allowed, or a dead client. */
export type BodyResult =
  | { readonly outcome: "read"; readonly body: Buffer }
  | { readonly outcome: "tooLarge" }
  | { readonly outcome: "aborted" };

/**
 * Reads the request body up to `limit` bytes. A larger body is drained (so that the client still
 * reads our 413) unless it is enormous, in which case the connection is closed after the answer.
 */
export function readBody(ctx: RequestContext, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  const { req } = ctx;
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > MAX_DRAIN_BYTES) {
    ctx.res.setHeader("connection", "close");
    req.pause();
    return Promise.resolve({ outcome: "tooLarge" });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > limit;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
      if (size > MAX_DRAIN_BYTES) {
        ctx.res.setHeader("connection", "close");
        req.removeAllListeners("data");
        req.pause();
        resolve({ outcome: "tooLarge" });
      }
    });
    req.on("end", () =>
      resolve(tooLarge ? { outcome: "tooLarge" } : { outcome: "read", body: Buffer.concat(chunks, size) }),
    );
    req.on("error", () => resolve({ outcome: "aborted" }));
    req.on("aborted", () => resolve({ outcome: "aborted" }));
  });
}

/**
 * Reads the body of a Graph-style request (Graph routes and the admin API). Too large: answers 413
 * in Graph's error format. Returns the body, or `undefined` when the request was answered or aborted.
 */
export async function readGraphBody(ctx: RequestContext): Promise<Buffer | undefined> {
  const read = await readBody(ctx);
  if (read.outcome === "aborted") return undefined;
  if (read.outcome === "tooLarge") {
    sendGraphError(
      ctx,
      413,
      "RequestEntityTooLarge",
      "The request body is larger than the 1 MB the emulator accepts.",
    );
    return undefined;
  }
  return read.body;
}

/** The media type of the request (`application/json`), lower case, without parameters. */
export function mediaType(ctx: RequestContext): string {
  return (ctx.req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
}
