/**
 * One family of typed errors. Every error of this package is a `ProvisionOnDemandError` built from
 * one options object: whoever catches it reads the Graph or Entra code, the HTTP status, the
 * server's own text and the request ids from fields, without parsing the message, and finds the
 * original failure in `cause`. The message itself is what a Pulumi user sees.
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
  /** Who the call is for (e.g. a Pulumi resource's name): log lines start with it. */
  readonly label?: string;
}

/** The fields every error of the family may carry; each constructor takes these. */
export interface ProvisionOnDemandErrorOptions {
  /** The Graph or Entra error code (`RequestParameterInvalid`, `invalid_client`), or ours (`Timeout`). */
  readonly code: string;
  /** The server's own text (Graph's `error.message`, Entra's `error_description`), or ours when none came. */
  readonly serverMessage?: string;
  /** The HTTP status, or 0 when no answer came. */
  readonly status?: number;
  /** Graph's `request-id`, when the answer carried one. */
  readonly requestId?: string;
  /** The `client-request-id` we sent. */
  readonly clientRequestId?: string;
  /** What the call concerned. */
  readonly target?: GraphCallTarget;
  /** The failure this error explains. */
  readonly cause?: unknown;
}

/** The base of every error this package throws. */
export class ProvisionOnDemandError extends Error {
  override readonly name: string = "ProvisionOnDemandError";
  /** The Graph or Entra error code, or ours. */
  readonly code: string;
  /** The server's own text, or ours when none came. */
  readonly serverMessage: string;
  /** The HTTP status, or 0 when no answer came. */
  readonly status: number;
  /** Graph's `request-id`, when known. */
  readonly requestId?: string;
  /** The `client-request-id` we sent, when known. */
  readonly clientRequestId?: string;
  /** What the call concerned, when known. */
  readonly target?: GraphCallTarget;

  /** @param message what the user reads; @param options the fields, see ProvisionOnDemandErrorOptions. */
  constructor(message: string, options: ProvisionOnDemandErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.serverMessage = options.serverMessage ?? "";
    this.status = options.status ?? 0;
    this.requestId = options.requestId;
    this.clientRequestId = options.clientRequestId;
    this.target = options.target;
  }
}

/** True for any error of this package's family. */
export function isProvisionOnDemandError(error: unknown): error is ProvisionOnDemandError {
  return error instanceof ProvisionOnDemandError;
}

/** `[job X, service principal Y, subjects Group abc]` */
export function describeTarget(target: GraphCallTarget): string {
  const subjects = target.subjects ? `, subjects ${target.subjects}` : "";
  return `[job ${target.jobId}, service principal ${target.servicePrincipalId}${subjects}]`;
}

/** ` [job …]` after a message, or nothing without a target. */
function targetSuffix(target: GraphCallTarget | undefined): string {
  return target ? ` ${describeTarget(target)}` : "";
}

/** `(HTTP 400, request-id …, client-request-id …)` */
function describeAnswer(options: ProvisionOnDemandErrorOptions): string {
  const ids = [
    options.status ? `HTTP ${options.status}` : "no HTTP answer",
    options.requestId ? `request-id ${options.requestId}` : undefined,
    options.clientRequestId ? `client-request-id ${options.clientRequestId}` : undefined,
  ].filter(Boolean);
  return `(${ids.join(", ")})`;
}

/** The fields of a failed Graph call. */
export interface GraphRequestErrorOptions extends ProvisionOnDemandErrorOptions {
  /** What the call concerned (required for Graph calls). */
  readonly target: GraphCallTarget;
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs?: number;
  /** What the user can do about it, when we know (appended to the message). */
  readonly hint?: string;
}

/** A Graph call that failed, or got no answer. */
export class GraphRequestError extends ProvisionOnDemandError {
  override readonly name = "GraphRequestError";
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs?: number;
  override readonly target: GraphCallTarget;

  constructor(options: GraphRequestErrorOptions) {
    super(
      `${options.target.operation} failed: ${options.code}: ${options.serverMessage ?? ""} ${describeAnswer(options)}${targetSuffix(options.target)}${options.hint ? `. ${options.hint}` : ""}`,
      options,
    );
    this.retryAfterMs = options.retryAfterMs;
    this.target = options.target;
  }
}

/** The fields of a failed token request. */
export interface TokenRequestErrorOptions extends ProvisionOnDemandErrorOptions {
  /** The credential method that failed, e.g. `clientSecret`. */
  readonly method: string;
  /** The login host asked. */
  readonly authorityHost: string;
  /** Entra's correlation id, when it sent one. */
  readonly correlationId?: string;
  /** What the user can do about it, when we know (appended to the message). */
  readonly hint?: string;
}

