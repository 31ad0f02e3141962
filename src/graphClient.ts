/**
 * The Graph client: one per credential per provider process. It turns settings into a token (cached
 * by @azure/identity until near expiry), paces provisionOnDemand POSTs, retries what is retryable,
 * caches each job's schema, and turns failures into typed errors with request ids. It knows nothing
 * of Pulumi: its settings come in as one plain object, its log lines go out through one function.
 */
import { randomUUID } from "node:crypto";
import type { Client } from "@microsoft/microsoft-graph-client";
import { createCredential, credentialHint, type ResolvedCredential } from "./graph/credential";
import type { GraphCallTarget } from "./graph/errors";
import { toGraphRequestError, toTokenRequestError } from "./graph/errorMapping";
import { Pacer } from "./graph/pacer";
import type { GraphApiVersion, ProvisionParameter } from "./graph/model";
import { withRetries } from "./graph/retry";
import type { SynchronizationSchema } from "./graph/rules";
import type { GraphSettings } from "./graph/settings";
import { ResponseCapture, createTransport } from "./graph/transport";

/** How long one HTTP attempt may take before it counts as "no answer" and is retried. */
const ATTEMPT_TIMEOUT_MS = 120_000;

/** The answer of a successful provisionOnDemand POST. */
export interface ProvisionOnDemandAnswer {
  /** The parsed JSON body (a stringKeyStringValuePair). */
  readonly body: unknown;
  /** Graph's `request-id` header. */
  readonly requestId: string;
  /** The `client-request-id` we sent. */
  readonly clientRequestId: string;
}

/** What every call needs besides its own arguments. */
export interface CallOptions {
  /** The job and subjects, for messages. */
  readonly target: GraphCallTarget;
  /** `beta` or `v1.0`. */
  readonly apiVersion: GraphApiVersion;
  /** When the whole create must be done (epoch ms). */
  readonly deadline: number;
  /** The create timeout in seconds, for messages. */
  readonly timeoutSeconds: number;
}

/** How a client reports what it does; every option documents its default. */
export interface GraphClientOptions {
  /** Receives one line per retry or wait. Default: standard error (the engine shows it as a diagnostic). */
  readonly log?: (line: string) => void;
}

/** A Graph client bound to one credential. Get it with `graphClientFor(settings)`. */
export class GraphClient {
  private readonly credential: ResolvedCredential;
  private readonly transport: Client;
  private readonly pacer: Pacer;
  private readonly schemas = new Map<string, Promise<SynchronizationSchema>>();
  private readonly paceKey: string;
  private readonly log: (line: string) => void;
  private pendingToken?: Promise<string>;
  private tokenExpiresAt = 0;

  constructor(
    private readonly settings: GraphSettings,
    options: GraphClientOptions = {},
  ) {
    this.credential = createCredential(settings);
    this.transport = createTransport(settings.graphUrl, () => this.token());
    this.pacer = new Pacer(settings.rateLimit);
    this.paceKey = `${settings.tenantId ?? "default"}/${settings.clientId ?? "default"}`;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /**
   * The bearer token. Concurrent callers share one request (single flight), and the token is reused
   * until five minutes before it expires: one token request per credential per process.
   */
  private token(): Promise<string> {
    const fresh = this.tokenExpiresAt - 5 * 60_000 > Date.now();
    if (!this.pendingToken || (this.tokenExpiresAt > 0 && !fresh)) {
      this.tokenExpiresAt = 0;
      const pending = this.credential.credential.getToken(this.settings.scope).then(
        (token) => {
          if (!token) throw new Error("the credential returned no token");
          this.tokenExpiresAt = token.expiresOnTimestamp;
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
      pending.catch(() => {
        if (this.pendingToken === pending) this.pendingToken = undefined;
      });
      this.pendingToken = pending;
    }
    return this.pendingToken;
  }

  /** Sends one request with retries; `send` gets the attempt's abort signal and client-request-id. */
  private async call<T>(
    options: CallOptions,
    send: (signal: AbortSignal, clientRequestId: string) => Promise<T>,
  ): Promise<T> {
    return withRetries(
      options.target,
      {
        deadline: options.deadline,
        timeoutSeconds: options.timeoutSeconds,
        replicationWindowMs: this.settings.replicationWindowMs,
        onRetryAfter: (until) => this.pacer.pause(this.paceKey, until),
        log: this.log,
      },
      async (remainingMs) => {
        const clientRequestId = randomUUID();
        const limit = Math.min(remainingMs, ATTEMPT_TIMEOUT_MS);
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), limit);
        try {
          // Fetch the token first, so a token failure surfaces as itself, not as a transport error.
          await this.token();
          return await send(controller.signal, clientRequestId);
        } catch (error) {
          throw toGraphRequestError(
            error,
            options.target,
            clientRequestId,
            controller.signal.aborted ? limit : undefined,
          );
        } finally {
          clearTimeout(timer);
        }
      },
    );
  }

  /** `GET …/jobs/{jobId}/schema`, once per job per process (a failed fetch is not cached). */
  getSchema(options: CallOptions): Promise<SynchronizationSchema> {
    const { servicePrincipalId, jobId } = options.target;
    const key = `${options.apiVersion}/${servicePrincipalId}/${jobId}`;
    let schema = this.schemas.get(key);
    if (!schema) {
      const target = { ...options.target, operation: "get job schema" };
      schema = this.call({ ...options, target }, (signal, clientRequestId) =>
        this.transport
          .api(
            `/servicePrincipals/${servicePrincipalId}/synchronization/jobs/${encodeURIComponent(jobId)}/schema`,
          )
          .version(options.apiVersion)
          .header("client-request-id", clientRequestId)
          .option("signal", signal)
          .get(),
      );
      this.schemas.set(key, schema);
      schema.catch(() => this.schemas.delete(key));
    }
    return schema;
  }

  /** `POST …/jobs/{jobId}/provisionOnDemand`, paced to the rate limit, retried as retry.ts says. */
  provisionOnDemand(
    options: CallOptions,
    parameters: readonly ProvisionParameter[],
  ): Promise<ProvisionOnDemandAnswer> {
    const { servicePrincipalId, jobId } = options.target;
    return this.call(options, async (signal, clientRequestId) => {
      const slot = await this.pacer.acquire(this.paceKey);
      const capture = new ResponseCapture();
      const body = await this.transport
        .api(
          `/servicePrincipals/${servicePrincipalId}/synchronization/jobs/${encodeURIComponent(jobId)}/provisionOnDemand`,
        )
        .version(options.apiVersion)
        .header("client-request-id", clientRequestId)
        .option("signal", signal)
        .middlewareOptions([capture])
        .post({ parameters })
        .finally(() => slot.settle());
      const requestId = capture.response?.headers.get("request-id") ?? "";
      return { body, requestId, clientRequestId };
    });
  }
}

const clients = new Map<string, GraphClient>();

/** The process-wide client for these settings: one token cache, one schema cache, one pacer. */
export function graphClientFor(settings: GraphSettings, options: GraphClientOptions = {}): GraphClient {
  const key = JSON.stringify({ ...settings, sources: undefined }); // where a value came from changes nothing
  let client = clients.get(key);
  if (!client) {
    client = new GraphClient(settings, options);
    clients.set(key, client);
  }
  return client;
}
