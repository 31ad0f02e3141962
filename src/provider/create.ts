/**
 * `create` and the member part of `update`: resolves omitted rule ids from the job schema, reads a
 * group's members when the program asked for all of them, sends the requests (a group of any size in
 * runs of 5 members, at most as many in flight as the rate limit allows per window, through the
 * shared pacer), reports progress, and turns the answers into outputs. A reported `Failure` fails
 * the deployment unless the program opted out.
 */
import { randomUUID } from "node:crypto";
import type { CallOptions, GraphClient, ProvisionOnDemandAnswer } from "../graphClient";
import {
  GraphRequestError,
  ProvisioningFailedError,
  ProvisionOnDemandError,
  type GraphCallTarget,
} from "../graph/errors";
import type { ProvisioningResult, ProvisionParameter, Subject } from "../graph/model";
import { parseProvisioningResponse } from "../graph/result";
import { resolveRuleId } from "../graph/rules";
import { combineAnswers, type MemberRun, type RunOutcome } from "./outcome";
import { sendAll, type Progress } from "./send";
import {
  findGroup,
  listedMembers,
  planMemberRequests,
  planRequests,
  timeBudgetProblem,
  type GroupRef,
} from "./requests";
import { describeSubjects, shortId } from "./describe";
import { isUnknownRuleError, unknownRuleHint } from "./ruleHint";
import type { ProvisionOnDemandInputs, ProvisionOnDemandOutputs, ResolvedProvisionParameter } from "./state";

/** What a create or update works with besides its inputs. */
export interface RunContext {
  /** The process's Graph client. */
  readonly client: GraphClient;
  /** Writes one diagnostic line. */
  readonly log: (line: string) => void;
}

/** Drops keys whose value is `undefined`: the engine rejects them in outputs. */
function withoutUndefined<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The call options of one create or update: its target, API version and deadline. */
function callOptions(inputs: ProvisionOnDemandInputs): CallOptions {
  const target: GraphCallTarget = {
    operation: "provisionOnDemand",
    servicePrincipalId: inputs.servicePrincipalId,
    jobId: inputs.synchronizationJobId,
    subjects: describeSubjects(inputs.parameters),
    ...(inputs.resourceName ? { label: inputs.resourceName } : {}),
  };
  return {
    target,
    apiVersion: inputs.apiVersion,
    deadline: Date.now() + inputs.createTimeoutSeconds * 1000,
    timeoutSeconds: inputs.createTimeoutSeconds,
  };
}

/** Each parameter with its rule id: given, or resolved from the job schema (one GET per job per process). */
async function resolveRules(
  client: GraphClient,
  call: CallOptions,
  inputs: ProvisionOnDemandInputs,
): Promise<ResolvedProvisionParameter[]> {
  const out: ResolvedProvisionParameter[] = [];
  for (const [i, p] of inputs.parameters.entries()) {
    if (p.ruleId !== undefined) {
      out.push({ ...p, ruleId: p.ruleId, ruleIdSource: "input" });
      continue;
    }
    const schema = await client.getSchema(call);
    out.push({ ...p, ruleId: resolveRuleId(schema, p.subjects, `parameters[${i}]`), ruleIdSource: "schema" });
  }
  return out;
}

/** The group's members now: as listed, or read from Graph (`allMembers`). */
async function currentMembers(client: GraphClient, call: CallOptions, group: GroupRef): Promise<Subject[]> {
  if (!group.subject.links || !("allMembers" in group.subject.links)) return listedMembers(group.subject);
  const ids = await client.listGroupUserMembers(call, group.subject.objectId);
  return ids.map((objectId) => ({ objectId, objectTypeName: "User" as const }));
}

/** Fails early when the rate limit cannot fit the requests into the create timeout. */
function checkTimeBudget(client: GraphClient, requests: number, call: CallOptions, group?: GroupRef): void {
  const problem = timeBudgetProblem(requests, client.rateLimit, (call.deadline - Date.now()) / 1000);
  if (problem) {
    throw new ProvisionOnDemandError(`${group ? `group ${group.subject.objectId}: ` : ""}${problem}`, {
      code: "TimeBudgetTooShort",
      target: call.target,
    });
  }
}

