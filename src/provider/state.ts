/**
 * The resource's state contract: its inputs after `check` and the outputs `create` and `update`
 * record. Old state is read back by newer versions of the package (refresh, destroy, diff), so a
 * field may be added here but never renamed or given another meaning.
 */
import type {
  GraphApiVersion,
  ProvisionParameter,
  ProvisioningResult,
  ProvisioningStep,
  Subject,
} from "../graph/model";

/** Where a parameter's rule id came from: the program (`input`) or the job's schema (`schema`). */
export type RuleIdSource = "input" | "schema";

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

/** A parameter after create: the rule id is known, and where it came from is recorded. */
export interface ResolvedProvisionParameter {
  /** The synchronization rule id the request used. */
  readonly ruleId: string;
  /** Where the rule id came from. */
  readonly ruleIdSource: RuleIdSource;
  /** The objects provisioned. */
  readonly subjects: Subject[];
}

/** The resource's outputs: the normalised inputs, the resolved rules and the provisioning outcome. */
export interface ProvisionOnDemandOutputs
  extends Omit<ProvisionOnDemandInputs, "parameters">, Omit<ProvisioningResult, "reports"> {
  /** The parameters as sent, each with its rule id. */
  readonly parameters: ResolvedProvisionParameter[];
  /** Every report's provisioning steps. */
  readonly steps: ProvisioningStep[];
  /** Graph's `request-id` of the successful POST. */
  readonly requestId: string;
}
