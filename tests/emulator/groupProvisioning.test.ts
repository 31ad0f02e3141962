/**
 * Provisioning a group on demand in chunks of listed members, as the target system sees it: listed
 * members of the group join its target members, listed members that left the group (changed outside
 * the program through the admin API) are removed from them, listed users that never were members are
 * skipped with NotGroupMember, users created at run time are in scope through the group, and Graph's
 * limits per request (one group, at most five members) hold.
 */
import type { ProvisioningReport, RunningEmulator, TargetSystemObject } from "../../src/emulator";
import { startTestEmulator } from "../support/emulator";
import { call, jobPath, liveReports, provision, provisionBody, tokenFor } from "../support/http";
import { IDS } from "../support/ids";
import { group, user } from "../support/subjects";

let emulator: RunningEmulator;
let token: string;
beforeAll(async () => {
  emulator = await startTestEmulator({ rateLimit: "off" });
  token = await tokenFor(emulator);
});
beforeEach(() => emulator.admin.reset());
afterAll(() => emulator.stop());

const [alice, bob, carol] = IDS.userIds;
const dave = IDS.unassignedUserId;

/** Provisions the fixture's group with these listed members; returns the reports. */
async function provisionGroup(memberIds: string[]): Promise<ProvisioningReport[]> {
  const answer = await provision(emulator, token, [group(memberIds.map(user))]);
  expect(answer.status).toBe(200);
  return liveReports(answer);
}

async function targetObject(objectId: string): Promise<TargetSystemObject | undefined> {
  const { objects } = await emulator.admin.target(IDS.servicePrincipalId);
  return objects.find((object) => object.objectId.toLowerCase() === objectId.toLowerCase());
}

const outcome = (report: ProvisioningReport) => [
  report.action,
  report.statusInfo.status,
  report.statusInfo.errorCode,
];

describe("the target group's members follow the directory", () => {
  it("adds the listed members of the group to the target group, chunk after chunk", async () => {
    await provisionGroup([alice]);
    expect((await targetObject(IDS.groupId))?.members).toEqual([alice]);
    const reports = await provisionGroup([bob, carol]);
    expect(reports.map(outcome)).toEqual([
      ["Update", "Success", null],
      ["Create", "Success", null],
      ["Create", "Success", null],
    ]);
    expect((await targetObject(IDS.groupId))?.members).toEqual([alice, bob, carol].sort());
    expect((await targetObject(bob))?.exportCount).toBe(1);
  });

  it("removes a listed member that left the group from the target group, and says so in its report", async () => {
    await provisionGroup([alice, bob]);
    const removal = await emulator.admin.removeGroupMembers(IDS.groupId, [bob]);
    expect(removal).toEqual({ added: [], removed: [bob], members: [alice, carol] });
    const [groupReport, aliceReport, bobReport] = await provisionGroup([alice, bob]);
    expect(outcome(groupReport)).toEqual(["Update", "Success", null]);
    expect(groupReport.modifiedProperties).toEqual([
      { displayName: "members", oldValue: [alice, bob].sort().join(","), newValue: alice },
    ]);
    expect(outcome(aliceReport)).toEqual(["Other", "Skipped", "RedundantExport"]);
    expect(outcome(bobReport)).toEqual(["Other", "Success", null]);
    expect(bobReport.provisioningSteps.map((step) => [step.type, step.name, step.status])).toEqual([
      ["Import", "EntryImport", "Success"],
      ["Action", "EntrySynchronizationRemoveMembership", "Success"],
      ["Export", "EntryExportRemoveMembership", "Success"],
    ]);
    expect(bobReport.provisioningSteps[2].description).toBe(
      "User 'bob@emulator.onmicrosoft.com' was removed from the members of Group 'example' in Databricks",
    );
    const target = await targetObject(IDS.groupId);
    expect(target).toMatchObject({ members: [alice], exportCount: 2, lastAction: "Update" });
    expect((await targetObject(bob))?.exportCount).toBe(1);
  });

  it("skips a listed user that is not a member with NotGroupMember, and changes nothing for it", async () => {
    await provisionGroup([alice]);
    const [groupReport, daveReport] = await provisionGroup([dave]);
    expect(outcome(groupReport)).toEqual(["Other", "Skipped", "RedundantExport"]);
    expect(outcome(daveReport)).toEqual(["Other", "Skipped", "NotGroupMember"]);
    expect(daveReport.statusInfo.reason).toBe(
      "The User 'dave@emulator.onmicrosoft.com' is not a member of the Group 'example' in Azure Active Directory: it was neither exported nor added to the group's members in Databricks.",
    );
    expect(daveReport.provisioningSteps.map((step) => [step.type, step.status])).toEqual([
      ["Import", "Success"],
      ["Action", "Skipped"],
    ]);
    expect(await targetObject(dave)).toBeUndefined();
    expect((await targetObject(IDS.groupId))?.members).toEqual([alice]);
  });

  it("a second removal of the same member is a NotGroupMember skip", async () => {
    await provisionGroup([bob]);
    await emulator.admin.removeGroupMembers(IDS.groupId, [bob]);
    await provisionGroup([bob]);
    const [groupReport, bobReport] = await provisionGroup([bob]);
    expect(outcome(groupReport)).toEqual(["Other", "Skipped", "RedundantExport"]);
    expect(outcome(bobReport)).toEqual(["Other", "Skipped", "NotGroupMember"]);
  });

  it("a member added back is added back to the target group", async () => {
    await provisionGroup([carol]);
    await emulator.admin.removeGroupMembers(IDS.groupId, [carol]);
    await provisionGroup([carol]);
    expect((await targetObject(IDS.groupId))?.members).toEqual([]);
    await emulator.admin.addGroupMembers(IDS.groupId, [carol]);
    const [groupReport, carolReport] = await provisionGroup([carol]);
    expect(outcome(groupReport)).toEqual(["Update", "Success", null]);
    expect(outcome(carolReport)).toEqual(["Other", "Skipped", "RedundantExport"]);
    expect((await targetObject(IDS.groupId))?.members).toEqual([carol]);
  });

  it("still fails an unknown member id at Import, and leaves the target group as it was", async () => {
    await provisionGroup([alice]);
    const [groupReport, unknownReport] = await provisionGroup(["0dead000-0000-4000-8000-000000000000"]);
    expect(outcome(groupReport)).toEqual(["Other", "Skipped", "RedundantExport"]);
    expect(outcome(unknownReport)).toEqual(["Other", "Failure", "EntryNotFound"]);
    expect((await targetObject(IDS.groupId))?.members).toEqual([alice]);
  });
});

