/**
 * provisionOnDemand as a user of the emulator sees it: what gets exported to the target system,
 * what is skipped or fails and with which code, which requests Graph refuses, and both answer shapes.
 */
import { LIVE_SHAPE_KEY } from "../../src/emulator";
import type { RunningEmulator } from "../../src/emulator";
import { startTestEmulator, withTestEmulator } from "../support/emulator";
import { call, jobPath, liveReports, provision, provisionBody, tokenFor } from "../support/http";
import { IDS } from "../support/ids";
import { group, user } from "../support/subjects";

let emulator: RunningEmulator;
let token: string;
withTestEmulator(
  async (started) => {
    emulator = started;
    token = await tokenFor(emulator);
  },
  { rateLimit: "off" },
  { reset: true },
);

const statuses = (answer: Awaited<ReturnType<typeof provision>>) =>
  liveReports(answer).map((r) => [r.action, r.statusInfo.status, r.statusInfo.errorCode]);

describe("exporting to the target system", () => {
  it("creates a group and its listed members: one Success report each, all five steps", async () => {
    const { groupId, userIds } = emulator.fixture;
    const answer = await provision(emulator, token, [group(userIds.map(user), groupId)]);
    expect(answer.status).toBe(200);
    expect(answer.json.key).toBe(LIVE_SHAPE_KEY);
    expect(answer.json["@odata.context"]).toMatch(/#microsoft\.graph\.stringKeyStringValuePair$/);
    const reports = liveReports(answer);
    expect(reports.map((r) => r.sourceIdentity.id)).toEqual([groupId, ...userIds]);
    expect(statuses(answer)).toEqual(Array(4).fill(["Create", "Success", null]));
    for (const report of reports) {
      expect(report.provisioningSteps.map((s) => [s.type, s.status])).toEqual([
        ["Import", "Success"],
        ["Scoping", "Success"],
        ["Matching", "Success"],
        ["Action", "Success"],
        ["Export", "Success"],
      ]);
      expect(report).toMatchObject({
        changeId: expect.any(String),
        startTime: expect.any(String),
        endTime: expect.any(String),
        targetIdentity: { id: expect.any(String) },
      });
    }
    const { objects } = await emulator.admin.target(emulator.fixture.servicePrincipalId);
    expect(objects.map((o) => [o.objectId, o.lastAction, o.exportCount])).toEqual([
      [groupId, "Create", 1],
      ...userIds.map((id) => [id, "Create", 1]),
    ]);
    expect(objects[0].members).toEqual([...userIds].sort());
  });

  it("skips an unchanged second export with RedundantExport and leaves the target alone", async () => {
    const { groupId, userIds } = emulator.fixture;
    await provision(emulator, token, [group(userIds.map(user), groupId)]);
    const again = await provision(emulator, token, [group(userIds.map(user), groupId)]);
    expect(statuses(again)).toEqual(Array(4).fill(["Other", "Skipped", "RedundantExport"]));
    const steps = liveReports(again)[0].provisioningSteps;
    expect(steps[steps.length - 1]).toMatchObject({
      type: "Export",
      status: "Skipped",
      details: { SkipReason: "RedundantExport" },
    });
    const { objects } = await emulator.admin.target(emulator.fixture.servicePrincipalId);
    expect(objects.every((o) => o.exportCount === 1)).toBe(true);
  });

  it("updates a user whose attributes changed since the last export", async () => {
    const alice = emulator.fixture.userIds[0];
    await provision(emulator, token, [user(alice)]);
    await emulator.admin.addObjects({
      users: [
        { id: alice, displayName: "Alice Renamed", userPrincipalName: "alice@emulator.onmicrosoft.com" },
      ],
    });
    const answer = await provision(emulator, token, [user(alice)]);
    expect(statuses(answer)).toEqual([["Update", "Success", null]]);
    expect(liveReports(answer)[0].modifiedProperties).toEqual([
      { displayName: "displayName", oldValue: "Alice Example", newValue: "Alice Renamed" },
    ]);
    const { objects } = await emulator.admin.target(emulator.fixture.servicePrincipalId);
    expect(objects).toEqual([
      expect.objectContaining({ displayName: "Alice Renamed", lastAction: "Update", exportCount: 2 }),
    ]);
  });

  it("updates a group when new members are exported with it", async () => {
    const { groupId, userIds } = emulator.fixture;
    await provision(emulator, token, [group(userIds.slice(0, 1).map(user), groupId)]);
    const answer = await provision(emulator, token, [group(userIds.slice(0, 2).map(user), groupId)]);
    expect(statuses(answer)).toEqual([
      ["Update", "Success", null],
      ["Other", "Skipped", "RedundantExport"],
      ["Create", "Success", null],
    ]);
  });

  it("exports a user who is entitled through an assigned group", async () => {
    const answer = await provision(emulator, token, [user(emulator.fixture.userIds[2])]);
    expect(statuses(answer)).toEqual([["Create", "Success", null]]);
  });

  it("exports a user assigned to the app directly", async () => {
    const dave = emulator.fixture.unassignedUserId;
    await emulator.admin.addObjects({
      assignments: [{ servicePrincipalId: emulator.fixture.servicePrincipalId, principalId: dave }],
    });
    expect(statuses(await provision(emulator, token, [user(dave)]))).toEqual([["Create", "Success", null]]);
  });

  it("answers the same under /v1.0", async () => {
    const answer = await provision(emulator, token, [user(emulator.fixture.userIds[0])], "v1.0");
    expect(answer.status).toBe(200);
    expect(statuses(answer)).toEqual([["Create", "Success", null]]);
  });
});

describe("subjects that are not exported", () => {
  it("skips a user who is not assigned to the app at the Scoping step (NotEffectivelyEntitled)", async () => {
    const answer = await provision(emulator, token, [user(emulator.fixture.unassignedUserId)]);
    expect(statuses(answer)).toEqual([["Other", "Skipped", "NotEffectivelyEntitled"]]);
    expect(liveReports(answer)[0].provisioningSteps.map((s) => [s.type, s.status])).toEqual([
      ["Import", "Success"],
      ["Scoping", "Skipped"],
    ]);
    expect((await emulator.admin.target(emulator.fixture.servicePrincipalId)).objects).toEqual([]);
  });

  it("fails an id the directory does not know, with EntryNotFound", async () => {
    const answer = await provision(emulator, token, [user("99999999-0000-4000-8000-000000000000")]);
    expect(answer.status).toBe(200);
    expect(statuses(answer)).toEqual([["Other", "Failure", "EntryNotFound"]]);
    expect(liveReports(answer)[0].provisioningSteps).toEqual([
      expect.objectContaining({ type: "Import", status: "Failure" }),
    ]);
  });

  it("fails a group id given as a User (the types do not match)", async () => {
    const answer = await provision(emulator, token, [user(emulator.fixture.groupId)]);
    expect(statuses(answer)).toEqual([["Other", "Failure", "EntryNotFound"]]);
  });

  it("fails a subject type the rule has no enabled mapping for (UnsupportedObjectType)", async () => {
    const answer = await provision(emulator, token, [{ objectId: "W1234", objectTypeName: "Worker" }]);
    expect(statuses(answer)).toEqual([["Other", "Failure", "UnsupportedObjectType"]]);
  });

  it("reports every subject of a mixed request separately", async () => {
    const { userIds, unassignedUserId } = emulator.fixture;
    const answer = await provision(emulator, token, [user(userIds[0]), user(unassignedUserId)]);
    expect(statuses(answer)).toEqual([
      ["Create", "Success", null],
      ["Other", "Skipped", "NotEffectivelyEntitled"],
    ]);
  });
});

describe("requests Graph refuses", () => {
  const post = (body: unknown, options: { servicePrincipalId?: string; jobId?: string } = {}) =>
    call(emulator, "POST", jobPath(emulator, "/provisionOnDemand", options), { token, body });

  it.each([
    ["a rule the job does not have", "00000000-0000-0000-0000-000000000000"],
    ["an empty rule id", ""],
  ])("refuses %s with RequestParameterInvalid", async (_name, ruleId) => {
    const answer = await post(provisionBody(emulator, [user(emulator.fixture.userIds[0])], ruleId));
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe("RequestParameterInvalid");
    expect(answer.json.error.message).toContain("the job does not include the rule");
    expect(answer.json.error.message).toContain(emulator.fixture.jobId);
  });

  it("refuses a job whose target credentials are not configured with CredentialsMissing", async () => {
    const answer = await post(provisionBody(emulator, [user(emulator.fixture.userIds[0])]), {
      servicePrincipalId: IDS.noCredentialsServicePrincipalId,
      jobId: IDS.noCredentialsJobId,
    });
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe("CredentialsMissing");
  });

  it("refuses more than one group in a request", async () => {
    const answer = await post(provisionBody(emulator, [group(), group(undefined, "another-group")]));
    expect(answer.status).toBe(400);
    expect(answer.json.error.message).toMatch(/one group/);
  });

  it("refuses a group with more than 5 members", async () => {
    const six = Array.from({ length: 6 }, (_, i) => `8f1a2b3c-0000-4000-8000-00000000020${i}`);
    const answer = await post(provisionBody(emulator, [group(six.map(user), emulator.fixture.groupId)]));
    expect(answer.status).toBe(400);
    expect(answer.json.error.message).toMatch(/at most 5 members/);
  });

  it("answers 404 for an unknown service principal or job", async () => {
    const body = provisionBody(emulator, [user(emulator.fixture.userIds[0])]);
    const unknownSp = await post(body, { servicePrincipalId: "11111111-2222-4333-8444-555555555555" });
    const unknownJob = await post(body, { jobId: "dataBricks.0000.0000" });
    expect([unknownSp.status, unknownSp.json.error.code]).toEqual([404, "Request_ResourceNotFound"]);
    expect([unknownJob.status, unknownJob.json.error.code]).toEqual([404, "Request_ResourceNotFound"]);
  });
});

describe("answer shapes", () => {
  afterEach(() => emulator.admin.updateSettings({ shape: "live" }));

  it("answers the docs shape on request: a result key and one report", async () => {
    await emulator.admin.updateSettings({ shape: "docs" });
    const answer = await provision(emulator, token, [user(emulator.fixture.userIds[0])]);
    expect(JSON.parse(answer.json.key)).toEqual({ result: "Success", details: {} });
    expect(JSON.parse(answer.json.value)).toMatchObject({
      action: "Create",
      statusInfo: { status: "Success" },
    });
  });

  it("puts the worst report's code in the docs-shape key", async () => {
    await emulator.admin.updateSettings({ shape: "docs" });
    const { userIds, unassignedUserId } = emulator.fixture;
    await provision(emulator, token, [user(userIds[0])]);
    const answer = await provision(emulator, token, [user(userIds[0]), user(unassignedUserId)]);
    const key = JSON.parse(answer.json.key);
    expect(key).toEqual({
      result: "Skipped",
      details: { errorCode: "RedundantExport", errorMessage: expect.stringContaining("already match") },
    });
    expect(JSON.parse(answer.json.value).sourceIdentity.id).toBe(userIds[0]);
  });

  it("can start in the docs shape", async () => {
    const docs = await startTestEmulator({ shape: "docs", rateLimit: "off" });
    try {
      const answer = await provision(docs, await tokenFor(docs), [user(docs.fixture.userIds[0])]);
      expect(JSON.parse(answer.json.key).result).toBe("Success");
    } finally {
      await docs.stop();
    }
  });
});
