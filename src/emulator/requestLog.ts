/**
 * The request log: one entry per request served (method, path, status, duration, and which tenant
 * and app were involved). Headers are never recorded, so bearer tokens and secrets cannot leak into it.
 */

/** Which endpoint answered a request. */
export type RequestKind =
  | "openid"
  | "token"
  | "servicePrincipal"
  | "jobs"
  | "job"
  | "schema"
  | "provisionOnDemand"
  | "listGroupMembers"
  | "admin"
  | "other";

/** One served request. */
export interface RequestLogEntry {
  /** When the request arrived, ISO 8601. */
  readonly time: string;
  /** The HTTP method. */
  readonly method: string;
  /** The URL path, without the query string. */
  readonly path: string;
  /** The HTTP status answered; 0 when the connection was reset or dropped without an answer. */
  readonly status: number;
  /** Time from arrival to the end of the answer, in milliseconds. */
  readonly durationMs: number;
  /** Which endpoint answered. */
  readonly kind: RequestKind;
  /** The tenant the request concerned, when known. */
  readonly tenantId?: string;
  /** The calling app's client id, when known. */
  readonly clientId?: string;
  /** The `request-id` answered. */
  readonly requestId?: string;
  /** The caller's `client-request-id` (or the request id when it sent none). */
  readonly clientRequestId?: string;
  /** Set when an injected fault shaped the answer: `respond`, `delay`, `reset` or `hang`. */
  readonly fault?: string;
}

/** Default number of entries kept; older ones are dropped first. */
export const DEFAULT_REQUEST_LOG_CAPACITY = 10_000;

/** A bounded, in-memory request log. */
export class RequestLog {
  private entries: RequestLogEntry[] = [];

  /** @param capacity how many entries are kept (oldest dropped first) */
  constructor(private readonly capacity = DEFAULT_REQUEST_LOG_CAPACITY) {}

  /** Records one entry. */
  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
    // Trim in batches so that a full log does not shift the array on every request.
    if (this.entries.length > this.capacity * 1.1) this.entries = this.entries.slice(-this.capacity);
  }

  /** The entries, oldest first. */
  list(): RequestLogEntry[] {
    return this.entries.slice(-this.capacity);
  }

  /** Forgets every entry. */
  clear(): void {
    this.entries = [];
  }
}

/** One human-readable line for an entry (the CLI prints these). */
export function formatLogLine(entry: RequestLogEntry): string {
  const who = [entry.tenantId && `tenant=${entry.tenantId}`, entry.clientId && `client=${entry.clientId}`]
    .filter(Boolean)
    .join(" ");
  const fault = entry.fault ? ` fault=${entry.fault}` : "";
  return (
    `${entry.time} ${entry.method.padEnd(6)} ${String(entry.status).padStart(3)} ` +
    `${entry.durationMs.toFixed(1).padStart(7)}ms ${entry.kind.padEnd(17)} ${entry.path}` +
    `${who ? ` ${who}` : ""}${fault} request-id=${entry.requestId ?? "-"}`
  );
}