/** The token request failed: Entra's code and description, and its correlation id. */
export class TokenRequestError extends ProvisionOnDemandError {
  override readonly name = "TokenRequestError";
  /** The credential method that failed. */
  readonly method: string;
  /** Entra's correlation id, when it sent one. */
  readonly correlationId?: string;

  constructor(options: TokenRequestErrorOptions) {
    const status = options.status ? `HTTP ${options.status}` : "no HTTP answer";
    const correlation = options.correlationId ? `, correlation-id ${options.correlationId}` : "";
    super(
      `token request (${options.method}) failed: ${options.code}: ${options.serverMessage ?? ""}` +
        ` [authority ${options.authorityHost}] (${status}${correlation})${options.hint ? `. ${options.hint}` : ""}`,
      options,
    );
    this.method = options.method;
    this.correlationId = options.correlationId;
  }
}

/** The fields of a reported Failure. */
export interface ProvisioningFailedErrorOptions extends ProvisionOnDemandErrorOptions {
  /** Which members failed, e.g. `3 of 23 members failed (User 1b2c… SchemaInvalid, …)`. */
  readonly failing?: string;
}

/** The provisioning ran but reported `Failure`, and `failOnProvisioningError` is on. */
export class ProvisioningFailedError extends ProvisionOnDemandError {
  override readonly name = "ProvisioningFailedError";

  constructor(options: ProvisioningFailedErrorOptions) {
    super(
      `provisionOnDemand reported Failure${options.failing ? ` (${options.failing})` : ""}: ${options.code}: ${options.serverMessage ?? ""} ` +
        `(request-id ${options.requestId ?? "unknown"})${targetSuffix(options.target)}.` +
        " Set failOnProvisioningError: false to record the failure in the outputs instead.",
      options,
    );
  }
}

/** The fields of a create that ran out of time. */
export interface TimeoutExceededErrorOptions extends Omit<ProvisionOnDemandErrorOptions, "code"> {
  /** The create timeout, in seconds. */
  readonly timeoutSeconds: number;
  /** How many attempts were made. */
  readonly attempts: number;
  /** What the call was waiting for when time ran out, e.g. `Graph's rate limit`. */
  readonly waitingFor?: string;
}

/** The whole create ran past its timeout (`customTimeouts.create`, retries included). */
export class TimeoutExceededError extends ProvisionOnDemandError {
  override readonly name = "TimeoutExceededError";
  /** The create timeout, in seconds. */
  readonly timeoutSeconds: number;
  /** How many attempts were made. */
  readonly attempts: number;

  constructor(options: TimeoutExceededErrorOptions) {
    const last = options.cause instanceof Error ? `; last error: ${options.cause.message}` : "";
    const waiting = options.waitingFor ? ` while waiting for ${options.waitingFor}` : "";
    super(
      `${options.target?.operation ?? "the create"} did not succeed within the create timeout of ` +
        `${options.timeoutSeconds}s${waiting} (${options.attempts} attempt${options.attempts === 1 ? "" : "s"})` +
        `${targetSuffix(options.target)}${last}. Raise customTimeouts.create to wait longer.`,
      {
        // The ids of the last answer, so that a timeout after HTTP answers still names them.
        ...(options.cause instanceof ProvisionOnDemandError
          ? { requestId: options.cause.requestId, clientRequestId: options.cause.clientRequestId }
          : {}),
        ...options,
        code: "Timeout",
      },
    );
    this.timeoutSeconds = options.timeoutSeconds;
    this.attempts = options.attempts;
  }
}

/** No synchronization rule of the job's schema fits the subjects, or several do. */
export class RuleResolutionError extends ProvisionOnDemandError {
  override readonly name = "RuleResolutionError";

  constructor(message: string, options: Omit<ProvisionOnDemandErrorOptions, "code"> = {}) {
    super(message, { ...options, code: "RuleResolutionFailed" });
  }
}

/** A 200 answer whose body is not a provisioning report we can read (a proxy's HTML page, say). */
export class UnreadableResponseError extends ProvisionOnDemandError {
  override readonly name = "UnreadableResponseError";

  constructor(message: string, options: Omit<ProvisionOnDemandErrorOptions, "code"> = {}) {
    super(`${message}${options.requestId ? ` (request-id ${options.requestId})` : ""}`, {
      ...options,
      code: "UnreadableResponse",
    });
  }
}
