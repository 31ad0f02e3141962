/**
 * Plain data types shared by the resource, the provider and the Graph client. No logic lives here.
 */

/** The object types Graph's provisionOnDemand accepts as a subject. */
export type SubjectObjectTypeName = "User" | "user" | "Group" | "Worker";

/** One object to provision: a user, a group (optionally with some of its members) or a Workday worker. */
export interface Subject {
  /** The directory object id (a GUID for `User` and `Group`), a distinguished name, or a Workday worker id. */
  readonly objectId: string;
  /** The type of the object, as Graph names it. */
  readonly objectTypeName: SubjectObjectTypeName;
  /** Up to 5 members of a `Group` subject to provision together with it. */
  readonly links?: { readonly members: Subject[] };
}

/** One entry of the request's `parameters`: the subjects to push through one synchronization rule. */
export interface ProvisionParameter {
  /** The synchronization rule id; omitted means "resolve it from the job's schema". */
  readonly ruleId?: string;
  /** The objects to provision. */
  readonly subjects: Subject[];
}

/** A parameter after create: the rule id is known, and where it came from is recorded. */
export interface ResolvedProvisionParameter extends ProvisionParameter {
  /** The synchronization rule id the request used. */
  readonly ruleId: string;
  /** `input` when the program gave the rule id, `schema` when it was resolved from the job schema. */
  readonly ruleIdSource: "input" | "schema";
}

/** The Graph API version the request goes to. */
export type GraphApiVersion = "beta" | "v1.0";

/** The resource's inputs after `check`: validated, with ids normalised to their bare form. */
export interface ProvisionOnDemandInputs {
  /** The object id (GUID) of the service principal that owns the synchronization job. */
  readonly servicePrincipalId: string;
  /** The bare synchronization job id, e.g. `dataBricks.0f3c….a1b2…`. */
  readonly synchronizationJobId: string;
  /** What to provision. */
  readonly parameters: ProvisionParameter[];
  /** Arbitrary values whose change means "provision again". */
  readonly triggers?: Record<string, string>;
  /** The Graph API version used for the request. */
  readonly apiVersion: GraphApiVersion;
  /** Whether a provisioning outcome of `Failure` fails the deployment. */
  readonly failOnProvisioningError: boolean;
  /** How long the whole create may take, retries included, in seconds. */
  readonly createTimeoutSeconds: number;
}

/** A provisioning outcome, from best to worst: `Success` < `Skipped` < `Warning` < `Failure`. */
export type ProvisioningStatus = "Success" | "Skipped" | "Warning" | "Failure";

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

/** What one provisionOnDemand call produced, reduced to what users act on. */
export interface ProvisioningResult {
  /** The worst status of all reports. */
  readonly result: ProvisioningStatus;
  /** The error code of the failing or skipping report, if any. */
  readonly errorCode?: string;
  /** The error message of the failing or skipping report, if any. */
  readonly errorMessage?: string;
  /** Every report's steps, flattened in order. */
  readonly steps: ProvisioningStep[];
}

/** The resource's outputs: the normalised inputs, the resolved rules and the provisioning outcome. */
export interface ProvisionOnDemandOutputs extends ProvisionOnDemandInputs, ProvisioningResult {
  /** The parameters as sent, each with its rule id. */
  readonly parameters: ResolvedProvisionParameter[];
  /** Graph's `request-id` of the successful POST. */
  readonly requestId: string;
}
