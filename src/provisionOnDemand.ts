/**
 * The resource users write in their programs, and the small provider shell that Pulumi serialises
 * into state. The shell captures nothing: each method loads the implementation by package name at run
 * time, so no client, credential or config is ever written to state (docs/ARCHITECTURE.md, "The
 * serialised shell").
 */
import * as pulumi from "@pulumi/pulumi";
import { parseDurationMs } from "./duration";
import type {
  GraphApiVersion,
  ProvisioningStatus,
  ProvisioningStep,
  SubjectObjectTypeName,
} from "./graph/model";
import type { MemberOutcome, ResolvedProvisionParameter } from "./provider/state";

/** One object to provision, as a program gives it. */
export interface SubjectArgs {
  /** The object id: a user or group GUID, a distinguished name (`user`), or a Workday worker id. */
  objectId: pulumi.Input<string>;
  /** `User` or `Group` (Entra ID → app), `user` (AD → Entra ID), or `Worker` (Workday). */
  objectTypeName: pulumi.Input<SubjectObjectTypeName>;
  /**
   * A `Group` subject's members to provision with it: `{ members: [...] }` lists them (any number:
   * sent 5 per request, as Graph takes them), `{ allMembers: true }` reads all its direct user
   * members from Graph at create time (needs `GroupMember.Read.All`; nested groups are not followed).
   */
  links?: pulumi.Input<
    { members: pulumi.Input<pulumi.Input<SubjectArgs>[]> } | { allMembers: pulumi.Input<true> }
  >;
}

/** One `parameters` entry: the subjects and, optionally, the rule to apply. */
export interface ProvisionParameterArgs {
  /** The synchronization rule id; omit it to resolve it from the job's schema. */
  ruleId?: pulumi.Input<string>;
  /** The objects to provision (at least one). */
  subjects: pulumi.Input<pulumi.Input<SubjectArgs>[]>;
}

/** The arguments, named as in @pulumi/azuread's `SynchronizationJobProvisionOnDemand`. */
export interface SynchronizationJobProvisionOnDemandArgs {
  /** The service principal's object id, or `/servicePrincipals/{id}`. */
  servicePrincipalId: pulumi.Input<string>;
  /** The job id, or `/servicePrincipals/{id}/synchronization/jobs/{jobId}` (its service principal must match). */
  synchronizationJobId: pulumi.Input<string>;
  /** What to provision: one or more `{ ruleId?, subjects }`. */
  parameters: pulumi.Input<pulumi.Input<ProvisionParameterArgs>[]>;
  /** Arbitrary values; any change provisions again (the resource is replaced). */
  triggers?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * Arbitrary values; any change re-reads the group's members (with `allMembers: true`) and provisions
   * only those added or removed since the last run (an update in place, not a replacement).
   */
  memberTriggers?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** `beta` (default) or `v1.0`. */
  apiVersion?: pulumi.Input<GraphApiVersion>;
  /** Whether a provisioning outcome of `Failure` fails the deployment. Default `true`. */
  failOnProvisioningError?: pulumi.Input<boolean>;
  /**
   * Which provisioning steps `steps` records: `"problems"` (default) those of reports that did not
   * succeed, `"all"` every step, successful ones included (at most 1,000). Takes effect at the next
   * provisioning; changing it alone provisions nothing.
   */
  recordSteps?: pulumi.Input<"problems" | "all">;
}

/**
 * The serialisable provider shell. Each method loads the implementation lazily; nothing is captured.
 * It has no `read` or `delete`: the engine's defaults for a dynamic provider are exactly what this
 * resource needs (refresh returns the stored state, destroy forgets it) and neither calls Graph.
 * Exported so it can be driven directly.
 *
 * Its text is stored twice per resource and the engine rewrites the whole state after every
 * operation, so every byte counts (docs/BENCHMARKS.md, P4): the serialiser wraps each distinct
 * function in ~200 bytes of boilerplate, so configure, check, diff and create share one function
 * (`dispatch` tells them apart by their arguments) and update has the other: 2 functions, ~0.8 KB,
 * instead of 5 and 1.9 KB. State written by earlier versions keeps calling the named exports.
 */
