/**
 * What the Graph client needs to run, as one plain object: the credential's inputs, the hosts, the
 * pacing budget and the replication window. Where the values come from (stack config, environment)
 * is the provider's business; this side only defines the shape, the clouds and which values are secret.
 */
import type { RateLimit } from "../duration";

/** The national clouds, with their Graph and login hosts. */
export const CLOUDS = {
  public: { graph: "https://graph.microsoft.com", login: "https://login.microsoftonline.com" },
  usgovernment: { graph: "https://graph.microsoft.us", login: "https://login.microsoftonline.us" },
  dod: { graph: "https://dod-graph.microsoft.us", login: "https://login.microsoftonline.us" },
  china: { graph: "https://microsoftgraph.chinacloudapi.cn", login: "https://login.chinacloudapi.cn" },
} as const;

/** A national cloud name as `azuread:environment` spells it. */
export type CloudName = keyof typeof CLOUDS;

/** Graph's documented limit for provisionOnDemand: 5 requests per 10 seconds. */
export const GRAPH_PROVISION_ON_DEMAND_LIMIT: RateLimit = { count: 5, windowMs: 10_000 };

/**
 * Our budget for directory reads (a group's member pages). Graph throttles directory reads far more
 * loosely than provisionOnDemand; this keeps a large group's paging polite without slowing it down.
 */
export const GRAPH_DIRECTORY_READ_LIMIT: RateLimit = { count: 50, windowMs: 10_000 };

/** Where a setting's value came from, for error messages: a config key or an environment variable. */
export type SettingSources = Readonly<Partial<Record<keyof GraphSettings, string>>>;

/** Everything the Graph client needs, resolved. Holds secrets: never log it or put it in outputs. */
export interface GraphSettings {
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
  /** Where each value came from (`azuread:clientSecret`, `ARM_CLIENT_SECRET`…), for error messages. */
  readonly sources?: SettingSources;
}

/** The secret values among the settings, for redaction. */
export function secretsOf(settings: GraphSettings): string[] {
  return [settings.clientSecret, settings.clientCertificatePassword, settings.oidcToken].filter(
    (s): s is string => typeof s === "string" && s.length > 0,
  );
}
