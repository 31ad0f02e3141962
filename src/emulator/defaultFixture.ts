/**
 * The built-in fixture. It mirrors the seed example: a caller app "pulumi-automation" allowed to run
 * provisioning and to read group members, the Databricks SCIM enterprise app "example" with its synchronization job, the
 * security group "example" (3 members) assigned to that app, and one user who is not assigned.
 * Every id is fixed so that documentation and examples can show them.
 */
import type { EmulatorFixture, SynchronizationRule, SynchronizationSchema } from "./fixture";

type ObjectMapping = SynchronizationRule["objectMappings"][number];

/** The fixed ids of the default fixture. */
export const DEFAULT_IDS = {
  tenantId: "8f1a2b3c-0000-4000-8000-000000000001",
  tenantDomain: "emulator.onmicrosoft.com",
  callerClientId: "8f1a2b3c-0000-4000-8000-000000000010",
  callerServicePrincipalId: "8f1a2b3c-0000-4000-8000-000000000011",
  databricksAppId: "8f1a2b3c-0000-4000-8000-000000000020",
  servicePrincipalId: "8f1a2b3c-0000-4000-8000-000000000021",
  jobId: "dataBricks.5f0d3c2b9a8e4f7d8c6b5a4f3e2d1c0b.8f1a2b3c-0000-4000-8000-000000000001",
  ruleId: "03f7d90d-bf71-41b1-bda6-aaf0ddbee5d8#V2",
  groupId: "8f1a2b3c-0000-4000-8000-000000000100",
  userIds: [
    "8f1a2b3c-0000-4000-8000-000000000101",
    "8f1a2b3c-0000-4000-8000-000000000102",
    "8f1a2b3c-0000-4000-8000-000000000103",
  ],
  unassignedUserId: "8f1a2b3c-0000-4000-8000-000000000104",
} as const;

function attribute(source: string, target: string, matching = false): Record<string, unknown> {
  return {
    defaultValue: null,
    exportMissingReferences: false,
    flowBehavior: "FlowWhenChanged",
    flowType: "Always",
    matchingPriority: matching ? 1 : 0,
    targetAttributeName: target,
    source: { expression: `[${source}]`, name: source, type: "Attribute", parameters: [] },
  };
}

/** The rule's User → User mapping: matched on userPrincipalName. */
function userObjectMapping(): ObjectMapping {
  return {
    enabled: true,
    flowTypes: "Add, Update, Delete",
    name: "Provision Azure Active Directory Users",
    sourceObjectName: "User",
    targetObjectName: "User",
    scope: null,
    metadata: [],
    attributeMappings: [
      attribute("userPrincipalName", "userName", true),
      attribute("displayName", "displayName"),
      attribute("mail", 'emails[type eq "work"].value'),
      attribute("objectId", "externalId"),
    ],
  };
}

/** The rule's Group → Group mapping: matched on displayName, members exported. */
function groupObjectMapping(): ObjectMapping {
  return {
    enabled: true,
    flowTypes: "Add, Update, Delete",
    name: "Provision Azure Active Directory Groups",
    sourceObjectName: "Group",
    targetObjectName: "Group",
    scope: null,
    metadata: [],
    attributeMappings: [
      attribute("displayName", "displayName", true),
      attribute("objectId", "externalId"),
      attribute("members", "members"),
    ],
  };
}

/** A synchronization schema modelled on the Databricks SCIM connector's: one rule, Users and Groups. */
export function databricksScimSchema(jobId: string = DEFAULT_IDS.jobId): SynchronizationSchema {
  return {
    id: jobId,
    version: "date:2024-05-01T00:00:00Z",
    synchronizationRules: [
      {
        id: DEFAULT_IDS.ruleId,
        name: "USER_OUTBOUND",
        editable: true,
        priority: 1,
        sourceDirectoryName: "Azure Active Directory",
        targetDirectoryName: "Databricks",
        containerFilter: { includedContainers: [] },
        groupFilter: { includedGroups: [] },
        metadata: [],
        objectMappings: [userObjectMapping(), groupObjectMapping()],
      },
    ],
    directories: [
      {
        id: "AzureActiveDirectory",
        name: "Azure Active Directory",
        objects: [{ name: "User" }, { name: "Group" }],
      },
      {
        id: "Databricks",
        name: "Databricks",
        objects: [{ name: "User" }, { name: "Group" }],
      },
    ],
  };
}

/** Alice, Bob and Carol (the group's members) and Dave (not assigned). */
function defaultUsers(): NonNullable<EmulatorFixture["users"]> {
  const [alice, bob, carol] = DEFAULT_IDS.userIds;
  const domain = DEFAULT_IDS.tenantDomain;
  return [
    { id: alice, displayName: "Alice Example", userPrincipalName: `alice@${domain}` },
    { id: bob, displayName: "Bob Example", userPrincipalName: `bob@${domain}` },
    { id: carol, displayName: "Carol Example", userPrincipalName: `carol@${domain}` },
    { id: DEFAULT_IDS.unassignedUserId, displayName: "Dave Unassigned", userPrincipalName: `dave@${domain}` },
  ];
}

/** A fresh copy of the default fixture (safe to modify, e.g. to extend it in tests). */
export function defaultFixture(): EmulatorFixture {
  return {
    tenants: [
      { id: DEFAULT_IDS.tenantId, displayName: "Emulated tenant", domains: [DEFAULT_IDS.tenantDomain] },
    ],
    applications: [
      {
        appId: DEFAULT_IDS.callerClientId,
        displayName: "pulumi-automation",
        clientSecrets: [{ displayName: "generated at start" }],
        permissions: ["Synchronization.ReadWrite.All", "GroupMember.Read.All"],
      },
      { appId: DEFAULT_IDS.databricksAppId, displayName: "example" },
    ],
    servicePrincipals: [
      {
        id: DEFAULT_IDS.callerServicePrincipalId,
        appId: DEFAULT_IDS.callerClientId,
        displayName: "pulumi-automation",
      },
      {
        id: DEFAULT_IDS.servicePrincipalId,
        appId: DEFAULT_IDS.databricksAppId,
        displayName: "example",
        owners: [DEFAULT_IDS.callerServicePrincipalId],
      },
    ],
    jobs: [
      {
        id: DEFAULT_IDS.jobId,
        servicePrincipalId: DEFAULT_IDS.servicePrincipalId,
        templateId: "dataBricks",
        credentialsConfigured: true,
        schema: databricksScimSchema(),
      },
    ],
    users: defaultUsers(),
    groups: [
      {
        id: DEFAULT_IDS.groupId,
        displayName: "example",
        securityEnabled: true,
        members: [...DEFAULT_IDS.userIds],
      },
    ],
    assignments: [{ servicePrincipalId: DEFAULT_IDS.servicePrincipalId, principalId: DEFAULT_IDS.groupId }],
    defaultClientId: DEFAULT_IDS.callerClientId,
    summary: {
      servicePrincipalId: DEFAULT_IDS.servicePrincipalId,
      jobId: DEFAULT_IDS.jobId,
      ruleId: DEFAULT_IDS.ruleId,
      groupId: DEFAULT_IDS.groupId,
      userIds: [...DEFAULT_IDS.userIds],
      unassignedUserId: DEFAULT_IDS.unassignedUserId,
    },
  };
}
