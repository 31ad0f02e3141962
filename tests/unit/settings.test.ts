/**
 * Provider settings: stack config first, then the environment, per key; national clouds; endpoint
 * overrides; and errors that name the key without ever repeating a secret.
 */
import { secretsOf } from "../../src/graph/settings";
import { resolveSettings, type ConfigLookup } from "../../src/provider/settings";

const SECRET = "cs~Zq8Q-very-secret-client-secret";
const CERT_PASSWORD = "pfx-password-7c1d";
const OIDC_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmEvYiJ9.c2lnbmF0dXJl";

/** A config lookup over a plain map, as `configure` delivers it. */
const config =
  (values: Record<string, string> = {}): ConfigLookup =>
  (key) =>
    values[key];

describe("stack config wins over the environment, key by key", () => {
  it("uses azuread:* config where it is set and ARM_* variables for the rest", () => {
    const settings = resolveSettings(
      config({ "azuread:clientId": "config-client", "azuread:clientSecret": SECRET }),
      { ARM_CLIENT_ID: "env-client", ARM_TENANT_ID: "env-tenant", ARM_CLIENT_SECRET: "env-secret" },
    );
    expect(settings).toMatchObject({
      clientId: "config-client",
      clientSecret: SECRET,
      tenantId: "env-tenant",
    });
  });

  it("reads every credential setting from ARM_* variables when there is no config", () => {
    const settings = resolveSettings(config(), {
      ARM_TENANT_ID: "t",
      ARM_CLIENT_ID: "c",
      ARM_CLIENT_SECRET: SECRET,
      ARM_CLIENT_CERTIFICATE_PATH: "/certs/app.pfx",
      ARM_CLIENT_CERTIFICATE_PASSWORD: CERT_PASSWORD,
      ARM_USE_OIDC: "true",
      ARM_OIDC_TOKEN: OIDC_TOKEN,
      ARM_OIDC_TOKEN_FILE_PATH: "/var/run/token",
      ARM_USE_MSI: "1",
      ARM_USE_CLI: "false",
    });
    expect(settings).toMatchObject({
      tenantId: "t",
      clientId: "c",
      clientSecret: SECRET,
      clientCertificatePath: "/certs/app.pfx",
      clientCertificatePassword: CERT_PASSWORD,
      useOidc: true,
      oidcToken: OIDC_TOKEN,
      oidcTokenFilePath: "/var/run/token",
      useMsi: true,
      useCli: false,
    });
    expect(secretsOf(settings).sort()).toEqual([CERT_PASSWORD, OIDC_TOKEN, SECRET].sort());
  });

  it("treats an empty config value as absent and falls back to the environment", () => {
    const settings = resolveSettings(config({ "azuread:tenantId": "" }), { ARM_TENANT_ID: "env-tenant" });
    expect(settings.tenantId).toBe("env-tenant");
  });

  it("with nothing configured, targets the public cloud with Graph's documented rate limit", () => {
    expect(resolveSettings(config(), {})).toMatchObject({
      environment: "public",
      graphUrl: "https://graph.microsoft.com",
      authorityHost: "https://login.microsoftonline.com",
      customAuthority: false,
      scope: "https://graph.microsoft.com/.default",
      rateLimit: { count: 5, windowMs: 10_000 },
      replicationWindowMs: 120_000,
      useOidc: false,
      useMsi: false,
      useCli: false,
    });
  });
});

