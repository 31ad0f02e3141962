/**
 * provisionOnDemand semantics of a whole request: every subject is provisioned (provisionObject.ts),
 * and a group's listed members after it. A listed member that is a member of the group in the
 * directory is exported as a user and added to the group's target members; one that is not (or no
 * longer) is not exported, and is removed from the group's target members if it was there. Its
 * report says which (docs/EMULATOR.md records this as an assumption).
 */
import type { SynchronizationRule } from "./fixture";
import { lookUpUser, provisionSubject } from "./provisionObject";
import type { SourceObject } from "./provisionObject";
import type { ProvisionJobContext, ProvisionParameters, SubjectInput } from "./provisionRequest";
import { identity, ReportRecorder } from "./provisioningReport";
import type { ProvisioningReport } from "./provisioningReport";

/** The errorCode of a listed member that is not a member of the group (nothing exported or removed). */
export const NOT_GROUP_MEMBER = "NotGroupMember";

/** Runs every subject (and every listed group member) through the job; one report per object. */
export function runProvisioning(
  ctx: ProvisionJobContext,
  parameters: ProvisionParameters,
): ProvisioningReport[] {
  const reports: ProvisioningReport[] = [];
  for (const parameter of parameters) {
    const rule = ctx.job.schema.synchronizationRules.find(
      (r) => r.id === parameter.ruleId,
    ) as SynchronizationRule;
    for (const subject of parameter.subjects)
      reports.push(
        ...(subject.links
          ? provisionGroupAndMembers(ctx, rule, subject)
          : [provisionSubject(ctx, rule, subject, [])]),
      );
  }
  return reports;
}

/** The group first (its target members change), then one report per listed member. */
function provisionGroupAndMembers(
  ctx: ProvisionJobContext,
  rule: SynchronizationRule,
  group: SubjectInput,
): ProvisioningReport[] {
  const listed = group.links?.members ?? [];
  const target = ctx.state.targetOf(ctx.servicePrincipal.id);
  const membersBefore = new Set(target.get(group.objectId.toLowerCase())?.members ?? []);
  const groupReport = provisionSubject(
    ctx,
    rule,
    group,
    listed.map((member) => member.objectId),
  );
  const membersAfter = new Set(target.get(group.objectId.toLowerCase())?.members ?? []);
  const removed = new Set([...membersBefore].filter((member) => !membersAfter.has(member)));
  const groupName = groupReport.sourceIdentity.displayName ?? group.objectId;
  return [
    groupReport,
    ...listed.map((member) => {
      const user = ctx.state.isGroupMember(group.objectId, member.objectId)
        ? undefined
        : lookUpUser(ctx, member.objectId);
      // A current member is exported as a user; so is an unknown id, which fails its Import step.
      if (!user) return provisionSubject(ctx, rule, member, []);
      const recorder = importedMember(ctx, rule, user);
      return removed.has(user.id.toLowerCase())
        ? membershipRemoved(recorder, rule, user, groupName)
        : notGroupMember(recorder, rule, user, groupName);
    }),
  ];
}

/** A member's report so far: its Import step succeeded. */
function importedMember(
  ctx: ProvisionJobContext,
  rule: SynchronizationRule,
  user: SourceObject,
): ReportRecorder {
  const recorder = new ReportRecorder(user.id, "User", rule, ctx.now);
  recorder.imported(user.label, user.attributes);
  return recorder;
}

/** A departed member that the group's export removed from its target members: Success, nothing else exported. */
function membershipRemoved(
  recorder: ReportRecorder,
  rule: SynchronizationRule,
  user: SourceObject,
  groupName: string,
): ProvisioningReport {
  recorder.step(
    "Action",
    "EntrySynchronizationRemoveMembership",
    "Success",
    `Determine the action to take: remove from the members of Group '${groupName}' (the User is no longer a member in ${rule.sourceDirectoryName})`,
  );
  recorder.step(
    "Export",
    "EntryExportRemoveMembership",
    "Success",
    `User '${user.label}' was removed from the members of Group '${groupName}' in ${rule.targetDirectoryName}`,
  );
  return recorder.finish("Success", "Other", reportedUser(user));
}

/** How a member's report names it: its UPN and its source identity. */
function reportedUser(user: SourceObject): Partial<ProvisioningReport> {
  return {
    reportableIdentifier: user.label,
    sourceIdentity: identity(user.id, "User", user.attributes.displayName),
  };
}

/** A listed user that is not a member of the group and not among its target members: Skipped. */
function notGroupMember(
  recorder: ReportRecorder,
  rule: SynchronizationRule,
  user: SourceObject,
  groupName: string,
): ProvisioningReport {
  const reason = `The User '${user.label}' is not a member of the Group '${groupName}' in ${rule.sourceDirectoryName}: it was neither exported nor added to the group's members in ${rule.targetDirectoryName}.`;
  recorder.step("Action", "EntrySynchronizationNone", "Skipped", reason, { SkipReason: NOT_GROUP_MEMBER });
  return recorder.finish("Skipped", "Other", reportedUser(user), [NOT_GROUP_MEMBER, reason]);
}
