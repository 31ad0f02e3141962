/**
 * The synchronization endpoints of Microsoft Graph: the service principal, its jobs, one job, the
 * job's schema, and provisionOnDemand. Callers need `Synchronization.ReadWrite.All`, ownership of the
 * service principal with `Application.ReadWrite.OwnedBy`, or (GETs only) a read permission.
 */
import type { EmulatorCore } from "./core";
import { refuseIfThrottled, sendAccessDenied, sendResourceNotFound } from "./graphRoute";
import type { GraphEndpoint } from "./graphRoute";
import { runProvisioning } from "./provisioning";
import { provisioningAnswer } from "./provisioningReport";
import { checkJobAccepts, parseProvisionBody } from "./provisionRequest";
import type { StoredJob, StoredServicePrincipal } from "./state";
import type { AccessTokenClaims } from "./tokens";
import { GRAPH_CONTENT_TYPE, mediaType, readGraphBody, sendGraphError, sendJson } from "./wire";
import type { RequestContext } from "./wire";

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

type SynchronizationKind = "servicePrincipal" | "jobs" | "job" | "schema" | "provisionOnDemand";

interface SynchronizationRoute {
  readonly version: string;
  readonly servicePrincipalId: string;
  readonly jobId?: string;
  readonly kind: SynchronizationKind;
  readonly method: "GET" | "POST";
}

function kindOf(path: string, jobId: string | undefined, leaf: string | undefined): SynchronizationKind {
  const lowerLeaf = leaf?.toLowerCase();
  if (lowerLeaf === "provisionondemand") return "provisionOnDemand";
  if (lowerLeaf === "schema") return "schema";
  if (jobId !== undefined) return "job";
  return path.toLowerCase().includes("/synchronization/jobs") ? "jobs" : "servicePrincipal";
}

/** The synchronization endpoint a path names, if any. */
export function matchSynchronizationEndpoint(path: string): GraphEndpoint | undefined {
  const match = ROUTE.exec(path);
  if (!match) return undefined;
  const [, version, spId, jobId, leaf] = match;
  const kind = kindOf(path, jobId, leaf);
  const route: SynchronizationRoute = {
    version,
    servicePrincipalId: decodeURIComponent(spId),
    jobId: jobId === undefined ? undefined : decodeURIComponent(jobId),
    kind,
    method: kind === "provisionOnDemand" ? "POST" : "GET",
  };
  return {
    kind,
    method: route.method,
    serve: (ctx, core, claims) => serveSynchronization(ctx, core, claims, route),
  };
}

function isAllowed(
  claims: AccessTokenClaims,
  route: SynchronizationRoute,
  sp: StoredServicePrincipal | undefined,
): boolean {
  const roles = claims.roles ?? [];
  if (roles.includes(SYNCHRONIZATION_WRITE)) return true;
  if (route.method === "GET" && roles.some((role) => READ_PERMISSIONS.has(role))) return true;
  if (roles.includes(OWNED_BY) && sp) {
    const owners = new Set(sp.owners.map((owner) => owner.toLowerCase()));
    return owners.has(claims.oid.toLowerCase()) || owners.has(claims.appid.toLowerCase());
  }
  return false;
}

/** Rate limit (provisionOnDemand only), permission, then the service principal and job must exist. */
async function serveSynchronization(
  ctx: RequestContext,
  core: EmulatorCore,
  claims: AccessTokenClaims,
  route: SynchronizationRoute,
): Promise<void> {
  if (
    route.kind === "provisionOnDemand" &&
    refuseIfThrottled(ctx, core.rateLimiter, claims, "The provisionOnDemand API")
  )
    return;
  const now = Date.now();
  const sp = core.state.findServicePrincipal(route.servicePrincipalId, claims.tid, now);
  if (!isAllowed(claims, route, sp)) return sendAccessDenied(ctx);
  if (!sp) return sendResourceNotFound(ctx, route.servicePrincipalId);
  const base = `${core.baseUrl}/${route.version}`;
  if (route.kind === "servicePrincipal")
    return sendJson(ctx, 200, servicePrincipalView(base, sp), {}, GRAPH_CONTENT_TYPE);
  if (route.kind === "jobs") {
    const value = core.state.jobsOf(sp.id, now).map(jobView);
    const context = `${base}/$metadata#servicePrincipals('${sp.id}')/synchronization/jobs`;
    return sendJson(ctx, 200, { "@odata.context": context, value }, {}, GRAPH_CONTENT_TYPE);
  }
  const job = core.state.findJob(sp.id, route.jobId ?? "", now);
  if (!job) return sendResourceNotFound(ctx, route.jobId ?? "");
  const jobContext = `${base}/$metadata#servicePrincipals('${sp.id}')/synchronization/jobs('${job.id}')`;
  if (route.kind === "job")
    return sendJson(
      ctx,
      200,
      { "@odata.context": `${jobContext}/$entity`, ...jobView(job) },
      {},
      GRAPH_CONTENT_TYPE,
    );
  if (route.kind === "schema") {
    const schema = { "@odata.context": `${jobContext}/schema/$entity`, id: job.id, ...job.schema };
    return sendJson(ctx, 200, schema, {}, GRAPH_CONTENT_TYPE);
  }
  await provisionOnDemand(ctx, core, sp, job, base, now);
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
