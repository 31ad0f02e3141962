/**
 * The Microsoft Graph wire model of provisionOnDemand: what a request carries and what an answer
 * reduces to. Plain data only; nothing here knows about Pulumi.
 */

/** The object types Graph's provisionOnDemand accepts as a subject. */
export type SubjectObjectTypeName = "User" | "user" | "Group" | "Worker";

/** One object to provision: a user, a group (optionally with some of its members) or a Workday worker. */
export interface Subject {
  /** The directory object id (a GUID for `User` and `Group`), a distinguished name, or a Workday worker id. */
  readonly objectId: string;
  /** The type of the object, as Graph names it. */
  readonly objectTypeName: SubjectObjectTypeName;
  /** Members of a `Group` subject to provision together with it (Graph takes at most 5 per request). */
  readonly links?: { readonly members: Subject[] };
}

/** One entry of the request's `parameters`: the subjects to push through one synchronization rule. */
export interface ProvisionParameter {
  /** The synchronization rule id; omitted means "resolve it from the job's schema". */
  readonly ruleId?: string;
  /** The objects to provision. */
  readonly subjects: Subject[];
}

/** The Graph API versions that serve provisionOnDemand. */
export const GRAPH_API_VERSIONS = ["beta", "v1.0"] as const;

/** The Graph API version a request goes to. */
export type GraphApiVersion = (typeof GRAPH_API_VERSIONS)[number];

/** Provisioning outcomes, worst first: the order that picks an overall result. */
export const PROVISIONING_STATUSES = ["Failure", "Warning", "Skipped", "Success"] as const;

/** A provisioning outcome, from best to worst: `Success` < `Skipped` < `Warning` < `Failure`. */
export type ProvisioningStatus = (typeof PROVISIONING_STATUSES)[number];

/** One step of one provisioning report (Import, Scoping, Matching, Action, Export). */
export interface ProvisioningStep {
  /** The step's name, e.g. `EntryImport`. */
  readonly name: string;
  /** The step's kind: Import, Scoping, Matching, Action or Export. */
  readonly type: string;
  /** What happened in this step. */
  readonly status: string;
  /** Graph's human-readable description of the step. */
  readonly description: string;
}

/** One report of an answer: the outcome for one object (a group, a member, a user). */
export interface ProvisioningReportOutcome {
  /** The source object's id, when the report names it. */
  readonly objectId?: string;
  /** The report's worst status. */
  readonly result: ProvisioningStatus;
  /** Its error code, if not a success. */
  readonly errorCode?: string;
  /** Its error message, if not a success. */
  readonly errorMessage?: string;
  /** Its provisioning steps. */
  readonly steps: ProvisioningStep[];
}

/** What one provisionOnDemand answer produced, reduced to what users act on. */
export interface ProvisioningResult {
  /** The worst status of all reports. */
  readonly result: ProvisioningStatus;
  /** The error code of the failing or skipping report, if any. */
  readonly errorCode?: string;
  /** The error message of the failing or skipping report, if any. */
  readonly errorMessage?: string;
  /** Every report's steps, flattened in order. */
  readonly steps: ProvisioningStep[];
  /** One outcome per report, in the answer's order. */
  readonly reports: ProvisioningReportOutcome[];
}
