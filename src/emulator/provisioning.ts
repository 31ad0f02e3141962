/**
 * provisionOnDemand semantics: push each subject of an accepted request through the
 * Import → Scoping → Matching → Action → Export steps into the emulated target system. Pure logic
 * over the directory state; the report's shape lives in provisioningReport.ts, HTTP in
 * synchronization.ts.
 */
import { randomUUID } from "node:crypto";
import type { SynchronizationRule } from "./fixture";
import type { ProvisionJobContext, ProvisionParameters, SubjectInput } from "./provisionRequest";
import { identity, ReportRecorder } from "./provisioningReport";
import type { ProvisioningReport } from "./provisioningReport";
import type { TargetObject } from "./state";

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
    for (const subject of parameter.subjects) {
      const members = subject.links?.members ?? [];
      reports.push(
        provisionSubject(
          ctx,
          rule,
          subject,
          members.map((m) => m.objectId),
        ),
      );
      for (const member of members) reports.push(provisionSubject(ctx, rule, member, []));
    }
  }
  return reports;
}

interface SourceObject {
  readonly id: string;
  readonly label: string;
  readonly attributes: Record<string, string>;
  readonly entitled: boolean;
  readonly memberIds: string[];
}

function lookUpSource(
  ctx: ProvisionJobContext,
  subject: SubjectInput,
  listedMembers: string[],
): SourceObject | undefined {
  const { state, servicePrincipal, now } = ctx;
  const tenantId = servicePrincipal.tenantId;
  if (subject.objectTypeName === "Group") {
    const group = state.findGroup(subject.objectId, tenantId, now);
    if (!group) return undefined;
    const inGroup = new Set(group.members.map((m) => m.toLowerCase()));
    return {
      id: group.id,
      label: group.displayName,
      attributes: { objectId: group.id, displayName: group.displayName },
      entitled: state.isAssignedDirectly(servicePrincipal.id, group.id, now),
      memberIds: listedMembers.filter((m) => inGroup.has(m.toLowerCase())),
    };
  }
  if (subject.objectTypeName === "Worker") return undefined;
  const user = state.findUser(subject.objectId, tenantId, now);
  if (!user) return undefined;
  return {
    id: user.id,
    label: user.userPrincipalName,
    attributes: {
      objectId: user.id,
      userPrincipalName: user.userPrincipalName,
      displayName: user.displayName,
      mail: user.mail ?? "",
      accountEnabled: user.accountEnabled ? "True" : "False",
    },
    entitled: state.userEntitlement(servicePrincipal.id, user.id, now) !== undefined,
    memberIds: [],
  };
}

/** A subject found in the source directory, with how it maps onto the target. */
interface ResolvedSubject {
  readonly rule: SynchronizationRule;
  /** `User` or `Group`. */
  readonly typeName: string;
  /** The object type in the target system (the mapping's `targetObjectName`). */
  readonly targetObjectName: string;
  readonly source: SourceObject;
}

/** One subject through Import → Scoping → Matching → Action → Export; stops at the first step that fails. */
function provisionSubject(
  ctx: ProvisionJobContext,
  rule: SynchronizationRule,
  subject: SubjectInput,
  listedMembers: string[],
): ProvisioningReport {
  const typeName = subject.objectTypeName === "user" ? "User" : subject.objectTypeName;
  const recorder = new ReportRecorder(subject.objectId, typeName, rule, ctx.now);
  const mapping = rule.objectMappings.find(
    (m) => m.enabled && m.sourceObjectName.toLowerCase() === typeName.toLowerCase(),
  );
  if (!mapping) {
    const reason = `The rule ${rule.id} has no enabled object mapping for ${typeName} objects.`;
    recorder.step("Import", "EntryImport", "Failure", reason);
    return recorder.finish("Failure", "Other", {}, ["UnsupportedObjectType", reason]);
  }
  const source = lookUpSource(ctx, subject, listedMembers);
  if (!source) {
    const reason = `Unable to find ${typeName} '${subject.objectId}' in ${rule.sourceDirectoryName}.`;
    recorder.step("Import", "EntryImport", "Failure", reason, { objectId: subject.objectId });
    return recorder.finish("Failure", "Other", {}, ["EntryNotFound", reason]);
  }
  const resolved: ResolvedSubject = { rule, typeName, targetObjectName: mapping.targetObjectName, source };
  recorder.step(
    "Import",
    "EntryImport",
    "Success",
    `Retrieved ${typeName} '${source.label}' from ${rule.sourceDirectoryName}`,
    source.attributes,
  );
  if (!source.entitled) return skipOutOfScope(recorder, resolved);
  recorder.step(
    "Scoping",
    "EntrySynchronizationScoping",
    "Success",
    `Determine if ${typeName} in scope by evaluating against each scoping filter`,
    { Assigned: "True", IsEffectivelyEntitledForProvisioning: "True" },
  );
  return matchAndExport(ctx, recorder, resolved);
}

function sourceIdentityOf({ source, typeName }: ResolvedSubject) {
  return identity(source.id, typeName, source.attributes.displayName);
}

