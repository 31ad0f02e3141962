/**
 * The Microsoft Graph endpoints of the synchronization API, under `/beta` and `/v1.0`: the service
 * principal, its jobs, one job, the job's schema, and provisionOnDemand. Every call needs an access
 * token this emulator issued (401 otherwise) and the right application permission (403 otherwise).
 */
import type { EmulatorCore } from "./core";
import { provisioningAnswer, runProvisioning } from "./provisioning";
import { checkJobAccepts, parseProvisionBody } from "./provisionRequest";
import { describeRateLimit } from "./rateLimit";
import type { RequestKind } from "./requestLog";
import type { StoredJob, StoredServicePrincipal } from "./state";
import type { AccessTokenClaims, TokenRejection } from "./tokens";
import { GRAPH_CONTENT_TYPE, mediaType, readGraphBody, sendGraphError, sendJson } from "./wire";
import type { RequestContext } from "./wire";

const VERSION_PREFIX = /^\/(beta|v1\.0)(\/|$)/;
const ROUTE =
  /^\/(beta|v1\.0)\/servicePrincipals\/([^/]+)(?:\/synchronization\/jobs(?:\/([^/]+)(?:\/(schema|provisionOnDemand))?)?)?\/?$/i;

/** Permission that allows every call here, per Graph's documentation. */
const SYNCHRONIZATION_WRITE = "Synchronization.ReadWrite.All";
/** Permission that allows the calls on service principals the caller owns. */
const OWNED_BY = "Application.ReadWrite.OwnedBy";
/** Permissions that also allow the read-only calls (an emulator simplification). */
const READ_PERMISSIONS = new Set([
  "Synchronization.Read.All",
  "Application.Read.All",
  "Application.ReadWrite.All",
  "Directory.Read.All",
  "Directory.ReadWrite.All",
]);

const REJECTION_MESSAGES: Record<TokenRejection, string> = {
  missing: "Access token is empty.",
  malformed: "CompactToken parsing failed with error code: 80049217",
  foreign: "Access token validation failure.",
  expired: "Lifetime validation failed, the token is expired.",
  audience: "Access token validation failure. Invalid audience.",
};

/** Whether the path is under a Graph version prefix. */
export function isGraphPath(path: string): boolean {
  return VERSION_PREFIX.test(path);
}

/** Which Graph endpoint a path names, if any (for the request log). */
export function graphKindOf(path: string): RequestKind | undefined {
  return matchRoute(path)?.kind;
}

interface Route {
  readonly version: string;
  readonly servicePrincipalId: string;
  readonly jobId?: string;
  readonly kind: RequestKind;
  readonly method: "GET" | "POST";
}

function matchRoute(path: string): Route | undefined {
  const match = ROUTE.exec(path);
  if (!match) return undefined;
  const [, version, spId, jobId, leaf] = match;
  const lowerLeaf = leaf?.toLowerCase();
  const kind: RequestKind =
    lowerLeaf === "provisionondemand"
      ? "provisionOnDemand"
      : lowerLeaf === "schema"
        ? "schema"
        : jobId !== undefined
          ? "job"
          : path.toLowerCase().includes("/synchronization/jobs")
            ? "jobs"
            : "servicePrincipal";
  return {
    version,
    servicePrincipalId: decodeURIComponent(spId),
    jobId: jobId === undefined ? undefined : decodeURIComponent(jobId),
    kind,
    method: kind === "provisionOnDemand" ? "POST" : "GET",
  };
}

function bearerToken(ctx: RequestContext): string | undefined {
  const header = ctx.req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match ? match[1].trim() : "";
}

function isAllowed(claims: AccessTokenClaims, route: Route, sp: StoredServicePrincipal | undefined): boolean {
  const roles = claims.roles ?? [];
  if (roles.includes(SYNCHRONIZATION_WRITE)) return true;
  if (route.method === "GET" && roles.some((role) => READ_PERMISSIONS.has(role))) return true;
  if (roles.includes(OWNED_BY) && sp) {
    const owners = new Set(sp.owners.map((owner) => owner.toLowerCase()));
    return owners.has(claims.oid.toLowerCase()) || owners.has(claims.appid.toLowerCase());
  }
  return false;
}

