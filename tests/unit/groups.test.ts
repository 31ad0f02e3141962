/**
 * Whole groups, without a network: a group of any size becomes requests of the group plus at most 5
 * members, every member exactly once; answers combine into one result with bounded steps and a
 * compact per-member outcome; a change of members alone is an update; the time budget is checked.
 */
import { checkInputs } from "../../src/provider/check";
import { diffInputs } from "../../src/provider/diff";
import { combineAnswers, MAX_PROBLEMS } from "../../src/provider/outcome";
import * as provider from "../../src/provider/index";
import {
  minimumSeconds,
  planMemberRequests,
  planRequests,
  timeBudgetProblem,
} from "../../src/provider/requests";
import type { ProvisioningResult, ProvisioningStatus } from "../../src/graph/model";
import type { ResolvedProvisionParameter } from "../../src/provider/state";
import { GROUP_ID, JOB_ID, RULE_ID, SP_ID, USER_ID } from "../support/ids";
import { group, parameters, user } from "../support/subjects";

/** `n` distinct member ids. */
const memberIds = (n: number, base = 0) =>
  Array.from({ length: n }, (_, i) => `b0b10000-0000-4000-8000-${String(base + i).padStart(12, "0")}`);
const asUsers = (ids: string[]) => ids.map((id) => user(id));

function resolved(subjects: unknown[]): ResolvedProvisionParameter[] {
  return [{ ruleId: RULE_ID, ruleIdSource: "input", subjects } as ResolvedProvisionParameter];
}

/** The member ids each request carries. */
function membersPerRequest(requests: ReturnType<typeof planRequests>): string[][] {
  return requests.map((r) =>
    r.flatMap((p) => p.subjects.flatMap((s) => (s.links?.members ?? []).map((m) => m.objectId))),
  );
}

describe("a group of any size goes 5 members per request, every member exactly once", () => {
  it("23 members make 5 requests: 5, 5, 5, 5 and 3", () => {
    const members = asUsers(memberIds(23));
    const requests = planRequests(resolved([group(members)]), members);
    expect(membersPerRequest(requests).map((m) => m.length)).toEqual([5, 5, 5, 5, 3]);
    expect(membersPerRequest(requests).flat().sort()).toEqual(memberIds(23).sort());
  });

  it("every request names the group once and no other group", () => {
    const members = asUsers(memberIds(12));
    for (const request of planRequests(resolved([group(members)]), members)) {
      const groups = request.flatMap((p) => p.subjects).filter((s) => s.objectTypeName === "Group");
      expect(groups.map((g) => g.objectId)).toEqual([GROUP_ID]);
    }
  });

  it("the first request carries the other subjects too; later ones only the group, under its rule", () => {
    const members = asUsers(memberIds(7));
    const requests = planRequests(resolved([user(USER_ID), group(members)]), members);
    expect(requests).toHaveLength(2);
    expect(requests[0][0].subjects.map((s) => s.objectTypeName)).toEqual(["User", "Group"]);
    expect(requests[1]).toEqual([
      {
        ruleId: RULE_ID,
        subjects: [{ objectId: GROUP_ID, objectTypeName: "Group", links: { members: members.slice(5) } }],
      },
    ]);
  });

  it("a group without members is sent alone, in one request, without links", () => {
    const requests = planRequests(resolved([group()]), []);
    expect(requests).toEqual([
      [{ ruleId: RULE_ID, subjects: [{ objectId: GROUP_ID, objectTypeName: "Group" }] }],
    ]);
  });

  it("1,000 members make 200 requests", () => {
    const members = asUsers(memberIds(1000));
    expect(planRequests(resolved([group(members)]), members)).toHaveLength(200);
  });

  it("an update sends only the changed members: 3 added to 500 is 1 request", () => {
    const requests = planMemberRequests(RULE_ID, group() as never, asUsers(memberIds(3, 500)));
    expect(requests).toHaveLength(1);
    expect(membersPerRequest(requests)).toEqual([memberIds(3, 500)]);
    expect(planMemberRequests(RULE_ID, group() as never, [])).toEqual([]);
  });
});

