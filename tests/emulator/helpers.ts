/**
 * Shared helpers of the emulator tests: a richer fixture (extra apps, tenants and jobs for the
 * error paths), starting emulators with the test CA, real credentials, and plain HTTPS calls.
 */
import { generateKeyPairSync } from "node:crypto";
import { ClientSecretCredential } from "@azure/identity";
import jwt from "jsonwebtoken";
import {
  createClientCertificate,
  databricksScimSchema,
  defaultFixture,
  startEmulator,
} from "../../src/emulator";
import type {
  EmulatorFixture,
  ProvisioningReport,
  RunningEmulator,
  StartEmulatorOptions,
} from "../../src/emulator";

/** The Graph scope every credential asks for. */
export const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

/** Ids and secrets of the objects the test fixture adds to the default one. */
export const TEST = {
  noPermissionApp: { appId: "7e570000-0000-4000-8000-000000000001", secret: "no-permission-secret" },
  ownerApp: {
    appId: "7e570000-0000-4000-8000-000000000002",
    servicePrincipalId: "7e570000-0000-4000-8000-000000000003",
    secret: "owner-secret",
  },
  ownedServicePrincipalId: "7e570000-0000-4000-8000-000000000004",
  ownedJobId: "dataBricks.0123456789abcdef0123456789abcdef.8f1a2b3c-0000-4000-8000-000000000001",
  certificateApp: { appId: "7e570000-0000-4000-8000-000000000005" },
  federatedApp: {
    appId: "7e570000-0000-4000-8000-000000000006",
    issuer: "https://token.ci.example",
    subject: "repo:example/infra:ref:refs/heads/main",
  },
  noCredentialsServicePrincipalId: "7e570000-0000-4000-8000-000000000007",
  noCredentialsJobId: "dataBricks.fedcba9876543210fedcba9876543210.8f1a2b3c-0000-4000-8000-000000000001",
  otherTenant: {
    tenantId: "0a4e0000-0000-4000-8000-000000000001",
    appId: "0a4e0000-0000-4000-8000-000000000010",
    secret: "other-tenant-secret",
    servicePrincipalId: "0a4e0000-0000-4000-8000-000000000021",
    jobId: "dataBricks.00000000000000000000000000000000.0a4e0000-0000-4000-8000-000000000001",
    userId: "0a4e0000-0000-4000-8000-000000000101",
  },
} as const;

/** The certificate registered on the certificate app (and its key, for ClientCertificateCredential). */
export const clientCertificate = createClientCertificate("emulator-test-client");
/** A certificate that is registered nowhere. */
export const unregisteredCertificate = createClientCertificate("unregistered");
/** The signing key of the fake CI issuer whose tokens the federated credential trusts. */
export const issuerKeys = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});

/** The default fixture plus the apps, tenants and jobs the error-path tests need. */
export function testFixture(): EmulatorFixture {
  const fixture = defaultFixture();
  const other = TEST.otherTenant;
  return {
    ...fixture,
    tenants: [...fixture.tenants, { id: other.tenantId, displayName: "Other tenant" }],
    applications: [
      ...(fixture.applications ?? []),
      {
        appId: TEST.noPermissionApp.appId,
        displayName: "no-permission",
        clientSecrets: [{ value: TEST.noPermissionApp.secret }],
      },
      {
        appId: TEST.ownerApp.appId,
        displayName: "owner",
        clientSecrets: [{ value: TEST.ownerApp.secret }],
        permissions: ["Application.ReadWrite.OwnedBy"],
      },
      {
        appId: TEST.certificateApp.appId,
        displayName: "certificate",
        certificates: [{ certificatePem: clientCertificate.certificatePem }],
        permissions: ["Synchronization.ReadWrite.All"],
      },
      {
        appId: TEST.federatedApp.appId,
        displayName: "federated",
        federatedCredentials: [{ issuer: TEST.federatedApp.issuer, subject: TEST.federatedApp.subject }],
        permissions: ["Synchronization.ReadWrite.All"],
      },
      {
        appId: other.appId,
        tenantId: other.tenantId,
        displayName: "other-tenant-caller",
        clientSecrets: [{ value: other.secret }],
        permissions: ["Synchronization.ReadWrite.All"],
      },
    ],
    servicePrincipals: [
      ...(fixture.servicePrincipals ?? []),
      { id: TEST.ownerApp.servicePrincipalId, appId: TEST.ownerApp.appId, displayName: "owner" },
      {
        id: TEST.ownedServicePrincipalId,
        appId: "7e570000-0000-4000-8000-0000000000aa",
        displayName: "owned",
        owners: [TEST.ownerApp.servicePrincipalId],
      },
      {
        id: TEST.noCredentialsServicePrincipalId,
        appId: "7e570000-0000-4000-8000-0000000000bb",
        displayName: "no-creds",
      },
      {
        id: other.servicePrincipalId,
        tenantId: other.tenantId,
        appId: "0a4e0000-0000-4000-8000-0000000000aa",
        displayName: "example",
      },
    ],
    jobs: [
      ...(fixture.jobs ?? []),
      {
        id: TEST.ownedJobId,
        servicePrincipalId: TEST.ownedServicePrincipalId,
        schema: databricksScimSchema(TEST.ownedJobId),
      },
      {
        id: TEST.noCredentialsJobId,
        servicePrincipalId: TEST.noCredentialsServicePrincipalId,
        credentialsConfigured: false,
      },
      { id: other.jobId, servicePrincipalId: other.servicePrincipalId },
    ],
    users: [
      ...(fixture.users ?? []),
      {
        id: other.userId,
        tenantId: other.tenantId,
        displayName: "Other User",
        userPrincipalName: "other@other.example",
      },
    ],
    assignments: [
      ...(fixture.assignments ?? []),
      { servicePrincipalId: other.servicePrincipalId, principalId: other.userId },
    ],
    oidcIssuers: [{ issuer: TEST.federatedApp.issuer, publicKeyPem: issuerKeys.publicKey }],
  };
}

