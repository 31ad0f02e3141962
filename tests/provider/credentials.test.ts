/**
 * How the provider authenticates: every credential method through stack config and through ARM_*
 * environment variables, one token request for many creates, and token endpoint failures that fail
 * the create at once without calling Graph.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { RunningEmulator } from "../../src/emulator";
import { TokenRequestError } from "../../src/graph/errors";
import * as provider from "../../src/provider";
import { requestsOf, startTestEmulator } from "../support/emulator";
import { failureOf } from "../support/expectations";
import { temporaryFolder, writeCertificateFiles } from "../support/files";
import { federatedToken } from "../support/fixture";
import { CERTIFICATE_PASSWORD, IDS } from "../support/ids";
import {
  checkAndCreate,
  configureRequest,
  emulatorConfig,
  inputsFor,
  type StackConfig,
} from "../support/provider";
import { user } from "../support/subjects";

let emulator: RunningEmulator;
let folder: Awaited<ReturnType<typeof temporaryFolder>>;
let certificates: Awaited<ReturnType<typeof writeCertificateFiles>>;
let oidcTokenFile: string;
const savedEnv = { ...process.env };

/** The ARM_* variables the provider reads; cleared so the machine's own cannot interfere. */
const ARM_VARIABLES = Object.keys(process.env).filter((name) => name.startsWith("ARM_"));

/**
 * Each describe block gets its own emulator: the provider keeps one client (and token) per settings
 * per process, and the same credential given through config or environment gives the same settings.
 */
function emulatorPerBlock() {
  beforeAll(async () => {
    emulator = await startTestEmulator({ rateLimit: "off" });
  });
  afterAll(() => emulator.stop());
  beforeEach(() => emulator.admin.reset());
}

beforeAll(async () => {
  folder = await temporaryFolder();
  certificates = await writeCertificateFiles(folder.dir);
  oidcTokenFile = path.join(folder.dir, "oidc-token");
  await fs.writeFile(oidcTokenFile, `${federatedToken()}\n`);
});
afterAll(() => folder.remove());
beforeEach(() => {
  for (const name of ARM_VARIABLES) delete process.env[name];
});
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
});

/** Only the endpoint keys: credentials then come from the environment. */
function endpointsOnly(): StackConfig {
  return emulatorConfig(emulator, {
    "azuread:tenantId": undefined,
    "azuread:clientId": undefined,
    "azuread:clientSecret": undefined,
  });
}

let nextUser = 0;
/** Provisions a user the app has not exported yet, so the outcome is Success. */
async function provisionAUser() {
  const objectId = IDS.burstUserIds[nextUser++ % IDS.burstUserIds.length];
  return checkAndCreate(provider, inputsFor(emulator, [user(objectId)]));
}

/** Asserts that the token request (when one was due) and the POST were made as `clientId`. */
async function expectCalledAs(clientId: string, { newToken = true } = {}) {
  const tokens = await requestsOf(emulator, "token");
  expect(tokens.map((t) => [t.status, t.clientId])).toEqual(newToken ? [[200, clientId]] : []);
  const posts = await requestsOf(emulator, "provisionOnDemand");
  expect(posts.map((p) => [p.status, p.clientId])).toEqual([[200, clientId]]);
}