describe("users created at run time", () => {
  const newUserId = "7e570000-0000-4000-8000-0000000000e1";

  it("are in scope once added to the assigned group, and are exported with it", async () => {
    await emulator.admin.addObjects({
      users: [
        { id: newUserId, displayName: "New Hire", userPrincipalName: "new.hire@emulator.onmicrosoft.com" },
      ],
    });
    const before = await provision(emulator, token, [user(newUserId)]);
    expect(outcome(liveReports(before)[0])).toEqual(["Other", "Skipped", "NotEffectivelyEntitled"]);
    const change = await emulator.admin.addGroupMembers(IDS.groupId, [newUserId]);
    expect(change.members).toEqual([alice, bob, carol, newUserId]);
    expect(await emulator.admin.groupMembers(IDS.groupId)).toEqual([alice, bob, carol, newUserId]);
    const reports = await provisionGroup([newUserId]);
    expect(reports.map(outcome)).toEqual([
      ["Create", "Success", null],
      ["Create", "Success", null],
    ]);
    expect((await targetObject(IDS.groupId))?.members).toEqual([newUserId]);
  });

  it("are refused as members of an unknown group (404) or when they do not exist (400)", async () => {
    await expect(emulator.admin.addGroupMembers("no-such-group", [alice])).rejects.toMatchObject({
      status: 404,
    });
    await expect(emulator.admin.addGroupMembers(IDS.groupId, ["no-such-user"])).rejects.toMatchObject({
      status: 400,
    });
    await expect(emulator.admin.groupMembers("no-such-group")).rejects.toMatchObject({ status: 404 });
  });

  it("stay out of scope after leaving the group", async () => {
    await emulator.admin.removeGroupMembers(IDS.groupId, [alice]);
    const answer = await provision(emulator, token, [user(alice)]);
    expect(outcome(liveReports(answer)[0])).toEqual(["Other", "Skipped", "NotEffectivelyEntitled"]);
  });
});

describe("Graph's limits per request", () => {
  const post = (subjects: unknown[]) =>
    call(emulator, "POST", jobPath(emulator, "/provisionOnDemand"), {
      token,
      body: provisionBody(emulator, subjects),
    });
  const generated = (count: number) =>
    Array.from(
      { length: count },
      (_, i) => `7e570000-0000-4000-8000-0000000001${String(i).padStart(2, "0")}`,
    );

  it("accepts one group with five members", async () => {
    const answer = await post([group([alice, bob, carol, ...generated(2)].map(user))]);
    expect(answer.status).toBe(200);
    expect(liveReports(answer)).toHaveLength(6);
  });

  it("refuses a sixth member with 400 BadRequest in Graph's error shape", async () => {
    const answer = await post([group([alice, bob, carol, ...generated(3)].map(user))]);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toEqual({
      code: "BadRequest",
      message: "A group can be provisioned on demand with at most 5 members; 6 were given.",
      innerError: {
        date: expect.any(String),
        "request-id": answer.headers.get("request-id"),
        "client-request-id": expect.any(String),
      },
    });
    expect((await emulator.admin.target(IDS.servicePrincipalId)).objects).toEqual([]);
  });

  it("refuses a second group in the same request with 400 BadRequest", async () => {
    const answer = await post([
      group([user(alice)]),
      group(undefined, "7e570000-0000-4000-8000-0000000000f1"),
    ]);
    expect([answer.status, answer.json.error.code]).toEqual([400, "BadRequest"]);
    expect(answer.json.error.message).toBe(
      "Only one group can be provisioned on demand per request; 2 were given.",
    );
  });
});
