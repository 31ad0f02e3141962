/**
 * provisionOnDemand semantics: push each subject of an accepted request through the
 * Import → Scoping → Matching → Action → Export steps into the emulated target system, and build the
 * answer in either shape (live: a type-name key and an array of reports; docs: a result key and one
 * report). Pure logic over the directory state; HTTP lives in graph.ts.
 */
import { randomUUID } from "node:crypto";
import type { ResponseShape } from "./core";
import type { SynchronizationRule } from "./fixture";
import type { ProvisionJobContext, ProvisionParameters, SubjectInput } from "./provisionRequest";
import type { TargetObject } from "./state";

/** The `key` of live-shape answers. */
export const LIVE_SHAPE_KEY = "Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo";

/** One provisioning report, as Graph serialises it. */
export interface ProvisioningReport {
  /** What was done in the target: `Create`, `Update`, or `Other` when nothing was exported. */
  action: string;
  /** A fresh id for this provisioning event. */
  changeId: string;
  /** When processing of the subject started, ISO 8601. */
  startTime: string;
  /** When it ended, ISO 8601. */
  endTime: string;
  /** The subject's user principal name or display name (its id when unknown). */
  reportableIdentifier: string;
  /** The outcome, with an error code and reason when skipped or failed. */
  statusInfo: {
    status: "Success" | "Skipped" | "Warning" | "Failure";
    errorCode: string | null;
    reason: string | null;
    additionalDetails: string | null;
    errorCategory: string | null;
    recommendedAction: string | null;
  };
  /** The subject in the source directory. */
  sourceIdentity: Identity;
  /** The source directory (the rule's `sourceDirectoryName`). */
  sourceSystem: { id: null; name: string; details: null };
  /** The object in the target system (its `id` once exported). */
  targetIdentity: Identity;
  /** The target system (the rule's `targetDirectoryName`). */
  targetSystem: { id: null; name: string; details: null };
  /** The attributes exported, with their previous values. */
  modifiedProperties: { displayName: string; oldValue: string | null; newValue: string | null }[];
  /** The steps taken, in order: Import, Scoping, Matching, Action, Export (fewer when stopped early). */
  provisioningSteps: {
    name: string;
    type: "Import" | "Scoping" | "Matching" | "Action" | "Export";
    status: "Success" | "Skipped" | "Warning" | "Failure";
    description: string;
    timestamp: string;
    details: Record<string, string>;
  }[];
}

/** An object on either side of a report. */
interface Identity {
  /** Its id, or null when it has none (yet). */
  id: string | null;
  /** Its type, e.g. `User`. */
  type: string;
  /** The same type, under the name Graph's provisioning logs use. */
  identityType: string;
  /** Its display name, when known. */
  displayName: string | null;
  /** Extra attributes (none). */
  details: Record<string, string>;
}

type Step = ProvisioningReport["provisioningSteps"][number];
type Status = ProvisioningReport["statusInfo"]["status"];

const SEVERITY: Record<Status, number> = { Success: 0, Skipped: 1, Warning: 2, Failure: 3 };

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

