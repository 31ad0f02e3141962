/**
 * The one set of ids of the tests: the emulator's default fixture's (`DEFAULT_IDS`) and those of every
 * object that the test fixture (fixture.ts) adds, with the secrets it registers. The unit tests use the
 * same ids without an emulator (`SP_ID`, `JOB_ID`, … are short names for them). Constants only.
 */
import { DEFAULT_IDS } from "../../src/emulator";

/** The caller app's client secret: distinctive, so that a leak is easy to find. */
export const CLIENT_SECRET = "Pod~Secret.9f2Xq7LmZ3vB8nK1wR5tY0uE4cA6dG";
/** The password of the PFX and encrypted PEM client certificates. */
export const CERTIFICATE_PASSWORD = "Pfx-Password_3hJ8sK2lQ9";

/** A test object id in the default tenant: `7e570000-0000-4000-8000-` and `suffix` (12 hex digits). */
export const testId = (suffix: string) => `7e570000-0000-4000-8000-${suffix}`;

/** The ids of the default fixture and of every object the test fixture adds to it. */
export const IDS = {
  ...DEFAULT_IDS,
  /** An app with a secret but no Graph permission. */
  noPermissionClientId: testId("000000000001"),
  noPermissionSecret: "no-permission-app-secret-value",
  /** An app allowed only Application.ReadWrite.OwnedBy, owner of `ownedServicePrincipalId`. */
  ownerClientId: testId("000000000002"),
  ownerServicePrincipalId: testId("000000000003"),
  ownerSecret: "owner-app-secret-value",
  /** A service principal (and its job) owned by the owner app. */
  ownedServicePrincipalId: testId("000000000004"),
  ownedJobId: "dataBricks.0123456789abcdef0123456789abcdef.8f1a2b3c-0000-4000-8000-000000000001",
  /** An app that authenticates with a client certificate (PEM and PFX). */
  certificateClientId: testId("000000000005"),
  /** An app that authenticates with a federated (OIDC) token. */
  federatedClientId: testId("000000000006"),
  federatedIssuer: "https://token.ci.example",
  federatedSubject: "repo:example/infra:ref:refs/heads/main",
  /** A job whose target credentials are not configured. */
  noCredentialsServicePrincipalId: testId("000000000007"),
  noCredentialsJobId: "dataBricks.fedcba9876543210fedcba9876543210.8f1a2b3c-0000-4000-8000-000000000001",
  /** Two jobs of one service principal whose schema has two rules mapping User objects, none for Worker. */
  ambiguousServicePrincipalId: testId("000000000008"),
  ambiguousJobId: "dataBricks.aaaabbbbccccddddeeeeffff00001111.8f1a2b3c-0000-4000-8000-000000000001",
  secondAmbiguousJobId: "dataBricks.aaaabbbbccccddddeeeeffff00002222.8f1a2b3c-0000-4000-8000-000000000001",
  /** Users assigned directly to the default app, for bursts of distinct creates. */
  burstUserIds: Array.from(
    { length: 12 },
    (_, i) => `b0b10000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`,
  ),
  /** A second tenant with its own caller app, service principal, job and user. */
  otherTenant: {
    tenantId: "0a4e0000-0000-4000-8000-000000000001",
    appId: "0a4e0000-0000-4000-8000-000000000010",
    secret: "other-tenant-secret",
    servicePrincipalId: "0a4e0000-0000-4000-8000-000000000021",
    jobId: "dataBricks.00000000000000000000000000000000.0a4e0000-0000-4000-8000-000000000001",
    userId: "0a4e0000-0000-4000-8000-000000000101",
  },
} as const;

// Short names of the ids, for the unit tests' tables.
/** The Databricks app's service principal. */
export const SP_ID: string = IDS.servicePrincipalId;
/** Another service principal, for "the job path names another service principal". */
export const OTHER_SP_ID: string = IDS.ambiguousServicePrincipalId;
/** The Databricks SCIM job of SP_ID. */
export const JOB_ID: string = IDS.jobId;
/** The job schema's one rule. */
export const RULE_ID: string = IDS.ruleId;
/** The first member of the group. */
export const USER_ID: string = IDS.userIds[0];
/** The second member of the group. */
export const USER_ID_2: string = IDS.userIds[1];
/** The group assigned to the Databricks app. */
export const GROUP_ID: string = IDS.groupId;

/** The rules of the ambiguous jobs' schema. */
export const AMBIGUOUS_RULES = [
  { id: "11111111-aaaa-4bbb-8ccc-000000000001", name: "USERS_TO_DATABRICKS", target: "Databricks" },
  { id: "22222222-aaaa-4bbb-8ccc-000000000002", name: "USERS_TO_AUDIT", target: "Audit store" },
] as const;
