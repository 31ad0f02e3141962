// Provision the "example" group (and its members) through the Databricks SCIM provisioning job now,
// instead of waiting for Entra ID's next ~40-minute cycle. Ids come from stack config, so the same
// program runs against the bundled emulator (`npm run demo`) or a real tenant.
import * as pulumi from "@pulumi/pulumi";
import { SynchronizationJobProvisionOnDemand } from "pulumi-azuread-provision-on-demand";

const config = new pulumi.Config();
const memberIds = config.getObject<string[]>("memberIds") ?? [];

const provisioning = new SynchronizationJobProvisionOnDemand("example", {
  servicePrincipalId: config.require("servicePrincipalId"),
  synchronizationJobId: config.require("synchronizationJobId"),
  parameters: [
    {
      // ruleId omitted: resolved from the job's schema (the rule that maps Group objects).
      subjects: [
        {
          objectId: config.require("groupId"),
          objectTypeName: "Group",
          links:
            memberIds.length > 0
              ? { members: memberIds.map((objectId) => ({ objectId, objectTypeName: "User" as const })) }
              : undefined,
        },
      ],
    },
  ],
  // Change a trigger to provision again on the next `pulumi up`.
  triggers: { members: memberIds.join(",") },
  // Record every provisioning step, successful ones too (by default only those that did not succeed).
  recordSteps: "all",
});

export const result = provisioning.result;
export const ruleId = provisioning.parameters.apply((p) => p[0].ruleId);
// How the provisioning steps (Import, Scoping, Matching, Action, Export of each object) ended.
export const stepStatuses = provisioning.steps.apply((all) =>
  all.reduce<Record<string, number>>(
    (counts, step) => ({ ...counts, [step.status]: (counts[step.status] ?? 0) + 1 }),
    {},
  ),
);
export const requestId = provisioning.requestId;