/** Answers the request if it is under `/beta` or `/v1.0`; returns false otherwise. */
export async function handleGraph(ctx: RequestContext, core: EmulatorCore): Promise<boolean> {
  if (!isGraphPath(ctx.path)) return false;
  const route = matchRoute(ctx.path);
  if (!route) {
    const segment = ctx.path.split("/").filter(Boolean)[1] ?? "";
    sendGraphError(ctx, 400, "BadRequest", `Resource not found for the segment '${segment}'.`);
    return true;
  }
  ctx.kind = route.kind;
  if (ctx.method !== route.method) {
    sendGraphError(
      ctx,
      405,
      "Request_BadRequest",
      "Specified HTTP method is not allowed for the request target.",
    );
    return true;
  }
  const verdict = core.tokens.verify(bearerToken(ctx));
  if ("rejection" in verdict) {
    ctx.res.setHeader(
      "www-authenticate",
      'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
    );
    sendGraphError(ctx, 401, "InvalidAuthenticationToken", REJECTION_MESSAGES[verdict.rejection]);
    return true;
  }
  const { claims } = verdict;
  ctx.tenantId = claims.tid;
  ctx.clientId = claims.appid;
  const now = Date.now();
  if (route.kind === "provisionOnDemand") {
    const decision = core.rateLimiter.tryAcquire(claims.tid, now);
    if (!decision.allowed) {
      sendGraphError(
        ctx,
        429,
        "TooManyRequests",
        `Too many requests. The provisionOnDemand API allows ${describeRateLimit(core.rateLimiter.current)}; retry after ${decision.retryAfterSeconds} seconds.`,
        decision.retryAfterSeconds,
      );
      return true;
    }
  }
  const sp = core.state.findServicePrincipal(route.servicePrincipalId, claims.tid, now);
  if (!isAllowed(claims, route, sp)) {
    sendGraphError(
      ctx,
      403,
      "Authorization_RequestDenied",
      "Insufficient privileges to complete the operation.",
    );
    return true;
  }
  if (!sp) {
    sendGraphError(
      ctx,
      404,
      "Request_ResourceNotFound",
      `Resource '${route.servicePrincipalId}' does not exist or one of its queried reference-property objects are not present.`,
    );
    return true;
  }
  const base = `${core.baseUrl}/${route.version}`;
  if (route.kind === "servicePrincipal") {
    sendJson(ctx, 200, servicePrincipalView(base, sp), {}, GRAPH_CONTENT_TYPE);
    return true;
  }
  if (route.kind === "jobs") {
    const value = core.state.jobsOf(sp.id, now).map(jobView);
    const context = `${base}/$metadata#servicePrincipals('${sp.id}')/synchronization/jobs`;
    sendJson(ctx, 200, { "@odata.context": context, value }, {}, GRAPH_CONTENT_TYPE);
    return true;
  }
  const job = core.state.findJob(sp.id, route.jobId ?? "", now);
  if (!job) {
    sendGraphError(
      ctx,
      404,
      "Request_ResourceNotFound",
      `Resource '${route.jobId}' does not exist or one of its queried reference-property objects are not present.`,
    );
    return true;
  }
  const jobContext = `${base}/$metadata#servicePrincipals('${sp.id}')/synchronization/jobs('${job.id}')`;
  if (route.kind === "job") {
    sendJson(
      ctx,
      200,
      { "@odata.context": `${jobContext}/$entity`, ...jobView(job) },
      {},
      GRAPH_CONTENT_TYPE,
    );
  } else if (route.kind === "schema") {
    const schema = { "@odata.context": `${jobContext}/schema/$entity`, id: job.id, ...job.schema };
    sendJson(ctx, 200, schema, {}, GRAPH_CONTENT_TYPE);
  } else {
    await provisionOnDemand(ctx, core, sp, job, base, now);
  }
  return true;
}

async function provisionOnDemand(
  ctx: RequestContext,
  core: EmulatorCore,
  servicePrincipal: StoredServicePrincipal,
  job: StoredJob,
  base: string,
  now: number,
): Promise<void> {
  const type = mediaType(ctx);
  if (type !== "application/json" && !(type === "" && ctx.req.headers["content-length"] === "0")) {
    sendGraphError(
      ctx,
      415,
      "UnsupportedMediaType",
      `The content type '${type || "(none)"}' is not supported. Send the body as application/json.`,
    );
    return;
  }
  const body = await readGraphBody(ctx);
  if (body === undefined) return;
  if (body.length === 0) {
    sendGraphError(ctx, 400, "BadRequest", "Empty Payload. JSON content expected.");
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    sendGraphError(
      ctx,
      400,
      "BadRequest",
      "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    );
    return;
  }
  const parameters = parseProvisionBody(json);
  if (!Array.isArray(parameters)) {
    sendGraphError(ctx, parameters.status, parameters.code, parameters.message);
    return;
  }
  const jobContext = { state: core.state, servicePrincipal, job, now };
  const refusal = checkJobAccepts(jobContext, parameters);
  if (refusal) {
    sendGraphError(ctx, refusal.status, refusal.code, refusal.message);
    return;
  }
  const reports = runProvisioning(jobContext, parameters);
  sendJson(ctx, 200, provisioningAnswer(reports, core.shape, base), {}, GRAPH_CONTENT_TYPE);
}

function servicePrincipalView(base: string, sp: StoredServicePrincipal): Record<string, unknown> {
  return {
    "@odata.context": `${base}/$metadata#servicePrincipals/$entity`,
    id: sp.id,
    deletedDateTime: null,
    accountEnabled: true,
    appDisplayName: sp.displayName,
    appId: sp.appId,
    appOwnerOrganizationId: sp.tenantId,
    displayName: sp.displayName,
    servicePrincipalNames: [sp.appId],
    servicePrincipalType: "Application",
    signInAudience: "AzureADMyOrg",
    tags: [
      "WindowsAzureActiveDirectoryIntegratedApp",
      "WindowsAzureActiveDirectoryCustomSingleSignOnApplication",
    ],
  };
}

function jobView(job: StoredJob): Record<string, unknown> {
  return {
    id: job.id,
    templateId: job.templateId ?? job.id.split(".")[0],
    schedule: { expiration: null, interval: "PT40M", state: "Active" },
    status: {
      code: "NotRun",
      countSuccessiveCompleteFailures: 0,
      escrowsPruned: false,
      lastExecution: null,
      lastSuccessfulExecution: null,
      lastSuccessfulExecutionWithExports: null,
      quarantine: null,
      steadyStateFirstAchievedTime: "0001-01-01T00:00:00Z",
      steadyStateLastAchievedTime: "0001-01-01T00:00:00Z",
      troubleshootingUrl: null,
      progress: [],
      synchronizedEntryCountByType: [],
    },
    synchronizationJobSettings: [
      { name: "AzureIngestionAttributeOptimization", value: "False" },
      { name: "LookaheadQueryEnabled", value: "False" },
    ],
  };
}
