/**
 * The resource's state contract: its inputs after `check` and the outputs `create` and `update`
 * record. Old state is read back by newer versions of the package (refresh, destroy, diff), so a
 * field may be added here but never renamed or given another meaning.
 */
import type {
  GraphApiVersion,
  ProvisioningResult,
  ProvisioningStatus,
  ProvisioningStep,
  Subject,
  SubjectObjectTypeName,
} from "../graph/model";

/** Which provisioning steps the outputs record: `problems` (default: those of reports that did not succeed) or `all`. */
export type RecordSteps = "problems" | "all";

/** Where a parameter's rule id came from: the program (`input`) or the job's schema (`schema`). */
export type RuleIdSource = "input" | "schema";

/** A group's members as the program gives them: listed, or all its direct user members read from Graph. */
export type MemberLinks = { readonly members: Subject[] } | { readonly allMembers: true };

/** A subject as the resource records it: like Graph's, but a group may list any number of members. */
export interface SubjectState {
  /** The object id (GUIDs lower-cased). */
  readonly objectId: string;
  /** The object's type. */
  readonly objectTypeName: SubjectObjectTypeName;
  /** A group's members, when given. */
  readonly links?: MemberLinks;
}

/** One `parameters` entry as the resource records it. */
export interface ParameterState {
  /** The synchronization rule id; omitted means "resolve it from the job's schema". */
  readonly ruleId?: string;
  /** The objects to provision. */
  readonly subjects: SubjectState[];
}

/** The resource's inputs after `check`: validated, with ids normalised to their bare form. */
export interface ProvisionOnDemandInputs {
  /** The object id (GUID) of the service principal that owns the synchronization job. */
  readonly servicePrincipalId: string;
  /** The bare synchronization job id, e.g. `dataBricks.0f3c….a1b2…`. */
  readonly synchronizationJobId: string;
  /** What to provision. */
  readonly parameters: ParameterState[];
  /** Arbitrary values whose change means "provision again" (a replacement). */
  readonly triggers?: Record<string, string>;
  /** Arbitrary values whose change means "read the group's members again and provision the new ones" (an update). */
  readonly memberTriggers?: Record<string, string>;
  /** The Graph API version used for the request. */
  readonly apiVersion: GraphApiVersion;
  /** Whether a provisioning outcome of `Failure` fails the deployment. */
  readonly failOnProvisioningError: boolean;
  /** How long the whole create may take, retries included, in seconds. */
  readonly createTimeoutSeconds: number;
  /** The resource's name in the program, so that diagnostic lines can say whose they are. */
  readonly resourceName?: string;
  /** Which provisioning steps the outputs record; absent means `problems`. */
  readonly recordSteps?: RecordSteps;
}

/** A parameter after create: the rule id is known, and where it came from is recorded. */
export interface ResolvedProvisionParameter {
  /** The synchronization rule id the request used. */
  readonly ruleId: string;
  /** Where the rule id came from. */
  readonly ruleIdSource: RuleIdSource;
  /** The objects provisioned. */
  readonly subjects: SubjectState[];
}

/** One member whose provisioning did not succeed. */
export interface MemberProblem {
  /** The member's object id. */
  readonly objectId: string;
  /** Its outcome: `Failure`, `Warning` or `Skipped`. */
  readonly result: ProvisioningStatus;
  /** Graph's error code for it, if any. */
  readonly errorCode?: string;
}

/** What happened to a group's members: counts, and the members that did not succeed. */
export interface MemberOutcome {
  /** The group's object id. */
  readonly groupId: string;
  /** `listed` when the program listed the members, `all` when they were read from Graph. */
  readonly source: "listed" | "all";
  /** How many members the group has now (listed, or read from Graph). */
  readonly total: number;
  /** How many members the last create or update sent (an update sends only what changed). */
  readonly sent: number;
  /** Of those, how many left the group since the previous run (sent so the target drops them). */
  readonly removed: number;
  /** How many provisionOnDemand requests the last create or update made. */
  readonly requests: number;
  /** How many members of the last run succeeded. */
  readonly succeeded: number;
  /** How many were skipped (out of scope, or already in sync: `RedundantExport`). */
  readonly skipped: number;
  /** How many failed (or warned). */
  readonly failed: number;
  /** The first members that did not succeed (at most 20), with their codes. */
  readonly problems: MemberProblem[];
  /** How many more did not succeed than `problems` lists. */
  readonly problemsOmitted: number;
  /** With `source: "all"`: every member provisioned so far, so that an update sends only new ones. */
  readonly memberIds?: string[];
}

/** The resource's outputs: the normalised inputs, the resolved rules and the provisioning outcome. */
export interface ProvisionOnDemandOutputs
  extends Omit<ProvisionOnDemandInputs, "parameters">, Omit<ProvisioningResult, "reports"> {
  /** The parameters as sent, each with its rule id. */
  readonly parameters: ResolvedProvisionParameter[];
  /** Provisioning steps: those of reports that did not succeed (capped), or every step with `recordSteps: "all"`. */
  readonly steps: ProvisioningStep[];
  /** How many steps `steps` leaves out. */
  readonly stepsOmitted: number;
  /** Graph's `request-id` of the (last) successful POST. */
  readonly requestId: string;
  /** What happened to the group's members; `null` when the resource provisions no group (absent in state before 0.2). */
  readonly members?: MemberOutcome | null;
}
