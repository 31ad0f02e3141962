/** pulumi-azuread-provision-on-demand: provision users and groups on demand through Entra ID. */
export { SynchronizationJobProvisionOnDemand, provisionOnDemandProvider } from "./provisionOnDemand";
export type {
  SynchronizationJobProvisionOnDemandArgs,
  ProvisionParameterArgs,
  SubjectArgs,
} from "./provisionOnDemand";
export type {
  GraphApiVersion,
  Subject,
  SubjectObjectTypeName,
  ProvisionParameter,
  ProvisioningResult,
  ProvisioningReportOutcome,
  ProvisioningStatus,
  ProvisioningStep,
} from "./graph/model";
export type {
  ProvisionOnDemandInputs,
  ProvisionOnDemandOutputs,
  ResolvedProvisionParameter,
  RuleIdSource,
  MemberLinks,
  MemberOutcome,
  MemberProblem,
} from "./provider/state";
export {
  ProvisionOnDemandError,
  isProvisionOnDemandError,
  GraphRequestError,
  ProvisioningFailedError,
  TimeoutExceededError,
  TokenRequestError,
  RuleResolutionError,
  UnreadableResponseError,
} from "./graph/errors";
export type { GraphCallTarget, ProvisionOnDemandErrorOptions } from "./graph/errors";
