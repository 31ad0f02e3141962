/**
 * The Entra ID (login) endpoints MSAL uses for the client-credentials grant: OpenID discovery, the
 * signing keys, and the v2.0 token endpoint with `client_secret` or `client_assertion`.
 * Errors use Entra's own format and AADSTS codes.
 */
import { timingSafeEqual } from "node:crypto";
import type { EmulatorCore } from "./core";
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

function unknownTenant(ctx: RequestContext, tenant: string): void {
  sendEntraError(
    ctx,
    400,
    "invalid_tenant",
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  );
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
    if (!tenant) unknownTenant(ctx, openid[1]);
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

function missingParameter(ctx: RequestContext, name: string): void {
  sendEntraError(
    ctx,
    400,
    "invalid_request",
    900144,
    `The request body must contain the following parameter: '${name}'.`,
  );
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

async function issueToken(ctx: RequestContext, core: EmulatorCore, tenantName: string): Promise<void> {
  if (ctx.method !== "POST") {
    sendEntraError(
      ctx,
      400,
      "invalid_request",
      900561,
      `The endpoint only accepts POST requests. Received a ${ctx.method} request.`,
    );
    return;
  }
  const read = await readBody(ctx);
  if (read.outcome === "aborted") return;
  if (read.outcome === "tooLarge") {
    sendEntraError(ctx, 413, "invalid_request", 90020, "The request body is too large.");
    return;
  }
  const tenant = core.state.findTenant(tenantName);
  if (!tenant) return unknownTenant(ctx, tenantName);
  ctx.tenantId = tenant.id;
  const form = new URLSearchParams(read.body.toString("utf8"));
  const basic = basicCredentials(ctx);
  const grantType = form.get("grant_type");
  if (!grantType) return missingParameter(ctx, "grant_type");
  if (grantType !== "client_credentials") {
    sendEntraError(
      ctx,
      400,
      "unsupported_grant_type",
      70003,
      `The app requested an unsupported grant type '${grantType}'.`,
    );
    return;
  }
  const clientId = form.get("client_id") ?? basic?.clientId;
  if (!clientId) return missingParameter(ctx, "client_id");
  ctx.clientId = clientId;
  const scope = form.get("scope");
  if (!scope) return missingParameter(ctx, "scope");
  const scopes = scope.split(/\s+/).filter((s) => s && !OIDC_SCOPES.has(s.toLowerCase()));
  const wrongScope = scopes.find((s) => !GRAPH_DEFAULT_SCOPES.has(s.toLowerCase()));
  if (scopes.length === 0 || wrongScope !== undefined) {
    const bad = wrongScope ?? scope;
    if (bad.endsWith("/.default"))
      sendEntraError(
        ctx,
        400,
        "invalid_resource",
        500011,
        `The resource principal named ${bad.slice(0, -"/.default".length)} was not found in the tenant named ${tenant.displayName ?? tenant.id}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. The emulator only issues tokens for Microsoft Graph.`,
      );
    else
      sendEntraError(
        ctx,
        400,
        "invalid_scope",
        1002012,
        `The provided value for scope ${bad} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    return;
  }
  const now = Date.now();
  const app = core.state.findApplication(clientId, tenant.id, now);
  if (!app) {
    sendEntraError(
      ctx,
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName ?? tenant.id}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
    return;
  }
  const secret = form.get("client_secret") ?? basic?.secret;
  const assertion = form.get("client_assertion");
  if (secret !== undefined && secret !== null) {
    if (!app.clientSecrets.some((s) => s.value !== undefined && secretsMatch(secret, s.value))) {
      sendEntraError(
        ctx,
        401,
        "invalid_client",
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.appId}'.`,
      );
      return;
    }
  } else if (assertion) {
    const assertionType = form.get("client_assertion_type");
    if (assertionType !== JWT_BEARER) {
      sendEntraError(
        ctx,
        400,
        "invalid_request",
        90031,
        `The client_assertion_type must be '${JWT_BEARER}'.`,
      );
      return;
    }
    const tokenEndpoint = `${core.baseUrl}/${tenantName}/oauth2/v2.0/token`;
    const failure = verifyClientAssertion(assertion, {
      application: app,
      audiences: [
        tokenEndpoint,
        `${core.baseUrl}/${tenant.id}/oauth2/v2.0/token`,
        `${core.baseUrl}/${tenant.id}/v2.0`,
        `${core.baseUrl}/${tenant.id}/`,
      ],
      findIssuer: (issuer) => core.state.findOidcIssuer(issuer),
    });
    if (failure) {
      sendEntraError(
        ctx,
        failure.error === "invalid_client" ? 401 : 400,
        failure.error,
        failure.aadsts,
        failure.message,
      );
      return;
    }
  } else {
    sendEntraError(
      ctx,
      401,
      "invalid_client",
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
    return;
  }
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
