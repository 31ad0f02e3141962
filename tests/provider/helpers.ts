/**
 * Shared helpers of the provider tests: a fixture with the extra apps and jobs the cases need, an
 * emulator per describe block (trusted through the test CA that `npm test` sets up), stack config for
 * `configure`, one-call create (check → create), the emulator's request log by kind, and a capture of
 * what the provider writes to stderr. Everything goes over real HTTPS with real @azure/identity.
 */
import { generateKeyPairSync } from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import jwt from "jsonwebtoken";
import forge from "node-forge";
import {
  createClientCertificate,
  databricksScimSchema,
  defaultFixture,
  DEFAULT_IDS,
  startEmulator,
} from "../../src/emulator";
import type {
  EmulatorFixture,
  RequestKind,
  RequestLogEntry,
  RunningEmulator,
  StartEmulatorOptions,
} from "../../src/emulator";

/** The caller app's client secret: distinctive, so that a leak is easy to find. */
export const CLIENT_SECRET = "Pod~Secret.9f2Xq7LmZ3vB8nK1wR5tY0uE4cA6dG";
/** The password of the PFX and encrypted PEM client certificates. */
export const CERTIFICATE_PASSWORD = "Pfx-Password_3hJ8sK2lQ9";

/** Ids of the objects this fixture adds to the default one. */
export const IDS = {
  ...DEFAULT_IDS,
  /** A job whose schema has two rules mapping User objects and none mapping Worker objects. */
  ambiguousServicePrincipalId: "a0b10000-0000-4000-8000-000000000001",
  ambiguousJobId: "dataBricks.aaaabbbbccccddddeeeeffff00001111.8f1a2b3c-0000-4000-8000-000000000001",
  /** A job whose target credentials are not configured. */
  noCredentialsServicePrincipalId: "a0b10000-0000-4000-8000-000000000002",
  noCredentialsJobId: "dataBricks.0000111122223333444455556666777.8f1a2b3c-0000-4000-8000-000000000001",
  /** An app with a secret but no Graph permission. */
  noPermissionClientId: "a0b10000-0000-4000-8000-000000000010",
  noPermissionSecret: "no-permission-app-secret-value",
  /** An app that authenticates with a client certificate (PEM and PFX). */
  certificateClientId: "a0b10000-0000-4000-8000-000000000020",
  /** An app that authenticates with a federated (OIDC) token. */
  federatedClientId: "a0b10000-0000-4000-8000-000000000030",
  federatedIssuer: "https://token.ci.example",
  federatedSubject: "repo:example/infra:environment:prod",
  /** Users assigned directly to the default app, for bursts of distinct creates. */
  burstUserIds: Array.from(
    { length: 12 },
    (_, i) => `b0b10000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`,
  ),
} as const;

/** The rules of the ambiguous job's schema. */
export const AMBIGUOUS_RULES = [
  { id: "11111111-aaaa-4bbb-8ccc-000000000001", name: "USERS_TO_DATABRICKS", target: "Databricks" },
  { id: "22222222-aaaa-4bbb-8ccc-000000000002", name: "USERS_TO_AUDIT", target: "Audit store" },
] as const;

/** The client certificate registered on the certificate app. */
export const clientCertificate = createClientCertificate("provider-test-client");

/** The signing key of the fake CI system whose tokens the federated credential trusts. */
export const issuerKeys = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});

function ruleMapping(id: string, name: string, target: string, sources: string[]) {
  return {
    id,
    name,
    sourceDirectoryName: "Azure Active Directory",
    targetDirectoryName: target,
    objectMappings: sources.map((source) => ({
      enabled: true,
      sourceObjectName: source,
      targetObjectName: source,
    })),
  };
}

