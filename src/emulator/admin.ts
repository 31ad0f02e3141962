/**
 * The admin HTTP API under `/_emulator/` (JSON, no auth, loopback callers only): request log,
 * settings, faults, runtime objects, the target systems' content, test tokens, and reset.
 */
import { z } from "zod";
import type { EmulatorCore, EmulatorSettings } from "./core";
import { faultSpecSchema } from "./faults";
import { FixtureError, parseRuntimeObjects } from "./fixture";
import { formatRateLimit, parseRateLimit } from "../duration";
import type { RateLimit } from "../duration";
import type { TenantRateLimiter } from "./rateLimit";
import type { FixtureSummary } from "./state";
import { readGraphBody, sendGraphError, sendJson } from "./wire";
import type { RequestContext } from "./wire";

/** The URL prefix of the admin API. */
export const ADMIN_PREFIX = "/_emulator/";

/** What `GET /_emulator/info` returns: how to reach and authenticate to this emulator. */
export interface EmulatorInfo {
  /** Graph base URL without version. */
  readonly graphUrl: string;
  /** Entra login host. */
  readonly authorityHost: string;
  /** PEM file of the CA. */
  readonly caCertPath: string;
  /** Default tenant. */
  readonly tenantId: string;
  /** Default caller app's client id. */
  readonly clientId: string;
  /** Default caller app's client secret. */
  readonly clientSecret: string;
  /** The fixture's headline ids. */
  readonly fixture: FixtureSummary;
}

const settingsPatchSchema = z.strictObject({
  rateLimit: z.string().optional(),
  directoryReadRateLimit: z.string().optional(),
  replicationLagMs: z.number().int().min(0).optional(),
  shape: z.enum(["live", "docs"]).optional(),
});

const tokenRequestSchema = z.strictObject({
  clientId: z.string().optional(),
  tenantId: z.string().optional(),
  audience: z.string().optional(),
  roles: z.array(z.string()).optional(),
  expiresInSeconds: z.number().int().optional(),
});

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/** The current settings. */
export function currentSettings(core: EmulatorCore): EmulatorSettings {
  return {
    rateLimit: formatRateLimit(core.rateLimiter.current),
    directoryReadRateLimit: formatRateLimit(core.directoryReadLimiter.current),
    replicationLagMs: core.replicationLagMs,
    shape: core.shape,
  };
}

/** Puts the emulator back to its start: fixture state, start settings, no log, no faults. */
export function resetEmulator(core: EmulatorCore): void {
  core.state.reset();
  core.log.clear();
  core.faults.clear();
  core.rateLimiter.set(core.initial.rateLimit);
  core.directoryReadLimiter.set(core.initial.directoryReadRateLimit);
  core.replicationLagMs = core.initial.replicationLagMs;
  core.shape = core.initial.shape;
}

function badRequest(ctx: RequestContext, message: string): void {
  sendGraphError(ctx, 400, "BadRequest", message);
}