function targetIdentityOf({ source, targetObjectName }: ResolvedSubject, object: TargetObject) {
  return identity(object.targetId, targetObjectName, source.attributes.displayName);
}

/** The Scoping step skips a subject that is not assigned to the app (directly or through a group). */
function skipOutOfScope(recorder: ReportRecorder, resolved: ResolvedSubject): ProvisioningReport {
  const { source, typeName } = resolved;
  const reason = `The ${typeName} '${source.label}' will be skipped: it is not assigned to the application${typeName === "User" ? " directly or through an assigned group" : ""}.`;
  recorder.step("Scoping", "EntrySynchronizationScoping", "Skipped", reason, {
    Assigned: "False",
    IsEffectivelyEntitledForProvisioning: "False",
    SkipReason: "NotEffectivelyEntitled",
  });
  return recorder.finish(
    "Skipped",
    "Other",
    { reportableIdentifier: source.label, sourceIdentity: sourceIdentityOf(resolved) },
    ["NotEffectivelyEntitled", reason],
  );
}

/** The attributes the subject would export now; a group's include its members, in order. */
function attributesToExport({ source, typeName }: ResolvedSubject, existing: TargetObject | undefined) {
  const members = [
    ...new Set([...(existing?.members ?? []), ...source.memberIds.map((m) => m.toLowerCase())]),
  ].sort();
  const attributes =
    typeName === "Group" ? { ...source.attributes, members: members.join(",") } : source.attributes;
  return { attributes, members };
}

/** Matching, Action and Export: create, update, or skip when the target already matches. */
function matchAndExport(
  ctx: ProvisionJobContext,
  recorder: ReportRecorder,
  resolved: ResolvedSubject,
): ProvisioningReport {
  const { rule, source, typeName } = resolved;
  const target = ctx.state.targetOf(ctx.servicePrincipal.id);
  const existing = target.get(source.id.toLowerCase());
  recorder.step(
    "Matching",
    "EntryImport",
    "Success",
    existing
      ? `Retrieved '${source.label}' from ${rule.targetDirectoryName}`
      : `No matching ${resolved.targetObjectName} was found in ${rule.targetDirectoryName}`,
    existing ? { id: existing.targetId } : {},
  );
  const { attributes, members } = attributesToExport(resolved, existing);
  const changed = Object.keys(attributes).filter((name) => existing?.attributes[name] !== attributes[name]);
  if (existing && changed.length === 0) return skipRedundant(recorder, resolved, existing);
  const action = existing ? "Update" : "Create";
  recorder.step(
    "Action",
    existing ? "EntrySynchronizationUpdate" : "EntrySynchronizationAdd",
    "Success",
    `Determine the action to take: ${action}`,
  );
  const modifiedProperties = changed.map((name) => ({
    displayName: name,
    oldValue: existing?.attributes[name] ?? null,
    newValue: attributes[name],
  }));
  const stored = writeToTarget(target, existing, resolved, { attributes, members });
  recorder.step(
    "Export",
    existing ? "EntryExportUpdate" : "EntryExportAdd",
    "Success",
    `${typeName} '${source.label}' was ${existing ? "updated" : "created"} in ${rule.targetDirectoryName}`,
    { id: stored.targetId },
  );
  return recorder.finish("Success", action, {
    reportableIdentifier: source.label,
    sourceIdentity: sourceIdentityOf(resolved),
    targetIdentity: targetIdentityOf(resolved, stored),
    modifiedProperties,
  });
}

/** Creates or updates the object in the target system; counts the export. */
function writeToTarget(
  target: Map<string, TargetObject>,
  existing: TargetObject | undefined,
  { source, typeName }: ResolvedSubject,
  exported: { readonly attributes: Record<string, string>; readonly members: string[] },
): TargetObject {
  const stored: TargetObject = existing ?? {
    objectId: source.id,
    objectTypeName: typeName,
    displayName: source.attributes.displayName,
    exportCount: 0,
    lastAction: "Create",
    targetId: randomUUID(),
    attributes: {},
  };
  stored.displayName = source.attributes.displayName;
  stored.attributes = exported.attributes;
  stored.exportCount += 1;
  stored.lastAction = existing ? "Update" : "Create";
  if (typeName === "Group") stored.members = exported.members;
  target.set(source.id.toLowerCase(), stored);
  return stored;
}

/** The target already holds what would be exported: Action None, Export skipped. */
function skipRedundant(
  recorder: ReportRecorder,
  resolved: ResolvedSubject,
  existing: TargetObject,
): ProvisioningReport {
  const { source, typeName } = resolved;
  const reason = `The state of the entry in both the source and target systems already match. No change to the ${typeName} '${source.label}' currently needs to be made.`;
  recorder.step("Action", "EntrySynchronizationNone", "Skipped", "Determine the action to take: None");
  recorder.step("Export", "EntrySynchronizationSkip", "Skipped", reason, { SkipReason: "RedundantExport" });
  return recorder.finish(
    "Skipped",
    "Other",
    {
      reportableIdentifier: source.label,
      sourceIdentity: sourceIdentityOf(resolved),
      targetIdentity: targetIdentityOf(resolved, existing),
    },
    ["RedundantExport", reason],
  );
}