/**
 * Graph refused a rule id the program gave: the same error, with the job's rules listed (one schema
 * GET) and, when the value was a rule's name, the id it stands for. Any other error as it is.
 */
async function explainUnknownRule(
  context: RunContext,
  call: CallOptions,
  requests: ProvisionParameter[][],
  error: unknown,
): Promise<unknown> {
  if (!(error instanceof GraphRequestError) || !isUnknownRuleError(error)) return error;
  const given = [...new Set(requests.flat().map((p) => p.ruleId ?? ""))].filter(Boolean);
  const schema = await context.client.getSchema(call).catch(() => undefined);
  if (!schema) return error;
  return new GraphRequestError({
    ...error,
    target: error.target,
    cause: error,
    hint: unknownRuleHint(schema, given),
  });
}

/** Sends `requests` and parses every answer. */
async function run(
  context: RunContext,
  call: CallOptions,
  requests: ProvisionParameter[][],
  progress?: Progress,
): Promise<{ results: ProvisioningResult[]; answers: ProvisionOnDemandAnswer[] }> {
  const answers = await sendAll(context.client, call, requests, context.log, progress).catch(
    async (error: unknown) => {
      throw await explainUnknownRule(context, call, requests, error);
    },
  );
  const results = answers.map((a) => parseProvisioningResponse(a.body, a.requestId, a.clientRequestId));
  return { results, answers };
}

/** Throws ProvisioningFailedError for a `Failure` (unless opted out); logs one line per outcome. */
function settle(
  inputs: ProvisionOnDemandInputs,
  call: CallOptions,
  outcome: RunOutcome,
  answers: readonly ProvisionOnDemandAnswer[],
  context: RunContext,
): void {
  const last = answers[answers.length - 1];
  const culprit = outcome.failedMembers;
  if (outcome.result === "Failure" && inputs.failOnProvisioningError) {
    const members = outcome.members;
    throw new ProvisioningFailedError({
      code: outcome.errorCode ?? "UnknownError",
      serverMessage: outcome.errorMessage ?? "no message",
      requestId: last?.requestId,
      clientRequestId: last?.clientRequestId,
      target: call.target,
      failing:
        members && culprit.length > 0
          ? `${culprit.length} of ${members.sent} members failed (${culprit
              .slice(0, 3)
              .map((m) => `User ${shortId(m.objectId)}${m.errorCode ? ` ${m.errorCode}` : ""}`)
              .join(", ")}${culprit.length > 3 ? ` and ${culprit.length - 3} more` : ""})`
          : undefined,
    });
  }
  const members = outcome.members
    ? `; members: ${outcome.members.succeeded} succeeded, ${outcome.members.skipped} skipped, ${outcome.members.failed} failed of ${outcome.members.sent} sent in ${outcome.members.requests} request${outcome.members.requests === 1 ? "" : "s"}`
    : "";
  const detail =
    outcome.result === "Success"
      ? ""
      : `${outcome.errorCode ? ` ${outcome.errorCode}` : ""}${outcome.errorMessage ? `: ${outcome.errorMessage}` : ""}`;
  context.log(
    `${call.target.label ? `${call.target.label}: ` : ""}provisionOnDemand: ${outcome.result}${detail}${members}` +
      ` (request-id ${last?.requestId ?? "none"}) [job ${call.target.jobId}, ${call.target.subjects}]`,
  );
}

/** The outputs of a run: inputs, resolved parameters, the outcome and the last request id. */
function outputs(
  inputs: ProvisionOnDemandInputs,
  parameters: ResolvedProvisionParameter[],
  outcome: RunOutcome,
  requestId: string,
): ProvisionOnDemandOutputs {
  const { failedMembers: _, ...fields } = outcome;
  // Outputs a program may export are always present: "" and null rather than absent, which the
  // engine would warn about ("Undefined value … will not show as a stack output").
  return withoutUndefined({
    ...inputs,
    parameters,
    ...fields,
    errorCode: fields.errorCode ?? "",
    errorMessage: fields.errorMessage ?? "",
    members: fields.members ?? null,
    requestId,
  });
}