/** The default fixture plus the jobs and apps the provider tests need. */
export function providerFixture(): EmulatorFixture {
  const fixture = defaultFixture();
  const [caller, ...otherApps] = fixture.applications ?? [];
  return {
    ...fixture,
    applications: [
      { ...caller, clientSecrets: [{ value: CLIENT_SECRET }] },
      ...otherApps,
      {
        appId: IDS.noPermissionClientId,
        displayName: "no-permission",
        clientSecrets: [{ value: IDS.noPermissionSecret }],
      },
      {
        appId: IDS.certificateClientId,
        displayName: "certificate",
        certificates: [{ certificatePem: clientCertificate.certificatePem }],
        permissions: ["Synchronization.ReadWrite.All"],
      },
      {
        appId: IDS.federatedClientId,
        displayName: "federated",
        federatedCredentials: [{ issuer: IDS.federatedIssuer, subject: IDS.federatedSubject }],
        permissions: ["Synchronization.ReadWrite.All"],
      },
    ],
    servicePrincipals: [
      ...(fixture.servicePrincipals ?? []),
      {
        id: IDS.ambiguousServicePrincipalId,
        appId: "a0b10000-0000-4000-8000-0000000000a1",
        displayName: "two-rules",
      },
      {
        id: IDS.noCredentialsServicePrincipalId,
        appId: "a0b10000-0000-4000-8000-0000000000a2",
        displayName: "no-credentials",
      },
    ],
    jobs: [
      ...(fixture.jobs ?? []),
      {
        id: IDS.ambiguousJobId,
        servicePrincipalId: IDS.ambiguousServicePrincipalId,
        schema: {
          synchronizationRules: [
            ruleMapping(AMBIGUOUS_RULES[0].id, AMBIGUOUS_RULES[0].name, AMBIGUOUS_RULES[0].target, [
              "User",
              "Group",
            ]),
            ruleMapping(AMBIGUOUS_RULES[1].id, AMBIGUOUS_RULES[1].name, AMBIGUOUS_RULES[1].target, ["User"]),
          ],
        },
      },
      {
        id: IDS.noCredentialsJobId,
        servicePrincipalId: IDS.noCredentialsServicePrincipalId,
        credentialsConfigured: false,
        schema: databricksScimSchema(IDS.noCredentialsJobId),
      },
    ],
    users: [
      ...(fixture.users ?? []),
      ...IDS.burstUserIds.map((id, i) => ({
        id,
        displayName: `Burst User ${i + 1}`,
        userPrincipalName: `burst${i + 1}@${DEFAULT_IDS.tenantDomain}`,
      })),
    ],
    assignments: [
      ...(fixture.assignments ?? []),
      ...IDS.burstUserIds.map((principalId) => ({ servicePrincipalId: IDS.servicePrincipalId, principalId })),
    ],
    oidcIssuers: [{ issuer: IDS.federatedIssuer, publicKeyPem: issuerKeys.publicKey }],
  };
}

/** Starts an emulator with the test CA and the provider fixture; rate limit off unless given. */
export function startProviderEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const caDir = process.env.PROVISION_ON_DEMAND_TEST_CA_DIR;
  if (!caDir || !process.env.NODE_EXTRA_CA_CERTS)
    throw new Error("Run the provider tests through `npm test` (it creates the test CA and trusts it).");
  return startEmulator({ caDir, fixture: providerFixture(), rateLimit: "off", ...options });
}

/** Stack config as the engine gives it to `configure`: fully qualified keys. */
export type StackConfig = Record<string, string | undefined>;

/**
 * The stack config that points the provider at `emulator` with the caller app's client secret and
 * pacing off; `overrides` add or replace keys (`undefined` removes one).
 */
export function emulatorConfig(emulator: RunningEmulator, overrides: StackConfig = {}): StackConfig {
  return {
    "azuread:tenantId": emulator.tenantId,
    "azuread:clientId": emulator.clientId,
    "azuread:clientSecret": emulator.clientSecret,
    "provisionOnDemand:graphUrl": emulator.graphUrl,
    "provisionOnDemand:authorityHost": emulator.authorityHost,
    "provisionOnDemand:rateLimit": "off",
    ...overrides,
  };
}

/** A `ConfigureRequest` over a plain map, the way `pulumi.Config` answers `get` and `require`. */
export function configureRequest(config: StackConfig): dynamic.ConfigureRequest {
  const get = (key: string) => config[key];
  const stackConfig = {
    get,
    require: (key: string) => {
      const value = get(key);
      if (value === undefined) throw new Error(`Missing required configuration variable '${key}'`);
      return value;
    },
  };
  return { config: stackConfig as unknown as pulumi.Config };
}

/** The provider methods the tests drive (the implementation module or the serialisable shell). */
export type Provider = Required<Pick<dynamic.ResourceProvider, "configure" | "check" | "create">>;