describe("check accepts whole groups", () => {
  it("lists any number of members and keeps each once (the first spelling)", () => {
    const ids = memberIds(8);
    const { inputs, failures } = checkInputs({
      servicePrincipalId: SP_ID,
      synchronizationJobId: JOB_ID,
      parameters: parameters(group(asUsers([...ids, ids[0].toUpperCase(), ids[1]]))),
    });
    expect(failures).toEqual([]);
    const links = (inputs.parameters as { subjects: { links: { members: { objectId: string }[] } }[] }[])[0]
      .subjects[0].links;
    expect(links.members.map((m) => m.objectId)).toEqual(ids);
  });

  it("takes allMembers: true in place of a list", () => {
    const { inputs, failures } = checkInputs({
      servicePrincipalId: SP_ID,
      synchronizationJobId: JOB_ID,
      parameters: parameters({ ...group(), links: { allMembers: true } }),
      memberTriggers: { nightly: "2026-12-01" },
    });
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({
      parameters: [{ subjects: [{ links: { allMembers: true } }] }],
      memberTriggers: { nightly: "2026-12-01" },
    });
  });
});

describe("only a change of members is an update, not a replacement", () => {
  const program = (links: unknown, extra: Record<string, unknown> = {}) =>
    checkInputs({
      servicePrincipalId: SP_ID,
      synchronizationJobId: JOB_ID,
      parameters: parameters({ ...group(), links }),
      ...extra,
    }).inputs;
  const stored = (inputs: Record<string, unknown>) => ({
    ...inputs,
    parameters: (inputs.parameters as object[]).map((p) => ({ ...p, ruleIdSource: "input" })),
    result: "Success",
  });

  it.each<[string, unknown, unknown, Record<string, unknown>, Record<string, unknown>]>([
    ["members added", { members: asUsers(memberIds(3)) }, { members: asUsers(memberIds(6)) }, {}, {}],
    ["members removed", { members: asUsers(memberIds(6)) }, { members: asUsers(memberIds(2)) }, {}, {}],
    ["a list becomes allMembers", { members: asUsers(memberIds(3)) }, { allMembers: true }, {}, {}],
    [
      "memberTriggers change",
      { allMembers: true },
      { allMembers: true },
      { memberTriggers: { a: "1" } },
      { memberTriggers: { a: "2" } },
    ],
  ])("%s → update with members to provision", (_what, before, after, extraBefore, extraAfter) => {
    expect(diffInputs(stored(program(before, extraBefore)), program(after, extraAfter))).toEqual({
      changes: true,
      replaces: [],
      membersChanged: true,
    });
  });

  it("the same members in the same order change nothing; allMembers alone never diffs (no Graph call in diff)", () => {
    const links = { members: asUsers(memberIds(4)) };
    expect(diffInputs(stored(program(links)), program(links))).toMatchObject({ changes: false });
    expect(diffInputs(stored(program({ allMembers: true })), program({ allMembers: true }))).toMatchObject({
      changes: false,
    });
  });

  it("another group, a changed trigger or rule still replaces", () => {
    const links = { members: asUsers(memberIds(4)) };
    const before = stored(program(links));
    const otherGroup = checkInputs({
      servicePrincipalId: SP_ID,
      synchronizationJobId: JOB_ID,
      parameters: parameters(group(asUsers(memberIds(4)), USER_ID)),
    }).inputs;
    expect(diffInputs(before, otherGroup)).toMatchObject({ replaces: ["parameters"], membersChanged: false });
    expect(diffInputs(before, program(links, { triggers: { t: "2" } }))).toMatchObject({
      replaces: ["triggers"],
      membersChanged: false,
    });
  });
});

/** One request's parsed answer: the group's report and one per member, with the given statuses. */
function answer(members: [string, ProvisioningStatus, string?][]): ProvisioningResult {
  const reports = [
    {
      objectId: GROUP_ID,
      result: "Success" as const,
      steps: [{ name: "EntryExportUpdate", type: "Export", status: "Success", description: "group" }],
    },
    ...members.map(([objectId, result, errorCode]) => ({
      objectId,
      result,
      ...(errorCode ? { errorCode, errorMessage: `${errorCode} for ${objectId}` } : {}),
      steps: [{ name: "EntryExportAdd", type: "Export", status: result, description: `member ${objectId}` }],
    })),
  ];
  const worst = (["Failure", "Warning", "Skipped", "Success"] as const).find((s) =>
    reports.some((r) => r.result === s),
  )!;
  const culprit = reports.find((r) => r.result === worst) as { errorCode?: string; errorMessage?: string };
  return {
    result: worst,
    ...(worst !== "Success" && culprit.errorCode
      ? { errorCode: culprit.errorCode, errorMessage: culprit.errorMessage }
      : {}),
    steps: reports.flatMap((r) => r.steps),
    reports,
  };
}

