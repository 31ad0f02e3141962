/** pulumi-azuread-provision-on-demand: provision users and groups on demand through Entra ID. */
export {
  SynchronizationJobProvisionOnDemand,
  provisionOnDemandProvider,
  parseTimeoutSeconds,
} from "./provisionOnDemand";
export type {
  SynchronizationJobProvisionOnDemandArgs,
  ProvisionParameterArgs,
  SubjectArgs,
} from "./provisionOnDemand";
export type {
  Subject,
  SubjectObjectTypeName,
  ProvisionParameter,
  ProvisionOnDemandOutputs,
  ProvisioningResult,
  ProvisioningStatus,
  ProvisioningStep,
} from "./types";
export {
  GraphRequestError,
  ProvisioningFailedError,
  TimeoutExceededError,
  TokenRequestError,
  RuleResolutionError,
} from "./graph/errors";
