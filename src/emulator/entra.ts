/**
 * The Entra ID (login) endpoints MSAL uses for the client-credentials grant: OpenID discovery, the
 * signing keys, and the v2.0 token endpoint with `client_secret` or `client_assertion`.
 * Errors use Entra's own format and AADSTS codes.
 */
import { timingSafeEqual } from "node:crypto";
import type { EmulatorCore } from "./core";
import { ENTRA_REFUSALS } from "./entraErrors";
import type { EntraRefusal } from "./entraErrors";
import type { FixtureTenant } from "./fixture";
import type { StoredApplication } from "./state";
import { ACCESS_TOKEN_LIFETIME_SECONDS, GRAPH_AUDIENCE, verifyClientAssertion } from "./tokens";
import { readBody, sendEntraError, sendJson } from "./wire";
import type { RequestContext } from "./wire";

const OPENID_PATH = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/;
const KEYS_PATH = /^\/([^/]+)\/discovery\/v2\.0\/keys$/;
const TOKEN_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/token$/;
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** Scopes that name Microsoft Graph's `.default` permission set. */
const GRAPH_DEFAULT_SCOPES = new Set([
  `${GRAPH_AUDIENCE}/.default`,
  "00000003-0000-0000-c000-000000000000/.default",
  "graph.microsoft.com/.default",
]);
const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);

/** Which Entra endpoint a path names, if any (for the request log). */
export function entraKindOf(path: string): "openid" | "token" | undefined {
  if (TOKEN_PATH.test(path)) return "token";
  return OPENID_PATH.test(path) || KEYS_PATH.test(path) ? "openid" : undefined;
}

function refuse(ctx: RequestContext, refusal: EntraRefusal): void {
  sendEntraError(ctx, refusal.status, refusal.error, refusal.aadsts, refusal.message);
}