describe("many answers combine into one outcome that stays small", () => {
  const ids = memberIds(1000);
  const run = {
    groupId: GROUP_ID,
    source: "listed" as const,
    total: 1000,
    sent: ids,
    removed: new Set<string>(),
  };

  it("the result is the worst report of all; failing members are counted and named first", () => {
    const answers = Array.from({ length: 200 }, (_, i) =>
      answer(
        ids
          .slice(i * 5, i * 5 + 5)
          .map((id, j) => [
            id,
            i === 7 && j === 2 ? "Failure" : i % 50 === 0 ? "Skipped" : "Success",
            i === 7 && j === 2 ? "SchemaInvalid" : i % 50 === 0 ? "RedundantExport" : undefined,
          ]),
      ),
    );
    const outcome = combineAnswers(answers, run);
    expect(outcome.result).toBe("Failure");
    expect(outcome.errorCode).toBe("SchemaInvalid");
    expect(outcome.members).toMatchObject({
      total: 1000,
      sent: 1000,
      requests: 200,
      succeeded: 979,
      skipped: 20,
      failed: 1,
    });
    expect(outcome.failedMembers).toEqual([
      { objectId: ids[37], result: "Failure", errorCode: "SchemaInvalid" },
    ]);
    expect(outcome.members!.problems.length).toBe(MAX_PROBLEMS);
    expect(outcome.members!.problems[0]).toEqual({
      objectId: ids[37],
      result: "Failure",
      errorCode: "SchemaInvalid",
    });
    expect(outcome.members!.problemsOmitted).toBe(1);
  });

  it("steps of a multi-request run keep only reports that did not succeed, at most 50, and count the rest", () => {
    const answers = Array.from({ length: 200 }, (_, i) =>
      answer(ids.slice(i * 5, i * 5 + 5).map((id) => [id, "Success"])),
    );
    const outcome = combineAnswers(answers, run);
    expect(outcome.result).toBe("Success");
    expect(outcome.steps).toEqual([]);
    expect(outcome.stepsOmitted).toBe(200 * 6);
  });

  it("a 1,000-member group's outcome stays under 200 bytes per member, all in", () => {
    const answers = Array.from({ length: 200 }, (_, i) =>
      answer(ids.slice(i * 5, i * 5 + 5).map((id) => [id, "Failure", "SchemaInvalid"])),
    );
    const { failedMembers: _, ...outcome } = combineAnswers(answers, run);
    const listed = JSON.stringify(asUsers(ids));
    expect((JSON.stringify(outcome).length + listed.length) / 1000).toBeLessThan(200);
  });

  it("members that left the group neither fail the run nor count in the result", () => {
    const [stays, left] = memberIds(2);
    const outcome = combineAnswers(
      [
        answer([
          [stays, "Success"],
          [left, "Failure", "NotFound"],
        ]),
      ],
      {
        ...run,
        total: 1,
        sent: [stays, left],
        removed: new Set([left]),
      },
    );
    expect(outcome.result).toBe("Success");
    expect(outcome.failedMembers).toEqual([]);
    expect(outcome.members).toMatchObject({ removed: 1, skipped: 1, failed: 0 });
  });
});

describe("the time budget: a group too large for the create timeout fails before it starts", () => {
  it("the floor is every window after the first", () => {
    expect(minimumSeconds(5, { count: 5, windowMs: 10_000 })).toBe(0);
    expect(minimumSeconds(200, { count: 5, windowMs: 10_000 })).toBe(390);
    expect(minimumSeconds(200, undefined)).toBe(0);
  });

  it("200 requests at 5/10s do not fit 5 minutes, and the message names a timeout that would", () => {
    expect(timeBudgetProblem(200, { count: 5, windowMs: 10_000 }, 300)).toMatch(
      /200 provisionOnDemand requests need at least 390 s at 5\/10s, but the create timeout is 300 s: set customTimeouts.create to at least "8m"/,
    );
    expect(timeBudgetProblem(200, { count: 5, windowMs: 10_000 }, 900)).toBeUndefined();
  });

  it("check (at preview) refuses a listed group that cannot fit, naming its members property", async () => {
    const members = asUsers(memberIds(1000));
    const outcome = await provider.check(
      {},
      {
        servicePrincipalId: SP_ID,
        synchronizationJobId: JOB_ID,
        parameters: parameters(group(members)),
        createTimeoutSeconds: 300,
      },
    );
    expect(outcome.failures).toEqual([
      {
        property: "parameters[0].subjects[0].links.members",
        reason: expect.stringMatching(/customTimeouts.create to at least "8m"/),
      },
    ]);
  });
});
