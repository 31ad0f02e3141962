/**
 * `create`: resolves omitted rule ids from the job schema, sends one provisionOnDemand request, and
 * turns the answer into outputs. A reported `Failure` fails the create unless the program opted out.
 */
import { randomUUID } from "node:crypto";
import type { GraphClient } from "../graphClient";
import { ProvisioningFailedError, type GraphCallTarget } from "../graph/errors";
import { parseProvisioningResponse } from "../graph/result";
import { resolveRuleId } from "../graph/rules";
import type { Subject } from "../graph/model";
import type { ProvisionOnDemandInputs, ProvisionOnDemandOutputs, ResolvedProvisionParameter } from "./state";

/** `Group 1b2c…(+2 members), User 3d4e…` */
function describeSubjects(inputs: ProvisionOnDemandInputs): string {
  const one = (s: Subject) =>
    `${s.objectTypeName} ${s.objectId}${s.links?.members?.length ? ` (+${s.links.members.length} members)` : ""}`;
  return inputs.parameters.flatMap((p) => p.subjects.map(one)).join(", ");
}

/** Drops keys whose value is `undefined`: the engine rejects them in outputs. */
function withoutUndefined<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Provisions the subjects once; returns the resource id and outputs. */
export async function provision(
  client: GraphClient,
  inputs: ProvisionOnDemandInputs,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<{ id: string; outs: ProvisionOnDemandOutputs }> {
  const target: GraphCallTarget = {
    operation: "provisionOnDemand",
    servicePrincipalId: inputs.servicePrincipalId,
    jobId: inputs.synchronizationJobId,
    subjects: describeSubjects(inputs),
  };
  const call = {
    target,
    apiVersion: inputs.apiVersion,
    deadline: Date.now() + inputs.createTimeoutSeconds * 1000,
    timeoutSeconds: inputs.createTimeoutSeconds,
  };

  const parameters: ResolvedProvisionParameter[] = [];
  for (const [i, p] of inputs.parameters.entries()) {
    if (p.ruleId !== undefined) {
      parameters.push({ ...p, ruleId: p.ruleId, ruleIdSource: "input" });
      continue;
    }
    const schema = await client.getSchema(call);
    parameters.push({
      ...p,
      ruleId: resolveRuleId(schema, p.subjects, `parameters[${i}]`),
      ruleIdSource: "schema",
    });
  }

  const request = parameters.map(({ ruleId, subjects }) => ({ ruleId, subjects }));
  const answer = await client.provisionOnDemand(call, request);
  const { reports: _, ...outcome } = parseProvisioningResponse(answer.body, answer.requestId);

  if (outcome.result === "Failure" && inputs.failOnProvisioningError) {
    throw new ProvisioningFailedError({
      code: outcome.errorCode ?? "UnknownError",
      serverMessage: outcome.errorMessage ?? "no message",
      requestId: answer.requestId,
      clientRequestId: answer.clientRequestId,
      target,
    });
  }
  if (outcome.result !== "Success") {
    log(
      `provisionOnDemand: ${outcome.result}` +
        `${outcome.errorCode ? ` ${outcome.errorCode}` : ""}${outcome.errorMessage ? `: ${outcome.errorMessage}` : ""}` +
        ` (request-id ${answer.requestId}) [job ${target.jobId}, ${target.subjects}]`,
    );
  }
  const outs: ProvisionOnDemandOutputs = {
    ...inputs,
    parameters,
    ...outcome,
    requestId: answer.requestId,
  };
  return { id: randomUUID(), outs: withoutUndefined(outs) };
}