function zodMessage(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "body"}: ${i.message}`).join("; ");
}

async function readJson(ctx: RequestContext): Promise<{ json: unknown } | undefined> {
  const body = await readGraphBody(ctx);
  if (body === undefined) return undefined;
  if (body.length === 0) return { json: {} };
  try {
    return { json: JSON.parse(body.toString("utf8")) };
  } catch {
    badRequest(ctx, "Unable to read JSON request payload: the body is not valid JSON.");
    return undefined;
  }
}

/** An admin endpoint; `ids` are the path's `{id}` segments, decoded. */
type AdminHandler = (
  ctx: RequestContext,
  core: EmulatorCore,
  ids: string[],
  info: () => EmulatorInfo,
) => Promise<void> | void;

/** The admin endpoints, by `METHOD path` with `{id}` for a segment that names an object. */
const ADMIN_ROUTES: [string, AdminHandler][] = [
  ["GET requests", (ctx, core) => sendJson(ctx, 200, { requests: core.log.list() })],
  [
    "DELETE requests",
    (ctx, core) => {
      core.log.clear();
      sendJson(ctx, 200, { requests: [] });
    },
  ],
  ["GET settings", (ctx, core) => sendJson(ctx, 200, currentSettings(core))],
  ["PATCH settings", patchSettings],
  ["GET faults", (ctx, core) => sendJson(ctx, 200, { faults: core.faults.list() })],
  ["POST faults", addFault],
  [
    "DELETE faults",
    (ctx, core) => {
      core.faults.clear();
      sendJson(ctx, 200, { faults: [] });
    },
  ],
  ["POST objects", addObjects],
  ["GET target/{id}", (ctx, core, [spId]) => sendJson(ctx, 200, { objects: targetObjects(core, spId) })],
  ["GET groups/{id}/members", listGroupMembers],
  ["POST groups/{id}/members", changeGroupMembers],
  [
    "POST reset",
    (ctx, core) => {
      resetEmulator(core);
      sendJson(ctx, 200, currentSettings(core));
    },
  ],
  ["POST tokens", mintToken],
  ["GET info", (ctx, _core, _ids, info) => sendJson(ctx, 200, info())],
];

/** The endpoint for `METHOD path` (path relative to the admin prefix) and its decoded ids. */
function matchAdminRoute(method: string, path: string): { handler: AdminHandler; ids: string[] } | undefined {
  const segments = path.split("/");
  for (const [template, handler] of ADMIN_ROUTES) {
    const [templateMethod, templatePath] = template.split(" ");
    const parts = templatePath.split("/");
    if (templateMethod !== method || parts.length !== segments.length) continue;
    if (parts.every((part, i) => (part === "{id}" ? segments[i] !== "" : part === segments[i])))
      return { handler, ids: segments.filter((_, i) => parts[i] === "{id}").map(decodeURIComponent) };
  }
  return undefined;
}

/** Answers an admin request (the path starts with `/_emulator/`). */
export async function handleAdmin(
  ctx: RequestContext,
  core: EmulatorCore,
  info: () => EmulatorInfo,
): Promise<void> {
  ctx.kind = "admin";
  if (!LOOPBACK.has(ctx.req.socket.remoteAddress ?? "")) {
    sendGraphError(
      ctx,
      403,
      "Authorization_RequestDenied",
      "The emulator's admin API only answers loopback callers.",
    );
    return;
  }
  const route = matchAdminRoute(ctx.method, ctx.path.slice(ADMIN_PREFIX.length).replace(/\/$/, ""));
  if (route) return route.handler(ctx, core, route.ids, info);
  sendGraphError(ctx, 404, "NotFound", `The admin API has no ${ctx.method} ${ctx.path}.`);
}

/** What the job of a service principal has exported, as `GET /_emulator/target/{id}` answers it. */
function targetObjects(core: EmulatorCore, servicePrincipalId: string) {
  return [...core.state.targetOf(servicePrincipalId).values()].map((object) => ({
    objectId: object.objectId,
    objectTypeName: object.objectTypeName,
    displayName: object.displayName,
    ...(object.members ? { members: [...object.members] } : {}),
    exportCount: object.exportCount,
    lastAction: object.lastAction,
    targetId: object.targetId,
  }));
}

async function patchSettings(ctx: RequestContext, core: EmulatorCore): Promise<void> {
  const body = await readJson(ctx);
  if (!body) return;
  const parsed = settingsPatchSchema.safeParse(body.json);
  if (!parsed.success) return badRequest(ctx, zodMessage(parsed.error));
  try {
    applyRateLimits(core, parsed.data);
  } catch (error) {
    return badRequest(ctx, (error as Error).message);
  }
  if (parsed.data.replicationLagMs !== undefined) core.replicationLagMs = parsed.data.replicationLagMs;
  if (parsed.data.shape !== undefined) core.shape = parsed.data.shape;
  sendJson(ctx, 200, currentSettings(core));
}

/** Parses every rate limit the patch sets, then applies them all (none when one is invalid). */
function applyRateLimits(core: EmulatorCore, patch: z.output<typeof settingsPatchSchema>): void {
  const changes: [TenantRateLimiter, RateLimit | undefined][] = [];
  if (patch.rateLimit !== undefined)
    changes.push([core.rateLimiter, parseRateLimit(patch.rateLimit, "rateLimit")]);
  if (patch.directoryReadRateLimit !== undefined)
    changes.push([
      core.directoryReadLimiter,
      parseRateLimit(patch.directoryReadRateLimit, "directoryReadRateLimit"),
    ]);
  for (const [limiter, limit] of changes) limiter.set(limit);
}

const membershipChangeSchema = z.strictObject({
  add: z.array(z.string().min(1)).default([]),
  remove: z.array(z.string().min(1)).default([]),
});

function unknownGroup(ctx: RequestContext, groupId: string): void {
  sendGraphError(ctx, 404, "NotFound", `The directory has no group ${groupId}.`);
}

/** `GET groups/{id}/members`: the group's direct member ids in the directory, oldest first. */
function listGroupMembers(ctx: RequestContext, core: EmulatorCore, [groupId]: string[]): void {
  const members = core.state.directMemberIds(groupId);
  if (!members) return unknownGroup(ctx, groupId);
  sendJson(ctx, 200, { members });
}

/** `POST groups/{id}/members` `{add?, remove?}`: changes the membership at once; answers what changed. */
async function changeGroupMembers(
  ctx: RequestContext,
  core: EmulatorCore,
  [groupId]: string[],
): Promise<void> {
  if (!core.state.directMemberIds(groupId)) return unknownGroup(ctx, groupId);
  const body = await readJson(ctx);
  if (!body) return;
  const parsed = membershipChangeSchema.safeParse(body.json);
  if (!parsed.success) return badRequest(ctx, zodMessage(parsed.error));
  try {
    const changed = core.state.changeGroupMembers(groupId, parsed.data);
    sendJson(ctx, 200, { ...changed, members: core.state.directMemberIds(groupId) });
  } catch (error) {
    if (error instanceof RangeError) return badRequest(ctx, error.message);
    throw error;
  }
}

async function addFault(ctx: RequestContext, core: EmulatorCore): Promise<void> {
  const body = await readJson(ctx);
  if (!body) return;
  const parsed = faultSpecSchema.safeParse(body.json);
  if (!parsed.success) return badRequest(ctx, zodMessage(parsed.error));
  try {
    sendJson(ctx, 201, core.faults.add(parsed.data));
  } catch (error) {
    badRequest(ctx, (error as Error).message);
  }
}

async function addObjects(ctx: RequestContext, core: EmulatorCore): Promise<void> {
  const body = await readJson(ctx);
  if (!body) return;
  try {
    const objects = parseRuntimeObjects(body.json);
    const visibleAt = Date.now() + core.replicationLagMs;
    sendJson(ctx, 201, {
      ...core.state.addObjects(objects, visibleAt),
      visibleAt: new Date(visibleAt).toISOString(),
    });
  } catch (error) {
    if (error instanceof FixtureError || error instanceof RangeError) return badRequest(ctx, error.message);
    throw error;
  }
}

async function mintToken(ctx: RequestContext, core: EmulatorCore): Promise<void> {
  const body = await readJson(ctx);
  if (!body) return;
  const parsed = tokenRequestSchema.safeParse(body.json);
  if (!parsed.success) return badRequest(ctx, zodMessage(parsed.error));
  const defaults = core.state.defaultCredentials();
  const tenantId = parsed.data.tenantId ?? defaults.tenantId;
  const clientId = parsed.data.clientId ?? defaults.clientId;
  const app = core.state.findApplication(clientId, tenantId, Number.MAX_SAFE_INTEGER);
  const issued = core.tokens.issue({
    tenantId,
    appId: clientId,
    servicePrincipalId: core.state.servicePrincipalOfApp(clientId, tenantId)?.id ?? clientId,
    roles: parsed.data.roles ?? app?.permissions ?? [],
    audience: parsed.data.audience,
    lifetimeSeconds: parsed.data.expiresInSeconds,
  });
  sendJson(ctx, 200, { access_token: issued.token, claims: issued.claims });
}
