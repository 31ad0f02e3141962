/**
 * `diff`: a change of what is provisioned replaces the resource (a new provisioning);
 * any other change is an in-place update with no Graph call; nothing else changes anything.
 */
import { checkInputs, UNKNOWN } from "../../src/provider/check";
import { diffInputs } from "../../src/provider/diff";
import * as provider from "../../src/provider/index";
import { JOB_ID, OTHER_SP_ID, RULE_ID, SP_ID, USER_ID, USER_ID_2 } from "../support/ids";
import { group, parameters, user } from "../support/subjects";

/** Checked inputs, as the engine hands them to diff. Throws if check rejects them. */
function checked(inputs: Record<string, unknown>): Record<string, unknown> {
  const outcome = checkInputs(inputs);
  if (outcome.failures.length > 0) throw new Error(JSON.stringify(outcome.failures));
  return outcome.inputs;
}

const PROGRAM = {
  servicePrincipalId: SP_ID,
  synchronizationJobId: JOB_ID,
  parameters: parameters(user()),
  triggers: { members: "hash-1" },
  __provider: "provider text v1",
};

/** What create stored: the checked inputs, each rule id with its source, and the outcome. */
function stored(
  inputs: Record<string, unknown> = PROGRAM,
  ruleIdSource: "input" | "schema" = "input",
): Record<string, unknown> {
  const outs = checked(inputs);
  return {
    ...outs,
    parameters: (outs.parameters as Record<string, unknown>[]).map((p) => ({
      ruleId: RULE_ID,
      ...p,
      ruleIdSource,
    })),
    result: "Success",
    steps: [],
    requestId: "req-1",
  };
}

describe("diff replaces the resource when what is provisioned changes", () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ["servicePrincipalId", { servicePrincipalId: OTHER_SP_ID }, ["servicePrincipalId"]],
    ["synchronizationJobId", { synchronizationJobId: "dataBricks.aaaa.bbbb" }, ["synchronizationJobId"]],
    ["parameters: another subject", { parameters: parameters(user(USER_ID_2)) }, ["parameters"]],
    ["parameters: one more subject", { parameters: parameters(user(), user(USER_ID_2)) }, ["parameters"]],
    [
      "parameters: another rule id",
      { parameters: [{ ruleId: "other-rule", subjects: [user()] }] },
      ["parameters"],
    ],
    ["parameters: a group gains a member", { parameters: parameters(group([user()])) }, ["parameters"]],
    ["triggers: a value changes", { triggers: { members: "hash-2" } }, ["triggers"]],
    ["triggers: removed", { triggers: undefined }, ["triggers"]],
    ["apiVersion", { apiVersion: "v1.0" }, ["apiVersion"]],
    [
      "servicePrincipalId and apiVersion together",
      { servicePrincipalId: OTHER_SP_ID, apiVersion: "v1.0" },
      ["servicePrincipalId", "apiVersion"],
    ],
  ])("a change of %s replaces exactly what changed", (_what, change, replaces) => {
    const news = checked({ ...PROGRAM, ...change });
    expect(diffInputs(stored(), news)).toEqual({ changes: true, replaces, membersChanged: false });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["servicePrincipalId", { servicePrincipalId: UNKNOWN }, "servicePrincipalId"],
    ["synchronizationJobId", { synchronizationJobId: UNKNOWN }, "synchronizationJobId"],
    ["parameters", { parameters: UNKNOWN }, "parameters"],
    ["one subject's objectId", { parameters: parameters(user(UNKNOWN)) }, "parameters"],
    ["a trigger value", { triggers: { members: UNKNOWN } }, "triggers"],
  ])("an unknown new %s counts as a replacement", (_what, change, replaced) => {
    const news = checked({ ...PROGRAM, ...change });
    expect(diffInputs(stored(), news)).toEqual({
      changes: true,
      replaces: [replaced],
      membersChanged: false,
    });
  });
});

