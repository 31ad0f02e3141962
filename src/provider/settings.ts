/**
 * Provider settings: the stack config delivered to `configure`, then the environment, resolved into
 * one plain object. First match wins per key: `azuread:*` config, then `ARM_*` environment variables.
 * Nothing here talks to the network.
 */
import { parseRateLimit, GRAPH_PROVISION_ON_DEMAND_LIMIT, type RateLimit } from "../graph/pacer";

/** The national clouds, with their Graph and login hosts. */
export const CLOUDS = {
  public: { graph: "https://graph.microsoft.com", login: "https://login.microsoftonline.com" },
  usgovernment: { graph: "https://graph.microsoft.us", login: "https://login.microsoftonline.us" },
  dod: { graph: "https://dod-graph.microsoft.us", login: "https://login.microsoftonline.us" },
  china: { graph: "https://microsoftgraph.chinacloudapi.cn", login: "https://login.chinacloudapi.cn" },
} as const;

/** A national cloud name as `azuread:environment` spells it. */
export type CloudName = keyof typeof CLOUDS;

/** Everything the Graph client needs, resolved. Holds secrets: never log it or put it in outputs. */
export interface ProviderSettings {
  /** The tenant (directory) id. */
  readonly tenantId?: string;
  /** The application (client) id. */
  readonly clientId?: string;
  /** A client secret. */
  readonly clientSecret?: string;
  /** A PEM or PKCS#12 (.pfx) client certificate file. */
  readonly clientCertificatePath?: string;
  /** The password of the client certificate. */
  readonly clientCertificatePassword?: string;
  /** Use a federated (OIDC) token as client assertion. */
  readonly useOidc: boolean;
  /** The OIDC token itself. */
  readonly oidcToken?: string;
  /** A file holding the OIDC token (read at each token request). */
  readonly oidcTokenFilePath?: string;
  /** Use managed identity. */
  readonly useMsi: boolean;
  /** A managed identity endpoint to use instead of the platform's. */
  readonly msiEndpoint?: string;
  /** Use the Azure CLI's login. */
  readonly useCli: boolean;
  /** The national cloud. */
  readonly environment: CloudName;
  /** The Graph base URL, without version (`https://graph.microsoft.com`, or an override). */
  readonly graphUrl: string;
  /** The login host (`https://login.microsoftonline.com`, or an override). */
  readonly authorityHost: string;
  /** True when the login host is not Microsoft's own (an emulator or proxy): MSAL then skips instance discovery. */
  readonly customAuthority: boolean;
  /** The token scope: the cloud's Graph resource + `/.default`. */
  readonly scope: string;
  /** The pacing budget for provisionOnDemand POSTs; `undefined` when pacing is off. */
  readonly rateLimit: RateLimit | undefined;
  /** How long 404/403/409 on the job count as replication lag, in milliseconds. */
  readonly replicationWindowMs: number;
}

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
export function resolveSettings(
  config: ConfigLookup,
  env: NodeJS.ProcessEnv = process.env,
): ProviderSettings {
  const get = (name: keyof typeof KEYS): string | undefined => {
    const fromConfig = config(`azuread:${name}`);
    if (fromConfig !== undefined && fromConfig !== "") return fromConfig;
    const fromEnv = env[KEYS[name]];
    return fromEnv === "" ? undefined : fromEnv;
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
  let rateLimit: RateLimit | undefined = GRAPH_PROVISION_ON_DEMAND_LIMIT;
  if (rateLimitText !== undefined) {
    try {
      rateLimit = parseRateLimit(rateLimitText);
    } catch (error) {
      throw new Error(`configuration provisionOnDemand:rateLimit: ${(error as Error).message}`);
    }
  }
  const authorityHost = authorityOverride
    ? httpsUrl(authorityOverride, "provisionOnDemand:authorityHost")
    : cloud.login;
  return {
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
}

/** The secret values among the settings, for redaction. */
export function secretsOf(settings: ProviderSettings): string[] {
  return [settings.clientSecret, settings.clientCertificatePassword, settings.oidcToken].filter(
    (s): s is string => typeof s === "string" && s.length > 0,
  );
}
