/**
 * The one test fixture: the emulator's default fixture plus the apps, tenants and jobs that the error
 * paths need, under the ids of ids.ts, with the certificates and the OIDC issuer key it trusts.
 */
import { generateKeyPairSync } from "node:crypto";
import jwt from "jsonwebtoken";
import {
  createClientCertificate,
  databricksScimSchema,
  defaultFixture,
  DEFAULT_IDS,
} from "../../src/emulator";
import type { EmulatorFixture } from "../../src/emulator";
import { AMBIGUOUS_RULES, CLIENT_SECRET, IDS, testId } from "./ids";

/** The client certificate registered on the certificate app (and its key). */
export const clientCertificate = createClientCertificate("test-client");
/** A certificate that is registered nowhere. */
export const unregisteredCertificate = createClientCertificate("unregistered");
/** The signing key of the fake CI issuer whose tokens the federated credential trusts. */
export const issuerKeys = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});

/** A federated (external OIDC) token signed by the test issuer, as a CI system would mint it. */
export function federatedToken(
  claims: Record<string, unknown> = {},
  key: string = issuerKeys.privateKey,
): string {
  return jwt.sign(
    { iss: IDS.federatedIssuer, sub: IDS.federatedSubject, aud: "api://AzureADTokenExchange", ...claims },
    key,
    claims.exp === undefined ? { algorithm: "RS256", expiresIn: 600 } : { algorithm: "RS256" },
  );
}

/** A rule of the ambiguous schema: Azure AD → `target`, mapping each of `sources` to itself. */
function ruleMapping(rule: (typeof AMBIGUOUS_RULES)[number], sources: string[]) {
  return {
    id: rule.id,
    name: rule.name,
    sourceDirectoryName: "Azure Active Directory",
    targetDirectoryName: rule.target,
    objectMappings: sources.map((source) => ({
      enabled: true,
      sourceObjectName: source,
      targetObjectName: source,
    })),
  };
}

/** A job of the ambiguous service principal. */
function ambiguousJob(id: string) {
  return {
    id,
    servicePrincipalId: IDS.ambiguousServicePrincipalId,
    schema: {
      synchronizationRules: [
        ruleMapping(AMBIGUOUS_RULES[0], ["User", "Group"]),
        ruleMapping(AMBIGUOUS_RULES[1], ["User"]),
      ],
    },
  };
}

/** The test apps: the caller with a known secret, then one app per credential or permission case. */
function applications(fixture: EmulatorFixture): EmulatorFixture["applications"] {
  const [caller, ...otherApps] = fixture.applications ?? [];
  const synchronization = ["Synchronization.ReadWrite.All"];
  return [
    { ...caller, clientSecrets: [{ value: CLIENT_SECRET }] },
    ...otherApps,
    {
      appId: IDS.noPermissionClientId,
      displayName: "no-permission",
      clientSecrets: [{ value: IDS.noPermissionSecret }],
    },
    {
      appId: IDS.ownerClientId,
      displayName: "owner",
      clientSecrets: [{ value: IDS.ownerSecret }],
      permissions: ["Application.ReadWrite.OwnedBy"],
    },
    {
      appId: IDS.certificateClientId,
      displayName: "certificate",
      certificates: [{ certificatePem: clientCertificate.certificatePem }],
      permissions: synchronization,
    },
    {
      appId: IDS.federatedClientId,
      displayName: "federated",
      federatedCredentials: [{ issuer: IDS.federatedIssuer, subject: IDS.federatedSubject }],
      permissions: synchronization,
    },
    {
      appId: IDS.otherTenant.appId,
      tenantId: IDS.otherTenant.tenantId,
      displayName: "other-tenant-caller",
      clientSecrets: [{ value: IDS.otherTenant.secret }],
      permissions: synchronization,
    },
  ];
}

/** The test service principals and their jobs. */
function servicePrincipalsAndJobs(
  fixture: EmulatorFixture,
): Pick<EmulatorFixture, "servicePrincipals" | "jobs"> {
  const other = IDS.otherTenant;
  return {
    servicePrincipals: [
      ...(fixture.servicePrincipals ?? []),
      { id: IDS.ownerServicePrincipalId, appId: IDS.ownerClientId, displayName: "owner" },
      {
        id: IDS.ownedServicePrincipalId,
        appId: testId("0000000000a4"),
        displayName: "owned",
        owners: [IDS.ownerServicePrincipalId],
      },
      {
        id: IDS.noCredentialsServicePrincipalId,
        appId: testId("0000000000a7"),
        displayName: "no-credentials",
      },
      { id: IDS.ambiguousServicePrincipalId, appId: testId("0000000000a8"), displayName: "two-rules" },
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
        id: IDS.ownedJobId,
        servicePrincipalId: IDS.ownedServicePrincipalId,
        schema: databricksScimSchema(IDS.ownedJobId),
      },
      {
        id: IDS.noCredentialsJobId,
        servicePrincipalId: IDS.noCredentialsServicePrincipalId,
        credentialsConfigured: false,
        schema: databricksScimSchema(IDS.noCredentialsJobId),
      },
      ambiguousJob(IDS.ambiguousJobId),
      ambiguousJob(IDS.secondAmbiguousJobId),
      { id: other.jobId, servicePrincipalId: other.servicePrincipalId },
    ],
  };
}

/** The test users (the other tenant's and the burst users) and their assignments. */
function usersAndAssignments(fixture: EmulatorFixture): Pick<EmulatorFixture, "users" | "assignments"> {
  const other = IDS.otherTenant;
  return {
    users: [
      ...(fixture.users ?? []),
      {
        id: other.userId,
        tenantId: other.tenantId,
        displayName: "Other User",
        userPrincipalName: "other@other.example",
      },
      ...IDS.burstUserIds.map((id, i) => ({
        id,
        displayName: `Burst User ${i + 1}`,
        userPrincipalName: `burst${i + 1}@${DEFAULT_IDS.tenantDomain}`,
      })),
    ],
    assignments: [
      ...(fixture.assignments ?? []),
      { servicePrincipalId: other.servicePrincipalId, principalId: other.userId },
      ...IDS.burstUserIds.map((principalId) => ({ servicePrincipalId: IDS.servicePrincipalId, principalId })),
    ],
  };
}

/** The default fixture plus every app, tenant, service principal, job and user the tests need. */
export function testFixture(): EmulatorFixture {
  const fixture = defaultFixture();
  return {
    ...fixture,
    tenants: [...fixture.tenants, { id: IDS.otherTenant.tenantId, displayName: "Other tenant" }],
    applications: applications(fixture),
    ...servicePrincipalsAndJobs(fixture),
    ...usersAndAssignments(fixture),
    oidcIssuers: [{ issuer: IDS.federatedIssuer, publicKeyPem: issuerKeys.publicKey }],
  };
}