describe("diff updates in place, without replacing, when only how the create behaves changes", () => {
  it.each<[string, Record<string, unknown>]>([
    ["failOnProvisioningError", { failOnProvisioningError: false }],
    ["createTimeoutSeconds", { createTimeoutSeconds: 1800 }],
    ["both", { failOnProvisioningError: false, createTimeoutSeconds: 60 }],
    ["recordSteps", { recordSteps: "all" }],
  ])("a change of %s is an update", (_what, change) => {
    expect(diffInputs(stored(), checked({ ...PROGRAM, ...change }))).toEqual({
      changes: true,
      replaces: [],
      membersChanged: false,
    });
  });

  it("the update records the new values and keeps the provisioning outcome", async () => {
    const olds = stored();
    const news = checked({ ...PROGRAM, failOnProvisioningError: false, createTimeoutSeconds: 60 });
    const { outs } = await provider.update("id", olds, news);
    const { __provider: _, ...kept } = olds;
    expect(outs).toEqual({ ...kept, failOnProvisioningError: false, createTimeoutSeconds: 60 });
  });

  it("recordSteps: removing it goes back to the default, an update; giving the default is no change", async () => {
    const olds = stored({ ...PROGRAM, recordSteps: "all" });
    expect(diffInputs(olds, checked(PROGRAM))).toEqual({
      changes: true,
      replaces: [],
      membersChanged: false,
    });
    expect(diffInputs(stored(), checked({ ...PROGRAM, recordSteps: "problems" })).changes).toBe(false);
    const { outs } = await provider.update("id", olds, checked(PROGRAM));
    expect(outs).not.toHaveProperty("recordSteps");
    expect(Object.values(outs!)).not.toContain(undefined);
  });
});

describe("diff reports no change when nothing that matters changed", () => {
  it("the same program gives no changes", () => {
    expect(diffInputs(stored(), checked(PROGRAM))).toEqual({
      changes: false,
      replaces: [],
      membersChanged: false,
    });
  });

  it("a path instead of a bare id, or upper-case GUIDs, is the same resource after check", () => {
    const news = checked({
      ...PROGRAM,
      servicePrincipalId: `/servicePrincipals/${SP_ID.toUpperCase()}`,
      synchronizationJobId: `/servicePrincipals/${SP_ID}/synchronization/jobs/${JOB_ID}`,
      parameters: parameters(user(USER_ID.toUpperCase())),
    });
    expect(diffInputs(stored(), news)).toEqual({ changes: false, replaces: [], membersChanged: false });
  });

  it("a ruleId resolved from the schema still matches while the program keeps omitting it", () => {
    const omitted = { ...PROGRAM, parameters: [{ subjects: [user()] }] };
    expect(diffInputs(stored(omitted, "schema"), checked(omitted))).toEqual({
      changes: false,
      replaces: [],
      membersChanged: false,
    });
  });

  it("omitting a ruleId the program used to give replaces the resource", () => {
    const omitted = { ...PROGRAM, parameters: [{ subjects: [user()] }] };
    expect(diffInputs(stored(PROGRAM, "input"), checked(omitted))).toEqual({
      changes: true,
      replaces: ["parameters"],
      membersChanged: false,
    });
  });

  it("a new provider text (a package upgrade) alone changes nothing", () => {
    expect(diffInputs(stored(), checked({ ...PROGRAM, __provider: "provider text v2" }))).toEqual({
      changes: false,
      replaces: [],
      membersChanged: false,
    });
  });

  it("no triggers and an empty triggers map are the same", () => {
    const { triggers: _, ...noTriggers } = PROGRAM;
    expect(diffInputs(stored(noTriggers), checked({ ...noTriggers, triggers: {} }))).toEqual({
      changes: false,
      replaces: [],
      membersChanged: false,
    });
  });

  it("the provider's diff answers the engine the same way and never deletes before replacing", async () => {
    expect(await provider.diff("id", stored(), checked(PROGRAM))).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });
});