describe("every credential method works through stack config", () => {
  emulatorPerBlock();
  const cases: [string, () => StackConfig, string][] = [
    ["client secret", () => ({}), IDS.callerClientId],
    [
      "client certificate, PEM",
      () => ({
        "azuread:clientId": IDS.certificateClientId,
        "azuread:clientSecret": undefined,
        "azuread:clientCertificatePath": certificates.pem,
      }),
      IDS.certificateClientId,
    ],
    [
      "client certificate, PFX with password",
      () => ({
        "azuread:clientId": IDS.certificateClientId,
        "azuread:clientSecret": undefined,
        "azuread:clientCertificatePath": certificates.pfx,
        "azuread:clientCertificatePassword": CERTIFICATE_PASSWORD,
      }),
      IDS.certificateClientId,
    ],
    [
      "client certificate, PEM with an encrypted key and password",
      () => ({
        "azuread:clientId": IDS.certificateClientId,
        "azuread:clientSecret": undefined,
        "azuread:clientCertificatePath": certificates.encryptedPem,
        "azuread:clientCertificatePassword": CERTIFICATE_PASSWORD,
      }),
      IDS.certificateClientId,
    ],
    [
      "OIDC token",
      () => ({
        "azuread:clientId": IDS.federatedClientId,
        "azuread:clientSecret": undefined,
        "azuread:useOidc": "true",
        "azuread:oidcToken": federatedToken(),
      }),
      IDS.federatedClientId,
    ],
    [
      "OIDC token file",
      () => ({
        "azuread:clientId": IDS.federatedClientId,
        "azuread:clientSecret": undefined,
        "azuread:useOidc": "true",
        "azuread:oidcTokenFilePath": oidcTokenFile,
      }),
      IDS.federatedClientId,
    ],
  ];

  it.each(cases)("%s", async (_, overrides, clientId) => {
    await provider.configure(configureRequest(emulatorConfig(emulator, overrides())));
    const { outs } = await provisionAUser();
    expect(outs.result).toBe("Success");
    await expectCalledAs(clientId);
  });
});

describe("every credential method works through ARM_* environment variables", () => {
  emulatorPerBlock();
  const cases: [string, () => Record<string, string>, string][] = [
    [
      "ARM_CLIENT_SECRET",
      () => ({
        ARM_TENANT_ID: emulator.tenantId,
        ARM_CLIENT_ID: emulator.clientId,
        ARM_CLIENT_SECRET: emulator.clientSecret,
      }),
      IDS.callerClientId,
    ],
    [
      "ARM_CLIENT_CERTIFICATE_PATH (PEM)",
      () => ({
        ARM_TENANT_ID: emulator.tenantId,
        ARM_CLIENT_ID: IDS.certificateClientId,
        ARM_CLIENT_CERTIFICATE_PATH: certificates.pem,
      }),
      IDS.certificateClientId,
    ],
    [
      "ARM_CLIENT_CERTIFICATE_PATH (PFX) + ARM_CLIENT_CERTIFICATE_PASSWORD",
      () => ({
        ARM_TENANT_ID: emulator.tenantId,
        ARM_CLIENT_ID: IDS.certificateClientId,
        ARM_CLIENT_CERTIFICATE_PATH: certificates.pfx,
        ARM_CLIENT_CERTIFICATE_PASSWORD: CERTIFICATE_PASSWORD,
      }),
      IDS.certificateClientId,
    ],
    [
      "ARM_USE_OIDC + ARM_OIDC_TOKEN",
      () => ({
        ARM_TENANT_ID: emulator.tenantId,
        ARM_CLIENT_ID: IDS.federatedClientId,
        ARM_USE_OIDC: "true",
        ARM_OIDC_TOKEN: federatedToken(),
      }),
      IDS.federatedClientId,
    ],
    [
      "ARM_USE_OIDC + ARM_OIDC_TOKEN_FILE_PATH",
      () => ({
        ARM_TENANT_ID: emulator.tenantId,
        ARM_CLIENT_ID: IDS.federatedClientId,
        ARM_USE_OIDC: "true",
        ARM_OIDC_TOKEN_FILE_PATH: oidcTokenFile,
      }),
      IDS.federatedClientId,
    ],
  ];

  it.each(cases)("%s", async (_, env, clientId) => {
    Object.assign(process.env, env());
    await provider.configure(configureRequest(endpointsOnly()));
    const { outs } = await provisionAUser();
    expect(outs.result).toBe("Success");
    await expectCalledAs(clientId);
  });

  it("stack config wins over the environment (the client of the ARM_CLIENT_SECRET case serves it)", async () => {
    // First the ARM_CLIENT_SECRET case, whose client (and token) the same credential from stack config reuses.
    const [, armClientSecret] = cases.find(([name]) => name === "ARM_CLIENT_SECRET")!;
    Object.assign(process.env, armClientSecret());
    await provider.configure(configureRequest(endpointsOnly()));
    expect((await provisionAUser()).outs.result).toBe("Success");
    await emulator.admin.clearRequests();

    Object.assign(process.env, {
      ARM_TENANT_ID: emulator.tenantId,
      ARM_CLIENT_ID: IDS.noPermissionClientId,
      ARM_CLIENT_SECRET: "a-wrong-secret-from-the-environment",
    });
    await provider.configure(configureRequest(emulatorConfig(emulator)));
    const { outs } = await provisionAUser();
    expect(outs.result).toBe("Success");
    await expectCalledAs(IDS.callerClientId, { newToken: false });
  });
});