function openIdConfiguration(base: string, tenantId: string): Record<string, unknown> {
  const root = `${base}/${tenantId}`;
  return {
    token_endpoint: `${root}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${root}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: `${root}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${base}/oidc/userinfo`,
    authorization_endpoint: `${root}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${root}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${root}/oauth2/v2.0/logout`,
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "ver", "oid"],
    tenant_region_scope: "EU",
    cloud_instance_name: "microsoftonline.com",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
  };
}

/** Answers the request if it is an Entra endpoint; returns false when the path is not one. */
export async function handleEntra(ctx: RequestContext, core: EmulatorCore): Promise<boolean> {
  const openid = OPENID_PATH.exec(ctx.path) ?? KEYS_PATH.exec(ctx.path);
  if (openid) {
    ctx.kind = "openid";
    const tenant = core.state.findTenant(decodeURIComponent(openid[1]));
    if (!tenant) refuse(ctx, ENTRA_REFUSALS.unknownTenant(openid[1]));
    else {
      ctx.tenantId = tenant.id;
      sendJson(
        ctx,
        200,
        KEYS_PATH.test(ctx.path) ? core.tokens.jwks() : openIdConfiguration(core.baseUrl, tenant.id),
      );
    }
    return true;
  }
  const token = TOKEN_PATH.exec(ctx.path);
  if (!token) return false;
  ctx.kind = "token";
  await issueToken(ctx, core, decodeURIComponent(token[1]));
  return true;
}

function secretsMatch(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Credentials from an HTTP Basic header (client_secret_basic), if present. */
function basicCredentials(ctx: RequestContext): { clientId: string; secret: string } | undefined {
  const header = ctx.req.headers.authorization;
  if (!header?.toLowerCase().startsWith("basic ")) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return {
    clientId: decodeURIComponent(decoded.slice(0, colon)),
    secret: decodeURIComponent(decoded.slice(colon + 1)),
  };
}

/** What a client-credentials request says about its caller, once the form checks out. */
interface ClientCredentialsRequest {
  readonly clientId: string;
  readonly secret?: string;
  readonly assertion?: string;
  readonly assertionType?: string;
}

/**
 * The token endpoint: POST only, a bounded form body, a known tenant, then the form, the client and
 * its credential, checked in Entra's order. Every refusal is an AADSTS answer.
 */
async function issueToken(ctx: RequestContext, core: EmulatorCore, tenantName: string): Promise<void> {
  if (ctx.method !== "POST") return refuse(ctx, ENTRA_REFUSALS.postOnly(ctx.method));
  const read = await readBody(ctx);
  if (read.outcome === "aborted") return;
  if (read.outcome === "tooLarge") return refuse(ctx, ENTRA_REFUSALS.bodyTooLarge());
  const tenant = core.state.findTenant(tenantName);
  if (!tenant) return refuse(ctx, ENTRA_REFUSALS.unknownTenant(tenantName));
  ctx.tenantId = tenant.id;
  const request = readClientCredentialsForm(ctx, new URLSearchParams(read.body.toString("utf8")), tenant);
  if ("refusal" in request) return refuse(ctx, request.refusal);
  const app = core.state.findApplication(request.clientId, tenant.id, Date.now());
  if (!app)
    return refuse(ctx, ENTRA_REFUSALS.unknownApplication(request.clientId, tenant.displayName ?? tenant.id));
  const refusal = authenticateClient(core, request, app, { tenantName, tenantId: tenant.id });
  if (refusal) return refuse(ctx, refusal);
  const servicePrincipal = core.state.servicePrincipalOfApp(app.appId, tenant.id);
  const issued = core.tokens.issue({
    tenantId: tenant.id,
    appId: app.appId,
    servicePrincipalId: servicePrincipal?.id ?? app.appId,
    roles: app.permissions,
  });
  sendJson(ctx, 200, {
    token_type: "Bearer",
    expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    ext_expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    access_token: issued.token,
  });
}

/** Checks grant type, client id and scope (in that order); sets the log's client id once known. */
function readClientCredentialsForm(
  ctx: RequestContext,
  form: URLSearchParams,
  tenant: FixtureTenant,
): ClientCredentialsRequest | { refusal: EntraRefusal } {
  const basic = basicCredentials(ctx);
  const grantType = form.get("grant_type");
  if (!grantType) return { refusal: ENTRA_REFUSALS.missingParameter("grant_type") };
  if (grantType !== "client_credentials") return { refusal: ENTRA_REFUSALS.unsupportedGrantType(grantType) };
  const clientId = form.get("client_id") ?? basic?.clientId;
  if (!clientId) return { refusal: ENTRA_REFUSALS.missingParameter("client_id") };
  ctx.clientId = clientId;
  const scope = form.get("scope");
  if (!scope) return { refusal: ENTRA_REFUSALS.missingParameter("scope") };
  const scopeRefusal = checkGraphScope(scope, tenant.displayName ?? tenant.id);
  if (scopeRefusal) return { refusal: scopeRefusal };
  return {
    clientId,
    secret: form.get("client_secret") ?? basic?.secret,
    assertion: form.get("client_assertion") ?? undefined,
    assertionType: form.get("client_assertion_type") ?? undefined,
  };
}

/** Refuses a scope that is not Microsoft Graph's `.default` (OIDC scopes may come along). */
function checkGraphScope(scope: string, tenantName: string): EntraRefusal | undefined {
  const scopes = scope.split(/\s+/).filter((s) => s && !OIDC_SCOPES.has(s.toLowerCase()));
  const wrongScope = scopes.find((s) => !GRAPH_DEFAULT_SCOPES.has(s.toLowerCase()));
  if (scopes.length > 0 && wrongScope === undefined) return undefined;
  const bad = wrongScope ?? scope;
  return bad.endsWith("/.default")
    ? ENTRA_REFUSALS.unknownResource(bad.slice(0, -"/.default".length), tenantName)
    : ENTRA_REFUSALS.invalidScope(bad);
}

/** Checks the client's secret or assertion against the app's registered credentials. */
function authenticateClient(
  core: EmulatorCore,
  request: ClientCredentialsRequest,
  app: StoredApplication,
  where: { readonly tenantName: string; readonly tenantId: string },
): EntraRefusal | undefined {
  if (request.secret !== undefined) {
    const matches = app.clientSecrets.some(
      (s) => s.value !== undefined && secretsMatch(request.secret as string, s.value),
    );
    return matches ? undefined : ENTRA_REFUSALS.wrongSecret(app.appId);
  }
  if (!request.assertion) return ENTRA_REFUSALS.noCredential();
  if (request.assertionType !== JWT_BEARER) return ENTRA_REFUSALS.wrongAssertionType(JWT_BEARER);
  const base = core.baseUrl;
  return verifyClientAssertion(request.assertion, {
    application: app,
    audiences: [
      `${base}/${where.tenantName}/oauth2/v2.0/token`,
      `${base}/${where.tenantId}/oauth2/v2.0/token`,
      `${base}/${where.tenantId}/v2.0`,
      `${base}/${where.tenantId}/`,
    ],
    findIssuer: (issuer) => core.state.findOidcIssuer(issuer),
  });
}
