/**
 * The Graph client: one per credential per provider process. It turns settings into a token (cached
 * by @azure/identity until near expiry), paces provisionOnDemand POSTs, retries what is retryable,
 * caches each job's schema, and turns failures into typed errors with request ids. It knows nothing
 * of Pulumi: its settings come in as one plain object, its log lines go out through one function.
 */
import { randomUUID } from "node:crypto";
import type { RateLimit } from "./duration";
import { createCredential } from "./graph/credential";
import { GraphRequestError, type GraphCallTarget } from "./graph/errors";
import { toGraphRequestError } from "./graph/errorMapping";
import { Pacer, type PacerSlot } from "./graph/pacer";
import { TokenSource } from "./graph/token";
import type { GraphApiVersion, ProvisionParameter } from "./graph/model";
import { withRetries } from "./graph/retry";
import type { SynchronizationSchema } from "./graph/rules";
import { GRAPH_DIRECTORY_READ_LIMIT, type GraphSettings } from "./graph/settings";
import { createTransport, type GraphTransport } from "./graph/transport";

/** How long one HTTP attempt may take before it counts as "no answer" and is retried. */
const ATTEMPT_TIMEOUT_MS = 120_000;

/** Most member pages read for one group (999 members each): a bound on the paging loop. */
const MAX_MEMBER_PAGES = 100;

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
  private readonly transport: GraphTransport;
  /** Paces provisionOnDemand POSTs (Graph's 5 per 10 s). */
  private readonly pacer: Pacer;
  /** Paces directory reads (a group's member pages). */
  private readonly readPacer: Pacer;
  private readonly schemas = new Map<string, Promise<SynchronizationSchema>>();
  private readonly paceKey: string;
  private readonly log: (line: string) => void;
  private readonly tokens: TokenSource;
  /** Targets whose wait for the pacer was already logged. */
  private readonly waitsNoted = new WeakSet<GraphCallTarget>();

  constructor(
    private readonly settings: GraphSettings,
    options: GraphClientOptions = {},
  ) {
    this.tokens = new TokenSource(createCredential(settings), settings);
    // By the time the transport asks, `call` has fetched the token: this answers from the cache.
    this.transport = createTransport(settings.graphUrl, () =>
      this.tokens.get(Date.now() + ATTEMPT_TIMEOUT_MS),
    );
    this.pacer = new Pacer(settings.rateLimit);
    this.readPacer = new Pacer(GRAPH_DIRECTORY_READ_LIMIT);
    this.paceKey = `${settings.tenantId ?? "default"}/${settings.clientId ?? "default"}`;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Logs that a call waits for the pacer, once per target (a resource's many requests say it once). */
  private noteWait(target: GraphCallTarget, waitMs: number, why: string): void {
    if (this.waitsNoted.has(target)) return;
    this.waitsNoted.add(target);
    this.log(
      `${target.label ? `${target.label}: ` : ""}${target.operation}: waiting ~${Math.ceil(waitMs / 1000)} s for ${why}` +
        ` [job ${target.jobId}${target.subjects ? `, ${target.subjects}` : ""}]`,
    );
  }

  /** The provisionOnDemand budget this client paces to; `undefined` when pacing is off. */
  get rateLimit(): RateLimit | undefined {
    return this.settings.rateLimit;
  }

  /**
   * Sends one request with retries. Each attempt gets the token, then (for paced calls) a pacer slot,
   * both bounded by the create's deadline, then sends with its own timeout: `send` gets the attempt's
   * abort signal and client-request-id.
   */
  private async call<T>(
    options: CallOptions,
    send: (signal: AbortSignal, clientRequestId: string) => Promise<T>,
    pacer?: Pacer,
  ): Promise<T> {
    return withRetries(
      options.target,
      {
        deadline: options.deadline,
        timeoutSeconds: options.timeoutSeconds,
        replicationWindowMs: this.settings.replicationWindowMs,
        onRetryAfter: (until) => (pacer ?? this.pacer).pause(this.paceKey, until),
        log: this.log,
      },
      async () => {
        const clientRequestId = randomUUID();
        // The token first, so a token failure surfaces as itself, not as a transport error.
        await this.tokens.get(options.deadline);
        const slot: PacerSlot | undefined = await pacer?.acquire(this.paceKey, {
          deadline: options.deadline,
          target: options.target,
          timeoutSeconds: options.timeoutSeconds,
          onWait: (waitMs, why) => this.noteWait(options.target, waitMs, why),
        });
        const limit = Math.min(options.deadline - Date.now(), ATTEMPT_TIMEOUT_MS);
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), limit);
        try {
          return await send(controller.signal, clientRequestId);
        } catch (error) {
          const mapped = toGraphRequestError(
            error,
            options.target,
            clientRequestId,
            controller.signal.aborted ? limit : undefined,
          );
          if (pacer && mapped instanceof GraphRequestError && mapped.status === 429)
            pacer.throttled(this.paceKey);
          throw mapped;
        } finally {
          clearTimeout(timer);
          slot?.settle();
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
      schema = this.call({ ...options, target }, async (signal, clientRequestId) => {
        const answer = await this.transport.send({
          method: "GET",
          path: `/servicePrincipals/${servicePrincipalId}/synchronization/jobs/${encodeURIComponent(jobId)}/schema`,
          version: options.apiVersion,
          clientRequestId,
          signal,
        });
        return answer.body as SynchronizationSchema;
      });
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
    return this.call(
      options,
      async (signal, clientRequestId) => {
        const { body, requestId } = await this.transport.send({
          method: "POST",
          path: `/servicePrincipals/${servicePrincipalId}/synchronization/jobs/${encodeURIComponent(jobId)}/provisionOnDemand`,
          version: options.apiVersion,
          clientRequestId,
          signal,
          body: { parameters },
        });
        return { body, requestId, clientRequestId };
      },
      this.pacer,
    );
  }

  /**
   * The ids of a group's direct user members: `GET /groups/{id}/members/microsoft.graph.user`
   * (`$select=id`, 999 a page), following every `@odata.nextLink` verbatim. Each page is retried like
   * any call and paced by the directory-read budget (separate from provisionOnDemand's).
   * Nested groups are not followed: provisioning on demand does not follow them either.
   */
  async listGroupUserMembers(options: CallOptions, groupId: string): Promise<string[]> {
    const target = { ...options.target, operation: "list group members" };
    const ids: string[] = [];
    let next: string | undefined =
      `/groups/${encodeURIComponent(groupId)}/members/microsoft.graph.user?$select=id&$top=999`;
    for (let page = 0; next !== undefined; page++) {
      if (page >= MAX_MEMBER_PAGES) {
        throw new Error(
          `group ${groupId} has more than ${MAX_MEMBER_PAGES * 999} direct user members; list fewer`,
        );
      }
      const url: string = next;
      const body = await this.call(
        { ...options, target },
        async (signal, clientRequestId) =>
          (
            await this.transport.send({
              method: "GET",
              path: url,
              version: options.apiVersion,
              clientRequestId,
              signal,
            })
          ).body as { value?: { id?: unknown }[]; "@odata.nextLink"?: unknown } | undefined,
        this.readPacer,
      );
      for (const member of body?.value ?? [])
        if (typeof member?.id === "string") ids.push(member.id.toLowerCase());
      next = typeof body?.["@odata.nextLink"] === "string" ? body["@odata.nextLink"] : undefined;
    }
    return [...new Set(ids)];
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
