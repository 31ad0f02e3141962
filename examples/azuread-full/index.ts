// The seed example (Terraform's azuread_synchronization_job_provision_on_demand "Basic example") end to
// end in Pulumi TypeScript: @pulumi/azuread creates the group, the Databricks SCIM gallery application,
// its service principal, the synchronization secret and job; this package's dynamic resource then
// provisions the group (and its members) into Databricks now instead of at the next ~40-minute cycle.
//
// This program is type-checked in CI (`npm run typecheck`) but not deployed there: deploying needs the
// azuread provider plugin and a real tenant (see README.md).
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import { SynchronizationJobProvisionOnDemand } from "pulumi-azuread-provision-on-demand";

const config = new pulumi.Config();
const databricksScimUrl =
  config.get("databricksScimUrl") ?? "https://adb-example.azuredatabricks.net/api/2.0/preview/scim";
const databricksToken = config.requireSecret("databricksToken");
const memberIds = config.getObject<string[]>("memberIds") ?? [];
if (memberIds.length > 5)
  throw new Error("memberIds: Graph provisions at most 5 members with a group in one request");

// data "azuread_client_config" "current" {}
const current = azuread.getClientConfigOutput();

// resource "azuread_group" "example"
const group = new azuread.Group("example", {
  displayName: "example",
  owners: [current.objectId],
  securityEnabled: true,
  members: memberIds,
});

// data "azuread_application_template" "example"
const template = azuread.getApplicationTemplateOutput({
  displayName: "Azure Databricks SCIM Provisioning Connector",
});

// resource "azuread_application" "example": instantiated from the gallery template.
const application = new azuread.Application("example", {
  displayName: "example",
  templateId: template.templateId,
  featureTags: [{ enterprise: true, gallery: true }],
});

// resource "azuread_service_principal" "example": instantiating the template already created it.
const servicePrincipal = new azuread.ServicePrincipal("example", {
  clientId: application.clientId,
  useExisting: true,
});

// resource "azuread_synchronization_secret" "example": the Databricks SCIM endpoint and token.
const secret = new azuread.SynchronizationSecret("example", {
  servicePrincipalId: servicePrincipal.id,
  credentials: [
    { key: "BaseAddress", value: databricksScimUrl },
    { key: "SecretToken", value: databricksToken },
  ],
});

// resource "azuread_synchronization_job" "example"
const job = new azuread.SynchronizationJob("example", {
  servicePrincipalId: servicePrincipal.id,
  templateId: "dataBricks",
  enabled: true,
});

// Not in the seed: assign the group to the enterprise application. The Databricks job syncs only
// assigned users and groups by default, so without this the group is out of scope and provisioning
// answers `Skipped` (NotEffectivelyEntitled). Uses the app's first enabled role that users and groups
// can hold, or the default-access role when the app defines none.
const assignment = new azuread.AppRoleAssignment("example", {
  appRoleId: servicePrincipal.appRoles.apply(
    (roles) =>
      roles.find((r) => r.enabled && r.allowedMemberTypes.includes("User"))?.id ??
      "00000000-0000-0000-0000-000000000000",
  ),
  principalObjectId: group.objectId,
  resourceObjectId: servicePrincipal.objectId,
});

// resource "azuread_synchronization_job_provision_on_demand" "example"
const provisioning = new SynchronizationJobProvisionOnDemand(
  "example",
  {
    // `/servicePrincipals/{id}` (the azuread id) and the job's `/servicePrincipals/{id}/synchronization/jobs/{jobId}`
    // are accepted as they are; `servicePrincipal.objectId` and a bare job id work too.
    servicePrincipalId: servicePrincipal.id,
    synchronizationJobId: job.id,
    parameters: [
      {
        // ruleId omitted (the seed's `rule_id = ""` is rejected here): resolved from the job's schema,
        // the rule whose enabled object mapping has sourceObjectName "Group".
        subjects: [
          {
            objectId: group.objectId,
            objectTypeName: "Group",
            // The group with all its members, any number (Graph takes 5 per request: the resource
            // sends as many requests as it takes). A change of the list is an in-place update that
            // sends only the members added or removed. `links: { allMembers: true }` would read them
            // from Graph instead (needs GroupMember.Read.All).
            links: {
              members: group.members.apply((ids) =>
                ids.map((objectId) => ({ objectId, objectTypeName: "User" as const })),
              ),
            },
          },
        ],
      },
    ],
  },
  // The job cannot export until its credentials are saved and the group is assigned.
  { dependsOn: [secret, assignment] },
);

export const servicePrincipalId = servicePrincipal.objectId;
export const synchronizationJobId = job.id;
export const result = provisioning.result;
export const ruleId = provisioning.parameters.apply((p) => p[0].ruleId);
export const steps = provisioning.steps.apply((s) => s.map((step) => `${step.type}: ${step.status}`));
export const requestId = provisioning.requestId;
export const members = provisioning.members.apply(
  (m) => m && `${m.succeeded}/${m.total} provisioned, ${m.failed} failed`,
);