/** A User subject. */
export function user(objectId: string): { objectId: string; objectTypeName: "User" } {
  return { objectId, objectTypeName: "User" };
}

/** Resource inputs as a program gives them, for the default fixture's job. */
export function inputsFor(
  emulator: RunningEmulator,
  subjects: unknown[],
  extra: Record<string, unknown> = {},
  parameter: Record<string, unknown> = { ruleId: emulator.fixture.ruleId },
): Record<string, unknown> {
  return {
    servicePrincipalId: emulator.fixture.servicePrincipalId,
    synchronizationJobId: emulator.fixture.jobId,
    parameters: [{ ...parameter, subjects }],
    ...extra,
  };
}

/** The engine's flow for a new resource: check (normalise), then create with the checked inputs. */
export async function checkAndCreate(
  provider: Provider,
  news: Record<string, unknown>,
): Promise<dynamic.CreateResult> {
  const checked = await provider.check({}, news);
  if (checked.failures?.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
  return provider.create(checked.inputs as Record<string, unknown>);
}

/** Runs `work` and returns the error it threw; fails the test when it did not throw. */
export async function failureOf(work: () => Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await work();
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** The emulator's log entries of some kinds. */
export async function requestsOf(
  emulator: RunningEmulator,
  ...kinds: RequestKind[]
): Promise<RequestLogEntry[]> {
  return (await emulator.admin.requests()).filter((entry) => kinds.includes(entry.kind));
}

/** What the code under test writes to stderr while capture is on (it still reaches the terminal). */
export class StderrCapture {
  private readonly chunks: string[] = [];
  private spy?: jest.SpyInstance;

  /** Starts capturing, from empty. */
  start(): this {
    this.chunks.length = 0;
    const write = process.stderr.write.bind(process.stderr);
    this.spy = jest
      .spyOn(process.stderr, "write")
      .mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
        this.chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
      });
    return this;
  }

  /** Everything captured so far. */
  get text(): string {
    return this.chunks.join("");
  }

  /** The captured lines. */
  get lines(): string[] {
    return this.text.split("\n").filter(Boolean);
  }

  /** Forgets what was captured. */
  clear(): void {
    this.chunks.length = 0;
  }

  /** Stops capturing. */
  stop(): void {
    this.spy?.mockRestore();
    this.spy = undefined;
  }
}

/** A federated token as the CI system would mint it for the federated credential. */
export function federatedToken(claims: Record<string, unknown> = {}): string {
  return jwt.sign(
    { iss: IDS.federatedIssuer, sub: IDS.federatedSubject, aud: "api://AzureADTokenExchange", ...claims },
    issuerKeys.privateKey,
    { algorithm: "RS256", expiresIn: 600 },
  );
}

/** A temporary folder, removed by the returned function. */
export async function temporaryFolder(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pod-provider-test-"));
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** Writes the client certificate as PEM (certificate + key), PFX with password, and encrypted PEM. */
export async function writeCertificateFiles(
  dir: string,
): Promise<{ pem: string; pfx: string; encryptedPem: string }> {
  const key = forge.pki.privateKeyFromPem(clientCertificate.privateKeyPem);
  const cert = forge.pki.certificateFromPem(clientCertificate.certificatePem);
  const pfxDer = forge.asn1
    .toDer(forge.pkcs12.toPkcs12Asn1(key, [cert], CERTIFICATE_PASSWORD, { algorithm: "3des" }))
    .getBytes();
  const encryptedKey = forge.pki.encryptRsaPrivateKey(key, CERTIFICATE_PASSWORD, { algorithm: "aes256" });
  const files = {
    pem: path.join(dir, "client.pem"),
    pfx: path.join(dir, "client.pfx"),
    encryptedPem: path.join(dir, "client-encrypted.pem"),
  };
  await fs.writeFile(files.pem, clientCertificate.combinedPem);
  await fs.writeFile(files.pfx, Buffer.from(pfxDer, "binary"));
  await fs.writeFile(files.encryptedPem, clientCertificate.certificatePem + encryptedKey);
  return files;
}

/** Matches anything shaped like a JWT (an access token or an OIDC assertion). */
export const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/;
