/**
 * provisionOnDemand semantics: validate the request against the job, push each subject through the
 * Import → Scoping → Matching → Action → Export steps into the emulated target system, and build the
 * answer in either shape (live: a type-name key and an array of reports; docs: a result key and one
 * report). Pure logic over the directory state; HTTP lives in graph.ts.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { ResponseShape } from "./core";
import type { SynchronizationRule } from "./fixture";
import type { DirectoryState, StoredJob, StoredServicePrincipal, TargetObject } from "./state";

/** The `key` of live-shape answers. */
export const LIVE_SHAPE_KEY = "Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo";
/** Most members one group subject may list. */
export const MAX_GROUP_MEMBERS = 5;

/** A request Graph refuses with an HTTP error. */
export interface ProvisionRequestError {
  /** The HTTP status. */
  readonly status: number;
  /** The Graph error code. */
  readonly code: string;
  /** The Graph error message. */
  readonly message: string;
}

interface SubjectInput {
  objectId: string;
  objectTypeName: string;
  links?: { members: SubjectInput[] };
}

const subjectSchema: z.ZodType<SubjectInput> = z.lazy(() =>
  z.looseObject({
    objectId: z.string().min(1),
    objectTypeName: z.string().min(1),
    links: z.looseObject({ members: z.array(subjectSchema) }).optional(),
  }),
);

const bodySchema = z.looseObject({
  parameters: z.array(z.looseObject({ ruleId: z.string(), subjects: z.array(subjectSchema).min(1) })).min(1),
});

/** The parameters of a valid request body. */
export type ProvisionParameters = z.output<typeof bodySchema>["parameters"];

const SUBJECT_TYPES = new Set(["User", "user", "Group", "Worker"]);

function badRequest(message: string): ProvisionRequestError {
  return { status: 400, code: "BadRequest", message };
}

/** Checks the body's shape and Graph's limits (one group, at most 5 members); returns the parameters. */
export function parseProvisionBody(json: unknown): ProvisionParameters | ProvisionRequestError {
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join(".") : "body";
    return badRequest(`Invalid provisionOnDemand request: ${where}: ${issue.message}.`);
  }
  let groups = 0;
  for (const parameter of parsed.data.parameters)
    for (const subject of parameter.subjects) {
      if (!SUBJECT_TYPES.has(subject.objectTypeName))
        return badRequest(
          `Invalid objectTypeName '${subject.objectTypeName}': expected one of User, user, Group or Worker.`,
        );
      if (subject.objectTypeName === "Group") groups += 1;
      const members = subject.links?.members ?? [];
      if (members.length > 0 && subject.objectTypeName !== "Group")
        return badRequest(`Only a Group subject may list members (subject ${subject.objectId}).`);
      if (members.length > MAX_GROUP_MEMBERS)
        return badRequest(
          `A group can be provisioned on demand with at most ${MAX_GROUP_MEMBERS} members; ${members.length} were given.`,
        );
      for (const member of members)
        if (member.objectTypeName !== "User" || member.links)
          return badRequest(`Group members must be User subjects without links (member ${member.objectId}).`);
    }
  if (groups > 1)
    return badRequest(`Only one group can be provisioned on demand per request; ${groups} were given.`);
  return parsed.data.parameters;
}

/** One provisioning report, as Graph serialises it. */
export interface ProvisioningReport {
  action: string;
  changeId: string;
  startTime: string;
  endTime: string;
  reportableIdentifier: string;
  statusInfo: {
    status: "Success" | "Skipped" | "Warning" | "Failure";
    errorCode: string | null;
    reason: string | null;
    additionalDetails: string | null;
    errorCategory: string | null;
    recommendedAction: string | null;
  };
  sourceIdentity: Identity;
  sourceSystem: { id: null; name: string; details: null };
  targetIdentity: Identity;
  targetSystem: { id: null; name: string; details: null };
  modifiedProperties: { displayName: string; oldValue: string | null; newValue: string | null }[];
  provisioningSteps: {
    name: string;
    type: "Import" | "Scoping" | "Matching" | "Action" | "Export";
    status: "Success" | "Skipped" | "Warning" | "Failure";
    description: string;
    timestamp: string;
    details: Record<string, string>;
  }[];
}

interface Identity {
  id: string | null;
  type: string;
  identityType: string;
  displayName: string | null;
  details: Record<string, string>;
}

type Step = ProvisioningReport["provisioningSteps"][number];
type Status = ProvisioningReport["statusInfo"]["status"];

const SEVERITY: Record<Status, number> = { Success: 0, Skipped: 1, Warning: 2, Failure: 3 };

/** Everything one provisionOnDemand call works on. */
export interface ProvisionJobContext {
  readonly state: DirectoryState;
  readonly servicePrincipal: StoredServicePrincipal;
  readonly job: StoredJob;
  readonly now: number;
}

/** Refuses the request when the job cannot run it: target credentials missing, or an unknown rule. */
export function checkJobAccepts(
  ctx: ProvisionJobContext,
  parameters: ProvisionParameters,
): ProvisionRequestError | undefined {
  if (!ctx.job.credentialsConfigured)
    return {
      status: 400,
      code: "CredentialsMissing",
      message: `The synchronization job ${ctx.job.id} has no target system credentials. Save the admin credentials of the provisioning configuration (for example BaseAddress and SecretToken), then retry.`,
    };
  for (const parameter of parameters)
    if (!ctx.job.schema.synchronizationRules.some((rule) => rule.id === parameter.ruleId))
      return {
        status: 400,
        code: "RequestParameterInvalid",
        message: `The request identified this synchronization job: ${ctx.job.id}.  The request also identified this synchronization rule: ${parameter.ruleId}.  However, the job does not include the rule.`,
      };
  return undefined;
}

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
