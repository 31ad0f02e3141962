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

/** An admin endpoint; `id` is what follows its first segment (`target/{id}`), else empty. */
type AdminHandler = (
  ctx: RequestContext,
  core: EmulatorCore,
  id: string,
  info: () => EmulatorInfo,
) => Promise<void> | void;

/** The admin endpoints, by `METHOD first-segment`. */
const ADMIN_ROUTES = new Map<string, AdminHandler>([
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
  ["GET target", (ctx, core, spId) => sendJson(ctx, 200, { objects: targetObjects(core, spId) })],
  [
    "POST reset",
    (ctx, core) => {
      resetEmulator(core);
      sendJson(ctx, 200, currentSettings(core));
    },
  ],
  ["POST tokens", mintToken],
  ["GET info", (ctx, _core, _id, info) => sendJson(ctx, 200, info())],
]);

/** The first segments that need an id after them; every other endpoint takes none. */
const ROUTES_WITH_ID = new Set(["target"]);

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
  const route = ctx.path.slice(ADMIN_PREFIX.length).replace(/\/$/, "");
  const slash = route.indexOf("/");
  const first = slash === -1 ? route : route.slice(0, slash);
  const id = slash === -1 ? "" : decodeURIComponent(route.slice(slash + 1));
  const handler = ADMIN_ROUTES.get(`${ctx.method} ${first}`);
  if (handler && (id !== "") === ROUTES_WITH_ID.has(first)) return handler(ctx, core, id, info);
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
  let rateLimit: RateLimit | undefined;
  try {
    if (parsed.data.rateLimit !== undefined) rateLimit = parseRateLimit(parsed.data.rateLimit, "rateLimit");
  } catch (error) {
    return badRequest(ctx, (error as Error).message);
  }
  if (parsed.data.rateLimit !== undefined) core.rateLimiter.set(rateLimit);
  if (parsed.data.replicationLagMs !== undefined) core.replicationLagMs = parsed.data.replicationLagMs;
  if (parsed.data.shape !== undefined) core.shape = parsed.data.shape;
  sendJson(ctx, 200, currentSettings(core));
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