/** The member bookkeeping of a run over `sent` members of `group`. */
function memberRun(
  group: GroupRef,
  total: Subject[],
  sent: Subject[],
  removed: Set<string>,
  known?: string[],
): MemberRun {
  const all = group.subject.links !== undefined && "allMembers" in group.subject.links;
  return {
    groupId: group.subject.objectId,
    source: all ? "all" : "listed",
    total: total.length,
    sent: sent.map((m) => m.objectId.toLowerCase()),
    removed,
    ...(all ? { memberIds: known ?? total.map((m) => m.objectId.toLowerCase()) } : {}),
  };
}

/** Provisions everything the inputs name; returns the resource id and outputs. */
export async function provision(
  context: RunContext,
  inputs: ProvisionOnDemandInputs,
): Promise<{ id: string; outs: ProvisionOnDemandOutputs }> {
  const call = callOptions(inputs);
  const parameters = await resolveRules(context.client, call, inputs);
  const group = findGroup(parameters);
  const members = group ? await currentMembers(context.client, call, group) : [];
  const requests = planRequests(parameters, members);
  checkTimeBudget(context.client, requests.length, call, group);
  const progress =
    group && members.length > 0 ? { groupId: group.subject.objectId, members: members.length } : undefined;
  const { results, answers } = await run(context, call, requests, progress);
  const outcome = combineAnswers(
    results,
    group ? memberRun(group, members, members, new Set()) : undefined,
    inputs.recordSteps,
  );
  settle(inputs, call, outcome, answers, context);
  return {
    id: randomUUID(),
    outs: outputs(inputs, parameters, outcome, answers[answers.length - 1].requestId),
  };
}

/** The members a previous run provisioned, from its outputs. */
function provisionedBefore(olds: ProvisionOnDemandOutputs): Set<string> {
  if (olds.members?.memberIds) return new Set(olds.members.memberIds);
  const group = findGroup(olds.parameters);
  return new Set(group ? listedMembers(group.subject).map((m) => m.objectId.toLowerCase()) : []);
}

/**
 * Provisions what changed in the group's members since `olds`: the group again with the members
 * added since, and those that left (so the target system drops their membership). Other subjects
 * are not sent again. With nothing changed, no request is made and the previous outcome stays.
 */
export async function provisionMemberChanges(
  context: RunContext,
  olds: ProvisionOnDemandOutputs,
  inputs: ProvisionOnDemandInputs,
): Promise<ProvisionOnDemandOutputs> {
  const call = callOptions(inputs);
  const parameters = inputs.parameters.map((p, i) => ({
    ...p,
    ruleId: olds.parameters[i].ruleId,
    ruleIdSource: olds.parameters[i].ruleIdSource,
  }));
  const group = findGroup(parameters)!;
  const members = await currentMembers(context.client, call, group);
  const before = provisionedBefore(olds);
  const now = new Set(members.map((m) => m.objectId.toLowerCase()));
  const added = members.filter((m) => !before.has(m.objectId.toLowerCase()));
  const removed = [...before].filter((id) => !now.has(id));
  const sent: Subject[] = [
    ...added,
    ...removed.map((objectId) => ({ objectId, objectTypeName: "User" as const })),
  ];
  const memberIds = [...now];
  if (sent.length === 0) {
    const kept = olds.members && {
      ...olds.members,
      total: members.length,
      ...(olds.members.memberIds ? { memberIds } : {}),
    };
    return withoutUndefined({ ...olds, ...inputs, parameters, ...(kept ? { members: kept } : {}) });
  }
  const requests = planMemberRequests(parameters[group.parameterIndex].ruleId, group.subject, sent);
  checkTimeBudget(context.client, requests.length, call, group);
  const { results, answers } = await run(context, call, requests, {
    groupId: group.subject.objectId,
    members: sent.length,
  });
  const outcome = combineAnswers(
    results,
    memberRun(group, members, sent, new Set(removed), memberIds),
    inputs.recordSteps,
  );
  settle(inputs, call, outcome, answers, context);
  return outputs(inputs, parameters, outcome, answers[answers.length - 1].requestId);
}
