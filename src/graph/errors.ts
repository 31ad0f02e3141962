/**
 * Typed errors. Whoever catches one reads the Graph code, HTTP status and request ids from fields,
 * without parsing the message; the message itself is what a Pulumi user sees.
 */

/** What a Graph call concerned, for error messages: the job and the subjects. */
export interface GraphCallTarget {
  /** The operation, e.g. `provisionOnDemand` or `get job schema`. */
  readonly operation: string;
  /** The service principal object id. */
  readonly servicePrincipalId: string;
  /** The synchronization job id. */
  readonly jobId: string;
  /** A short description of the subjects, e.g. `Group 1b2c…`. */
  readonly subjects?: string;
}

/** The fields of a failed Graph (or token) call. */
export interface GraphErrorDetails {
  /** Graph's error code, e.g. `RequestParameterInvalid`, or `NetworkError` when no answer came. */
  readonly code: string;
  /** Graph's error message. */
  readonly message: string;
  /** The HTTP status, or 0 when no answer came. */
  readonly status: number;
  /** Graph's `request-id`, when the answer carried one. */
  readonly requestId?: string;
  /** The `client-request-id` we sent. */
  readonly clientRequestId?: string;
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs?: number;
}

/** A Graph call that failed: carries the code, status and request ids, and what the call concerned. */
export class GraphRequestError extends Error {
  override readonly name = "GraphRequestError";
  readonly code: string;
  readonly status: number;
  readonly requestId?: string;
  readonly clientRequestId?: string;
  readonly retryAfterMs?: number;
  readonly target: GraphCallTarget;

  constructor(details: GraphErrorDetails, target: GraphCallTarget) {
    super(formatGraphError(details, target));
    this.code = details.code;
    this.status = details.status;
    this.requestId = details.requestId;
    this.clientRequestId = details.clientRequestId;
    this.retryAfterMs = details.retryAfterMs;
    this.target = target;
  }
}

/** The provisioning ran but reported `Failure`, and `failOnProvisioningError` is on. */
export class ProvisioningFailedError extends Error {
  override readonly name = "ProvisioningFailedError";
  constructor(
    readonly code: string,
    readonly detail: string,
    readonly requestId: string,
    readonly target: GraphCallTarget,
  ) {
    super(
      `provisionOnDemand reported Failure: ${code}: ${detail} (request-id ${requestId}) ${describeTarget(target)}.` +
        " Set failOnProvisioningError: false to record the failure in the outputs instead.",
    );
  }
}

/** The whole create ran past its timeout (`customTimeouts.create`, retries included). */
export class TimeoutExceededError extends Error {
  override readonly name = "TimeoutExceededError";
  constructor(
    readonly timeoutSeconds: number,
    readonly attempts: number,
    readonly lastError: Error | undefined,
    target: GraphCallTarget,
  ) {
    super(
      `${target.operation} did not succeed within the create timeout of ${timeoutSeconds}s ` +
        `(${attempts} attempt${attempts === 1 ? "" : "s"}) ${describeTarget(target)}` +
        (lastError ? `; last error: ${lastError.message}` : "") +
        ". Raise customTimeouts.create to wait longer.",
    );
  }
}

/** No synchronization rule of the job's schema fits the subjects, or several do. */
export class RuleResolutionError extends Error {
  override readonly name = "RuleResolutionError";
}

/** `for job X of service principal Y (Group abc)` */
export function describeTarget(target: GraphCallTarget): string {
  const subjects = target.subjects ? `, subjects ${target.subjects}` : "";
  return `[job ${target.jobId}, service principal ${target.servicePrincipalId}${subjects}]`;
}

/** `provisionOnDemand failed: <code>: <message> (HTTP 400, request-id …, client-request-id …) [job …]` */
export function formatGraphError(details: GraphErrorDetails, target: GraphCallTarget): string {
  const http = details.status > 0 ? `HTTP ${details.status}` : "no HTTP answer";
  const ids = [
    http,
    details.requestId ? `request-id ${details.requestId}` : undefined,
    details.clientRequestId ? `client-request-id ${details.clientRequestId}` : undefined,
  ].filter(Boolean);
  return `${target.operation} failed: ${details.code}: ${details.message} (${ids.join(", ")}) ${describeTarget(target)}`;
}

/** The token request failed: Entra's error code and description, trace and correlation ids. */
export class TokenRequestError extends Error {
  override readonly name = "TokenRequestError";
  constructor(
    /** Entra's error, e.g. `invalid_client`, or the credential's error name. */
    readonly code: string,
    /** Entra's description (AADSTS…) or the credential's message. */
    readonly description: string,
    /** The HTTP status of the token endpoint, or 0 when it did not answer. */
    readonly status: number,
    /** The credential method that failed. */
    readonly method: string,
    /** Entra's correlation id, when it sent one. */
    readonly correlationId?: string,
  ) {
    super(
      `token request (${method}) failed: ${code}: ${description}` +
        ` (${status > 0 ? `HTTP ${status}` : "no HTTP answer"}${correlationId ? `, correlation-id ${correlationId}` : ""})`,
    );
  }
}