describe("the environment setting picks the national cloud's Graph and login hosts", () => {
  it.each([
    ["usgovernment", "https://graph.microsoft.us", "https://login.microsoftonline.us"],
    ["dod", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us"],
    ["china", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"],
    ["public", "https://graph.microsoft.com", "https://login.microsoftonline.com"],
  ])("%s", (environment, graphUrl, authorityHost) => {
    const fromConfig = resolveSettings(config({ "azuread:environment": environment }), {});
    const fromEnv = resolveSettings(config(), { ARM_ENVIRONMENT: environment });
    for (const settings of [fromConfig, fromEnv]) {
      expect(settings).toMatchObject({
        environment,
        graphUrl,
        authorityHost,
        customAuthority: false,
        scope: `${graphUrl}/.default`,
      });
    }
  });

  it("rejects an unknown cloud, listing the allowed ones", () => {
    expect(() => resolveSettings(config({ "azuread:environment": "mars" }), {})).toThrow(
      /azuread:environment must be one of public, usgovernment, dod, china/,
    );
  });
});

describe("endpoint overrides point the provider at an emulator or proxy", () => {
  it("takes the Graph URL and login host from provisionOnDemand:* config", () => {
    const settings = resolveSettings(
      config({
        "provisionOnDemand:graphUrl": "https://localhost:8443/",
        "provisionOnDemand:authorityHost": "https://localhost:8444",
      }),
      {
        PROVISION_ON_DEMAND_GRAPH_URL: "https://env-graph.example",
        AZURE_AUTHORITY_HOST: "https://env-login.example",
      },
    );
    expect(settings).toMatchObject({
      graphUrl: "https://localhost:8443",
      authorityHost: "https://localhost:8444",
      customAuthority: true,
      scope: "https://graph.microsoft.com/.default",
    });
  });

  it("takes them from PROVISION_ON_DEMAND_GRAPH_URL and AZURE_AUTHORITY_HOST otherwise", () => {
    const settings = resolveSettings(config(), {
      PROVISION_ON_DEMAND_GRAPH_URL: "https://127.0.0.1:9443",
      AZURE_AUTHORITY_HOST: "https://127.0.0.1:9444/",
    });
    expect(settings).toMatchObject({
      graphUrl: "https://127.0.0.1:9443",
      authorityHost: "https://127.0.0.1:9444",
      customAuthority: true,
    });
  });

  it("an AZURE_AUTHORITY_HOST naming Microsoft's own login host is not a custom authority", () => {
    const settings = resolveSettings(config(), {
      AZURE_AUTHORITY_HOST: "https://login.microsoftonline.com/",
    });
    expect(settings.customAuthority).toBe(false);
  });

  it.each([
    ["provisionOnDemand:graphUrl", { "provisionOnDemand:graphUrl": "http://localhost:8443" }, {}],
    ["provisionOnDemand:graphUrl", {}, { PROVISION_ON_DEMAND_GRAPH_URL: "http://localhost:8443" }],
    ["provisionOnDemand:authorityHost", { "provisionOnDemand:authorityHost": "http://localhost:8444" }, {}],
    ["provisionOnDemand:authorityHost", {}, { AZURE_AUTHORITY_HOST: "http://localhost:8444" }],
    ["provisionOnDemand:graphUrl", { "provisionOnDemand:graphUrl": "not a url" }, {}],
  ])("a plain-http or malformed override is rejected, naming %s", (key, values, env) => {
    expect(() => resolveSettings(config(values), env)).toThrow(`configuration ${key} must be an https URL`);
  });
});

describe("malformed settings are rejected naming the key, never repeating a secret", () => {
  const secrets = {
    "azuread:clientSecret": SECRET,
    "azuread:clientCertificatePassword": CERT_PASSWORD,
    "azuread:oidcToken": OIDC_TOKEN,
  };

  /** The message resolveSettings throws for `values` (with every secret configured). */
  function failure(values: Record<string, string>, env: NodeJS.ProcessEnv = {}): string {
    try {
      resolveSettings(config({ ...secrets, ...values }), env);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error("resolveSettings accepted the settings; an error was expected");
  }

  // prettier-ignore
  it.each<[string, Record<string, string>, NodeJS.ProcessEnv, RegExp]>([
    ["rateLimit without a window", { "provisionOnDemand:rateLimit": "5" }, {}, /provisionOnDemand:rateLimit.*COUNT\/DURATION/],
    ["rateLimit with an unknown unit", { "provisionOnDemand:rateLimit": "5/10d" }, {}, /provisionOnDemand:rateLimit/],
    ["rateLimit of zero requests", {}, { PROVISION_ON_DEMAND_RATE_LIMIT: "0/10s" }, /provisionOnDemand:rateLimit/],
    ["useOidc \"maybe\"", { "azuread:useOidc": "maybe" }, {}, /azuread:useOidc \(or ARM_USE_OIDC\) must be true or false/],
    ["useMsi from ARM_USE_MSI \"enabled\"", {}, { ARM_USE_MSI: "enabled" }, /azuread:useMsi \(or ARM_USE_MSI\) must be true or false/],
    ["useCli \"2\"", { "azuread:useCli": "2" }, {}, /azuread:useCli \(or ARM_USE_CLI\) must be true or false/],
    ["a negative replication window", { "provisionOnDemand:replicationWindowSeconds": "-1" }, {}, /provisionOnDemand:replicationWindowSeconds/],
  ])("%s", (_what, values, env, expected) => {
    const message = failure(values, env);
    expect(message).toMatch(expected);
    for (const secret of Object.values(secrets)) expect(message).not.toContain(secret);
  });
});

describe("provisionOnDemand:rateLimit sets the pacing budget", () => {
  it.each([
    ["off", undefined],
    ["OFF", undefined],
    ["10/500ms", { count: 10, windowMs: 500 }],
    ["30/1m", { count: 30, windowMs: 60_000 }],
  ])("%s", (text, rateLimit) => {
    expect(resolveSettings(config({ "provisionOnDemand:rateLimit": text }), {}).rateLimit).toEqual(rateLimit);
    expect(resolveSettings(config(), { PROVISION_ON_DEMAND_RATE_LIMIT: text }).rateLimit).toEqual(rateLimit);
  });

  it("config wins over PROVISION_ON_DEMAND_RATE_LIMIT", () => {
    const settings = resolveSettings(config({ "provisionOnDemand:rateLimit": "off" }), {
      PROVISION_ON_DEMAND_RATE_LIMIT: "1/1s",
    });
    expect(settings.rateLimit).toBeUndefined();
  });
});