const viaDispatch = (...a: unknown[]) =>
  require("pulumi-azuread-provision-on-demand/provider").dispatch(...a);
const viaUpdate = (...a: unknown[]) => require("pulumi-azuread-provision-on-demand/provider").update(...a);
export const provisionOnDemandProvider: pulumi.dynamic.ResourceProvider = {
  configure: viaDispatch,
  check: viaDispatch,
  diff: viaDispatch,
  create: viaDispatch,
  update: viaUpdate,
};

/**
 * `customTimeouts.create` (`"15m"`, `"1h30m"`, `"90s"`) in seconds. Not part of the package's
 * public surface (index.ts does not export it); exported for its unit test.
 */
export function createTimeoutSeconds(text: string): number {
  const ms = parseDurationMs(text, "customTimeouts.create");
  if (ms <= 0) throw new RangeError(`customTimeouts.create "${text}" must be longer than zero`);
  return ms / 1000;
}

/**
 * Provisions users or groups on demand through an Entra ID (Azure AD) provisioning job, instead of
 * waiting for the next ~40-minute cycle. The Pulumi twin of Terraform's
 * `azuread_synchronization_job_provision_on_demand`.
 */
export class SynchronizationJobProvisionOnDemand extends pulumi.dynamic.Resource {
  /** The service principal's object id (bare GUID). */
  declare public readonly servicePrincipalId: pulumi.Output<string>;
  /** The bare synchronization job id. */
  declare public readonly synchronizationJobId: pulumi.Output<string>;
  /** The parameters as sent, each with its `ruleId` and where it came from (`input` or `schema`). */
  declare public readonly parameters: pulumi.Output<ResolvedProvisionParameter[]>;
  /** The triggers, as given. */
  declare public readonly triggers: pulumi.Output<Record<string, string> | undefined>;
  /** The Graph API version used. */
  declare public readonly apiVersion: pulumi.Output<GraphApiVersion>;
  /** Whether a `Failure` outcome fails the deployment. */
  declare public readonly failOnProvisioningError: pulumi.Output<boolean>;
  /** The overall outcome, the worst of all reports: `Failure` > `Warning` > `Skipped` > `Success`. */
  declare public readonly result: pulumi.Output<ProvisioningStatus>;
  /** The error code of the failing or skipping report; `""` when every report succeeded. */
  declare public readonly errorCode: pulumi.Output<string>;
  /** The error message of the failing or skipping report; `""` when every report succeeded. */
  declare public readonly errorMessage: pulumi.Output<string>;
  /** Provisioning steps of reports that did not succeed (at most 50); every step with `recordSteps: "all"`. */
  declare public readonly steps: pulumi.Output<ProvisioningStep[]>;
  /** How many steps `steps` leaves out (those of successful reports, by default). */
  declare public readonly stepsOmitted: pulumi.Output<number>;
  /** What happened to the group's members (counts, the first problems), when the resource provisions a group. */
  declare public readonly members: pulumi.Output<MemberOutcome | null>;
  /** The member triggers, as given. */
  declare public readonly memberTriggers: pulumi.Output<Record<string, string> | undefined>;
  /** Graph's `request-id` of the successful POST. */
  declare public readonly requestId: pulumi.Output<string>;

  /**
   * @param name the resource's unique name.
   * @param args what to provision, and how.
   * @param opts resource options; `customTimeouts.create` (default 15 minutes) bounds the whole create.
   */
  constructor(
    name: string,
    args: SynchronizationJobProvisionOnDemandArgs,
    opts?: pulumi.CustomResourceOptions,
  ) {
    const timeout = opts?.customTimeouts?.create;
    const props: Record<string, unknown> = {
      ...args,
      createTimeoutSeconds: timeout === undefined ? undefined : createTimeoutSeconds(timeout),
      // Dynamic providers are not told which resource they work for; their lines name it with this.
      resourceName: name,
      result: undefined,
      errorCode: undefined,
      errorMessage: undefined,
      steps: undefined,
      stepsOmitted: undefined,
      members: undefined,
      requestId: undefined,
    };
    super(provisionOnDemandProvider, name, props, opts, "azuread", "SynchronizationJobProvisionOnDemand");
  }
}
