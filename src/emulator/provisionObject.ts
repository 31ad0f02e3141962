/**
 * One object of a provisionOnDemand request through the Import → Scoping → Matching → Action → Export
 * steps into the emulated target system: look it up, check its scope, compare it with the target,
 * then create, update or skip it. Pure logic over the directory state; which objects a request
 * provisions (a group and its listed members) is decided in provisioning.ts.
 */
import { randomUUID } from "node:crypto";
import type { SynchronizationRule } from "./fixture";
import type { ProvisionJobContext, SubjectInput } from "./provisionRequest";
import { identity, ReportRecorder } from "./provisioningReport";
import type { ProvisioningReport } from "./provisioningReport";
import type { TargetObject } from "./state";

/** A subject as found in the source directory. */
export interface SourceObject {
  /** Its directory object id. */
  readonly id: string;
  /** How reports name it: a user's userPrincipalName, a group's display name. */
  readonly label: string;
  /** The source attributes the mapping exports. */
  readonly attributes: Record<string, string>;
  /** Whether it is assigned to the app (a user: directly or through an assigned group). */
  readonly entitled: boolean;
  /** A group's listed members that are its members in the directory (lower case). */
  readonly memberIds: string[];
  /** A group's listed members that are not (or no longer) its members in the directory (lower case). */
  readonly departedMemberIds: string[];
}

/** Looks up a group subject; its listed members are split into current and departed ones. */
function lookUpGroup(
  ctx: ProvisionJobContext,
  groupId: string,
  listedMembers: string[],
): SourceObject | undefined {
  const { state, servicePrincipal, now } = ctx;
  const group = state.findGroup(groupId, servicePrincipal.tenantId, now);
  if (!group) return undefined;
  const listed = listedMembers.map((m) => m.toLowerCase());
  return {
    id: group.id,
    label: group.displayName,
    attributes: { objectId: group.id, displayName: group.displayName },
    entitled: state.isAssignedDirectly(servicePrincipal.id, group.id, now),
    memberIds: listed.filter((m) => state.isGroupMember(group.id, m)),
    departedMemberIds: listed.filter((m) => !state.isGroupMember(group.id, m)),
  };
}

/** Looks up a user subject in the service principal's tenant (undefined when unknown or not yet visible). */
export function lookUpUser(ctx: ProvisionJobContext, userId: string): SourceObject | undefined {
  const { state, servicePrincipal, now } = ctx;
  const user = state.findUser(userId, servicePrincipal.tenantId, now);
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
    departedMemberIds: [],
  };
}

function lookUpSource(
  ctx: ProvisionJobContext,
  subject: SubjectInput,
  listedMembers: string[],
): SourceObject | undefined {
  if (subject.objectTypeName === "Group") return lookUpGroup(ctx, subject.objectId, listedMembers);
  return subject.objectTypeName === "Worker" ? undefined : lookUpUser(ctx, subject.objectId);
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

/**
 * One subject through Import → Scoping → Matching → Action → Export; stops at the first step that
 * fails. A group's `listedMembers` are added to (or, when departed, removed from) its target members.
 */
export function provisionSubject(
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
  recorder.imported(source.label, source.attributes);
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

/**
 * The attributes the subject would export now. A group's include its target members: those exported
 * before and its listed current members, less its listed departed members, in order.
 */
function attributesToExport({ source, typeName }: ResolvedSubject, existing: TargetObject | undefined) {
  const departed = new Set(source.departedMemberIds);
  const members = [...new Set([...(existing?.members ?? []), ...source.memberIds])]
    .filter((member) => !departed.has(member))
    .sort();
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