/** Starts an emulator with the test CA (trusted through NODE_EXTRA_CA_CERTS by `npm test`). */
export function startTestEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const caDir = process.env.PROVISION_ON_DEMAND_TEST_CA_DIR;
  if (!caDir || !process.env.NODE_EXTRA_CA_CERTS)
    throw new Error("Run the emulator tests through `npm test` (it creates the test CA and trusts it).");
  return startEmulator({ caDir, fixture: testFixture(), ...options });
}

/** A ClientSecretCredential pointed at the emulator. */
export function secretCredential(
  emulator: RunningEmulator,
  clientId = emulator.clientId,
  secret = emulator.clientSecret,
  tenantId = emulator.tenantId,
): ClientSecretCredential {
  return new ClientSecretCredential(tenantId, clientId, secret, {
    authorityHost: emulator.authorityHost,
    disableInstanceDiscovery: true,
  });
}

/** An access token for an app, obtained with its client secret through the real token endpoint. */
export async function tokenFor(
  emulator: RunningEmulator,
  clientId = emulator.clientId,
  secret = emulator.clientSecret,
  tenantId = emulator.tenantId,
): Promise<string> {
  return (await secretCredential(emulator, clientId, secret, tenantId).getToken(GRAPH_SCOPE)).token;
}

/** A federated (external OIDC) token signed by the test issuer, as a CI system would mint it. */
export function federatedToken(
  claims: Record<string, unknown> = {},
  key: string = issuerKeys.privateKey,
): string {
  return jwt.sign(
    {
      iss: TEST.federatedApp.issuer,
      sub: TEST.federatedApp.subject,
      aud: "api://AzureADTokenExchange",
      ...claims,
    },
    key,
    claims.exp === undefined ? { algorithm: "RS256", expiresIn: 600 } : { algorithm: "RS256" },
  );
}

/** An HTTPS answer, body parsed as JSON when possible. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly text: string;
}

/** A plain fetch to the emulator. */
export async function call(
  emulator: RunningEmulator,
  method: string,
  path: string,
  options: {
    token?: string;
    body?: unknown;
    rawBody?: string | Buffer;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Buffer | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const response = await fetch(`${emulator.url}${path}`, { method, headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

/** The Graph path of a job (or of one of its leaves). */
export function jobPath(
  emulator: RunningEmulator,
  leaf = "",
  {
    version = "beta",
    servicePrincipalId = emulator.fixture.servicePrincipalId,
    jobId = emulator.fixture.jobId,
  } = {},
): string {
  return `/${version}/servicePrincipals/${servicePrincipalId}/synchronization/jobs/${encodeURIComponent(jobId)}${leaf}`;
}

/** A provisionOnDemand body for some subjects through the fixture's rule. */
export function provisionBody(
  emulator: RunningEmulator,
  subjects: unknown[],
  ruleId = emulator.fixture.ruleId,
): unknown {
  return { parameters: [{ ruleId, subjects }] };
}

/** A User subject. */
export function user(objectId: string): { objectId: string; objectTypeName: "User" } {
  return { objectId, objectTypeName: "User" };
}

/** A Group subject with listed members. */
export function group(objectId: string, memberIds: string[] = []): unknown {
  return memberIds.length
    ? { objectId, objectTypeName: "Group", links: { members: memberIds.map(user) } }
    : { objectId, objectTypeName: "Group" };
}

/** POSTs provisionOnDemand for the fixture's job. */
export function provision(
  emulator: RunningEmulator,
  token: string,
  subjects: unknown[],
  version = "beta",
): Promise<Answer> {
  return call(emulator, "POST", jobPath(emulator, "/provisionOnDemand", { version }), {
    token,
    body: provisionBody(emulator, subjects),
  });
}

/** The reports of a live-shape answer. */
export function liveReports(answer: Answer): ProvisioningReport[] {
  return JSON.parse(answer.json.value) as ProvisioningReport[];
}