function provisionSubject(
  ctx: ProvisionJobContext,
  rule: SynchronizationRule,
  subject: SubjectInput,
  listedMembers: string[],
): ProvisioningReport {
  const startTime = new Date(ctx.now).toISOString();
  const typeName = subject.objectTypeName === "user" ? "User" : subject.objectTypeName;
  const steps: Step[] = [];
  const step = (type: Step["type"], name: string, status: Status, description: string, details = {}) =>
    steps.push({ name, type, status, description, timestamp: new Date().toISOString(), details });
  const report = (
    status: Status,
    action: string,
    extra: Partial<ProvisioningReport> = {},
    error?: [string, string],
  ): ProvisioningReport => ({
    action,
    changeId: randomUUID(),
    startTime,
    endTime: new Date().toISOString(),
    reportableIdentifier: subject.objectId,
    statusInfo: {
      status,
      errorCode: error?.[0] ?? null,
      reason: error?.[1] ?? null,
      additionalDetails: null,
      errorCategory: status === "Failure" ? "NonServiceFailure" : null,
      recommendedAction: null,
    },
    sourceIdentity: identity(subject.objectId, typeName, null),
    sourceSystem: { id: null, name: rule.sourceDirectoryName, details: null },
    targetIdentity: identity(null, typeName, null),
    targetSystem: { id: null, name: rule.targetDirectoryName, details: null },
    modifiedProperties: [],
    provisioningSteps: steps,
    ...extra,
  });

  const mapping = rule.objectMappings.find(
    (m) => m.enabled && m.sourceObjectName.toLowerCase() === typeName.toLowerCase(),
  );
  if (!mapping) {
    const reason = `The rule ${rule.id} has no enabled object mapping for ${typeName} objects.`;
    step("Import", "EntryImport", "Failure", reason);
    return report("Failure", "Other", {}, ["UnsupportedObjectType", reason]);
  }
  const source = lookUpSource(ctx, subject, listedMembers);
  if (!source) {
    const reason = `Unable to find ${typeName} '${subject.objectId}' in ${rule.sourceDirectoryName}.`;
    step("Import", "EntryImport", "Failure", reason, { objectId: subject.objectId });
    return report("Failure", "Other", {}, ["EntryNotFound", reason]);
  }
  const sourceIdentity = identity(source.id, typeName, source.attributes.displayName);
  step(
    "Import",
    "EntryImport",
    "Success",
    `Retrieved ${typeName} '${source.label}' from ${rule.sourceDirectoryName}`,
    source.attributes,
  );
  if (!source.entitled) {
    const reason = `The ${typeName} '${source.label}' will be skipped: it is not assigned to the application${typeName === "User" ? " directly or through an assigned group" : ""}.`;
    step("Scoping", "EntrySynchronizationScoping", "Skipped", reason, {
      Assigned: "False",
      IsEffectivelyEntitledForProvisioning: "False",
      SkipReason: "NotEffectivelyEntitled",
    });
    return report("Skipped", "Other", { reportableIdentifier: source.label, sourceIdentity }, [
      "NotEffectivelyEntitled",
      reason,
    ]);
  }
  step(
    "Scoping",
    "EntrySynchronizationScoping",
    "Success",
    `Determine if ${typeName} in scope by evaluating against each scoping filter`,
    {
      Assigned: "True",
      IsEffectivelyEntitledForProvisioning: "True",
    },
  );

  const target = ctx.state.targetOf(ctx.servicePrincipal.id);
  const existing = target.get(source.id.toLowerCase());
  step(
    "Matching",
    "EntryImport",
    "Success",
    existing
      ? `Retrieved '${source.label}' from ${rule.targetDirectoryName}`
      : `No matching ${mapping.targetObjectName} was found in ${rule.targetDirectoryName}`,
    existing ? { id: existing.targetId } : {},
  );
  const members = [
    ...new Set([...(existing?.members ?? []), ...source.memberIds.map((m) => m.toLowerCase())]),
  ].sort();
  const attributes =
    typeName === "Group" ? { ...source.attributes, members: members.join(",") } : source.attributes;
  const changed = Object.keys(attributes).filter((name) => existing?.attributes[name] !== attributes[name]);
  const modifiedProperties = changed.map((name) => ({
    displayName: name,
    oldValue: existing?.attributes[name] ?? null,
    newValue: attributes[name],
  }));
  const targetIdentityOf = (object: TargetObject) =>
    identity(object.targetId, mapping.targetObjectName, source.attributes.displayName);

  if (existing && changed.length === 0) {
    const reason = `The state of the entry in both the source and target systems already match. No change to the ${typeName} '${source.label}' currently needs to be made.`;
    step("Action", "EntrySynchronizationNone", "Skipped", "Determine the action to take: None");
    step("Export", "EntrySynchronizationSkip", "Skipped", reason, { SkipReason: "RedundantExport" });
    return report(
      "Skipped",
      "Other",
      { reportableIdentifier: source.label, sourceIdentity, targetIdentity: targetIdentityOf(existing) },
      ["RedundantExport", reason],
    );
  }
  const action = existing ? "Update" : "Create";
  step(
    "Action",
    existing ? "EntrySynchronizationUpdate" : "EntrySynchronizationAdd",
    "Success",
    `Determine the action to take: ${action}`,
  );
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
  stored.attributes = attributes;
  stored.exportCount += 1;
  stored.lastAction = action;
  if (typeName === "Group") stored.members = members;
  target.set(source.id.toLowerCase(), stored);
  step(
    "Export",
    existing ? "EntryExportUpdate" : "EntryExportAdd",
    "Success",
    `${typeName} '${source.label}' was ${existing ? "updated" : "created"} in ${rule.targetDirectoryName}`,
    { id: stored.targetId },
  );
  return report("Success", action, {
    reportableIdentifier: source.label,
    sourceIdentity,
    targetIdentity: targetIdentityOf(stored),
    modifiedProperties,
  });
}

function identity(id: string | null, type: string, displayName: string | null): Identity {
  return { id, type, identityType: type, displayName, details: {} };
}

/** The worst status of all reports: Failure > Warning > Skipped > Success. */
export function worstReport(reports: ProvisioningReport[]): ProvisioningReport | undefined {
  return reports.reduce<ProvisioningReport | undefined>(
    (worst, r) => (!worst || SEVERITY[r.statusInfo.status] > SEVERITY[worst.statusInfo.status] ? r : worst),
    undefined,
  );
}

/**
 * The 200 answer. Live shape: `key` is the .NET type name and `value` the JSON array of every report.
 * Docs shape: `key` is `{"result","details":{"errorCode","errorMessage"}}` for the worst report and
 * `value` is one report — the first one with the worst status.
 */
export function provisioningAnswer(
  reports: ProvisioningReport[],
  shape: ResponseShape,
  contextUrl: string,
): Record<string, string> {
  const context = `${contextUrl}/$metadata#microsoft.graph.stringKeyStringValuePair`;
  if (shape === "live")
    return { "@odata.context": context, key: LIVE_SHAPE_KEY, value: JSON.stringify(reports) };
  const worst = worstReport(reports);
  const details = worst?.statusInfo.errorCode
    ? { errorCode: worst.statusInfo.errorCode, errorMessage: worst.statusInfo.reason ?? "" }
    : {};
  return {
    "@odata.context": context,
    key: JSON.stringify({ result: worst?.statusInfo.status ?? "Success", details }),
    value: JSON.stringify(worst ?? {}),
  };
}