describe("the token endpoint refusing the credential fails the create at once, without calling Graph", () => {
  emulatorPerBlock();
  const unknown = "0dead000-0000-4000-8000-00000000abcd";
  const cases: [string, StackConfig, RegExp][] = [
    [
      "a wrong client secret: invalid_client AADSTS7000215, HTTP 401",
      { "azuread:clientSecret": "not-the-right-secret-value" },
      /^token request \(clientSecret\) failed: invalid_client: AADSTS7000215: Invalid client secret provided\. .* \[authority https:\/\/localhost:\d+\] \(HTTP 401, correlation-id [0-9a-f-]{36}\)\. The credential's values came from: clientSecret from azuread:clientSecret, .*graph-emulator: its client secret is new at every start unless its fixture pins one/,
    ],
    [
      "an unknown app: unauthorized_client AADSTS700016, HTTP 400",
      { "azuread:clientId": unknown },
      /^token request \(clientSecret\) failed: unauthorized_client: AADSTS700016: Application with identifier '0dead000-0000-4000-8000-00000000abcd' was not found.* \(HTTP 400, correlation-id [0-9a-f-]{36}\)(\. .*)?$/,
    ],
    [
      // MSAL reads the tenant's OpenID configuration first; Entra's AADSTS90002 answer to that is not
      // passed on by MSAL, so the message names the likely causes instead.
      "an unknown tenant: the OpenID configuration cannot be read, the message names a wrong tenant id",
      { "azuread:tenantId": unknown },
      /^token request \(clientSecret\) failed: CredentialUnavailableError: endpoints_resolution_error: .*the tenant id is wrong/,
    ],
  ];

  it.each(cases)("%s", async (_, overrides, message) => {
    await provider.configure(configureRequest(emulatorConfig(emulator, overrides)));
    const error = await failureOf(() => provisionAUser());

    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`[authority ${emulator.authorityHost}]`);
    expect(error.message).not.toContain("\n");
    const log = await emulator.admin.requests();
    expect(log.filter((entry) => entry.kind !== "openid" && entry.kind !== "token")).toEqual([]);
    // Not retried: one refused token request, or (unknown tenant) one refused discovery.
    expect(log.filter((entry) => entry.status >= 400)).toHaveLength(1);
    expect(log.filter((entry) => entry.kind === "token")).toHaveLength(overrides["azuread:tenantId"] ? 0 : 1);
  });

  it("the error carries Entra's code, the HTTP status and the correlation id as fields", async () => {
    await provider.configure(
      configureRequest(emulatorConfig(emulator, { "azuread:clientSecret": "another-wrong-secret" })),
    );
    const error = await failureOf(() => provisionAUser());
    expect(error).toMatchObject({
      code: "invalid_client",
      status: 401,
      method: "clientSecret",
      correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      serverMessage: expect.stringMatching(/^AADSTS7000215: /),
    });
  });
});

describe("one token request serves many creates with the same credential", () => {
  emulatorPerBlock();

  it("seven creates, five of them in parallel, make one token request", async () => {
    await provider.configure(configureRequest(emulatorConfig(emulator)));
    const create = (objectId: string) => checkAndCreate(provider, inputsFor(emulator, [user(objectId)]));
    const parallel = await Promise.all(IDS.burstUserIds.slice(0, 5).map(create));
    const sequential = [await create(IDS.burstUserIds[5]), await create(IDS.burstUserIds[6])];

    expect([...parallel, ...sequential].map((r) => r.outs.result)).toEqual(Array(7).fill("Success"));
    expect(await requestsOf(emulator, "provisionOnDemand")).toHaveLength(7);
    expect(await requestsOf(emulator, "token")).toHaveLength(1);
  });
});
