/**
 * Provider settings: the stack config delivered to `configure`, then the environment, resolved into
 * the Graph client's settings. First match wins per key: `azuread:*` config, then `ARM_*` environment
 * variables. Nothing here talks to the network.
 */
import { parseRateLimit, type RateLimit } from "../duration";
import {
  CLOUDS,
  GRAPH_PROVISION_ON_DEMAND_LIMIT,
  type CloudName,
  type GraphSettings,
  type SettingSources,
} from "../graph/settings";

/** Reads one configuration value: `undefined` when absent. */
export type ConfigLookup = (key: string) => string | undefined;

/** The `azuread:` config keys and the environment variables that back them. */
const KEYS = {
  tenantId: "ARM_TENANT_ID",
  clientId: "ARM_CLIENT_ID",
  clientSecret: "ARM_CLIENT_SECRET",
  clientCertificatePath: "ARM_CLIENT_CERTIFICATE_PATH",
  clientCertificatePassword: "ARM_CLIENT_CERTIFICATE_PASSWORD",
  useOidc: "ARM_USE_OIDC",
  oidcToken: "ARM_OIDC_TOKEN",
  oidcTokenFilePath: "ARM_OIDC_TOKEN_FILE_PATH",
  useMsi: "ARM_USE_MSI",
  msiEndpoint: "ARM_MSI_ENDPOINT",
  useCli: "ARM_USE_CLI",
  environment: "ARM_ENVIRONMENT",
} as const;

function flag(value: string | undefined, key: string): boolean {
  if (value === undefined || value === "") return false;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new Error(`configuration ${key} must be true or false, got "${value}"`);
}

function cloudName(value: string | undefined): CloudName {
  const name = (value ?? "public").toLowerCase();
  const aliases: Record<string, CloudName> = {
    global: "public",
    usgov: "usgovernment",
    usgovernmentl4: "usgovernment",
    usgovernmentl5: "dod",
  };
  const resolved = aliases[name] ?? name;
  if (!(resolved in CLOUDS)) {
    throw new Error(
      `configuration azuread:environment must be one of public, usgovernment, dod, china; got "${value}"`,
    );
  }
  return resolved as CloudName;
}

function httpsUrl(value: string, key: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`configuration ${key} must be an https URL, got "${value}"`);
  }
  if (url.protocol !== "https:") throw new Error(`configuration ${key} must be an https URL, got "${value}"`);
  return url.toString().replace(/\/+$/, "");
}

/**
 * Resolves the settings from stack config (`config("azuread:clientId")` …) and the environment.
 * Throws an Error naming the key for a malformed value; never includes a secret in the message.
 */
export function resolveSettings(config: ConfigLookup, env: NodeJS.ProcessEnv = process.env): GraphSettings {
  const sources: Partial<Record<keyof typeof KEYS, string>> = {};
  const get = (name: keyof typeof KEYS): string | undefined => {
    const fromConfig = config(`azuread:${name}`);
    if (fromConfig !== undefined && fromConfig !== "") {
      sources[name] = `azuread:${name}`;
      return fromConfig;
    }
    const fromEnv = env[KEYS[name]];
    if (fromEnv === undefined || fromEnv === "") return undefined;
    sources[name] = KEYS[name];
    return fromEnv;
  };
  const environment = cloudName(get("environment"));
  const cloud = CLOUDS[environment];
  const graphOverride = config("provisionOnDemand:graphUrl") ?? env.PROVISION_ON_DEMAND_GRAPH_URL;
  const authorityOverride = config("provisionOnDemand:authorityHost") ?? env.AZURE_AUTHORITY_HOST;
  const rateLimitText = config("provisionOnDemand:rateLimit") ?? env.PROVISION_ON_DEMAND_RATE_LIMIT;
  const replicationText =
    config("provisionOnDemand:replicationWindowSeconds") ??
    env.PROVISION_ON_DEMAND_REPLICATION_WINDOW_SECONDS;
  const replicationSeconds = replicationText === undefined ? 120 : Number(replicationText);
  if (!Number.isFinite(replicationSeconds) || replicationSeconds < 0) {
    throw new Error(
      `configuration provisionOnDemand:replicationWindowSeconds must be a number of seconds, got "${replicationText}"`,
    );
  }
  const rateLimit: RateLimit | undefined =
    rateLimitText === undefined
      ? GRAPH_PROVISION_ON_DEMAND_LIMIT
      : parseRateLimit(rateLimitText, "configuration provisionOnDemand:rateLimit");
  const authorityHost = authorityOverride
    ? httpsUrl(authorityOverride, "provisionOnDemand:authorityHost")
    : cloud.login;
  const settings = {
    tenantId: get("tenantId"),
    clientId: get("clientId"),
    clientSecret: get("clientSecret"),
    clientCertificatePath: get("clientCertificatePath"),
    clientCertificatePassword: get("clientCertificatePassword"),
    useOidc: flag(get("useOidc"), "azuread:useOidc (or ARM_USE_OIDC)"),
    oidcToken: get("oidcToken"),
    oidcTokenFilePath: get("oidcTokenFilePath"),
    useMsi: flag(get("useMsi"), "azuread:useMsi (or ARM_USE_MSI)"),
    msiEndpoint: get("msiEndpoint"),
    useCli: flag(get("useCli"), "azuread:useCli (or ARM_USE_CLI)"),
    environment,
    graphUrl: graphOverride ? httpsUrl(graphOverride, "provisionOnDemand:graphUrl") : cloud.graph,
    authorityHost,
    customAuthority: !Object.values(CLOUDS).some((c) => c.login === authorityHost),
    scope: `${cloud.graph}/.default`,
    rateLimit,
    replicationWindowMs: replicationSeconds * 1000,
  };
  return { ...settings, sources: sources as SettingSources };
}
