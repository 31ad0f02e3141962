/**
 * Whole groups against the emulator, over real HTTPS with real tokens: a large group goes out 5
 * members per request, every member arrives exactly once, none of it draws a 429; the read-from-Graph
 * mode pages through the members; an update sends only what changed; a large group does not hold
 * back a single user's create. Graph's 5/10s is shortened (emulator and ours alike) to keep it fast.
 */
import type { RunningEmulator } from "../../src/emulator";
import * as provider from "../../src/provider";
import { StderrCapture } from "../support/capture";
import { addUsers, requestsOf, startTestEmulator } from "../support/emulator";
import { checkAndCreate, configureRequest, emulatorConfig, inputsFor } from "../support/provider";
import { group, user } from "../support/subjects";

jest.setTimeout(60_000);

const LIMIT = "50/500ms";
const MEMBERS = 1000;
const stderr = new StderrCapture();
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator({ rateLimit: LIMIT, groupMembers: MEMBERS });
  stderr.start();
});
afterAll(async () => {
  stderr.stop();
  await emulator.stop();
});
beforeEach(async () => {
  await emulator.admin.reset();
  await provider.configure(
    configureRequest(emulatorConfig(emulator, { "provisionOnDemand:rateLimit": LIMIT })),
  );
});

const members = () => emulator.fixture.userIds;
const groupId = () => emulator.fixture.groupId;

/** The target system's view of the group and of each user. */
async function target() {
  const { objects } = await emulator.admin.target(emulator.fixture.servicePrincipalId);
  const groupObject = objects.find((o) => o.objectId === groupId());
  const users = objects.filter((o) => o.objectTypeName === "User");
  return { members: groupObject?.members ?? [], users };
}

/** New directory users (not yet members of any group). */
const newUsers = (n: number, base: number) => addUsers(emulator, { n, base });

const listed = (ids: string[], extra: Record<string, unknown> = {}) =>
  inputsFor(
    emulator,
    [
      group(
        ids.map((id) => user(id)),
        groupId(),
      ),
    ],
    { createTimeoutSeconds: 60, ...extra },
  );
const allMembers = (extra: Record<string, unknown> = {}) =>
  inputsFor(emulator, [{ objectId: groupId(), objectTypeName: "Group", links: { allMembers: true } }], {
    createTimeoutSeconds: 60,
    ...extra,
  });

describe("a 1,000-member group provisioned whole", () => {
  it("sends ⌈1000/5⌉ = 200 requests, no 429, and every member arrives exactly once", async () => {
    const { outs } = await checkAndCreate(provider, listed(members()));

    const posts = await requestsOf(emulator, "provisionOnDemand");
    expect(posts).toHaveLength(200);
    expect(posts.filter((p) => p.status !== 200)).toEqual([]);
    const seen = await target();
    expect([...seen.members].sort()).toEqual([...members()].sort());
    expect(seen.users).toHaveLength(MEMBERS);
    expect(seen.users.every((u) => u.exportCount === 1)).toBe(true);
    expect(outs.result).toBe("Success");
    expect(outs.members).toMatchObject({
      groupId: groupId(),
      source: "listed",
      total: 1000,
      sent: 1000,
      requests: 200,
      succeeded: 1000,
      failed: 0,
    });
    expect(JSON.stringify(outs).length / MEMBERS).toBeLessThan(200);
  });

  it("reads all direct members from Graph over several pages when asked for allMembers", async () => {
    const { outs } = await checkAndCreate(provider, allMembers());

    const pages = await requestsOf(emulator, "listGroupMembers");
    expect(pages.length).toBeGreaterThanOrEqual(2); // 999 a page
    expect(pages.every((p) => p.status === 200)).toBe(true);
    expect(await requestsOf(emulator, "provisionOnDemand")).toHaveLength(200);
    expect([...(await target()).members].sort()).toEqual([...members()].sort());
    expect(outs.members).toMatchObject({ source: "all", total: 1000, sent: 1000 });
    expect(outs.members.memberIds).toHaveLength(1000);
  });
});

describe("an update sends only what changed", () => {
  it("3 members added to the list of a 500-member group: 1 request, with only those 3", async () => {
    const first = members().slice(0, 500);
    const { outs } = await checkAndCreate(provider, listed(first));
    const added = await newUsers(3, 1);
    await emulator.admin.addGroupMembers(groupId(), added);
    await emulator.admin.clearRequests();

    const news = (await provider.check(outs, listed([...first, ...added]))).inputs;
    const diff = await provider.diff("id", outs, news);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    const updated = await provider.update!("id", outs, news);

    const posts = await requestsOf(emulator, "provisionOnDemand");
    expect(posts).toHaveLength(1);
    expect(updated.outs).toMatchObject({ members: { sent: 3, requests: 1, total: 503, succeeded: 3 } });
    expect((await target()).members).toEqual(expect.arrayContaining(added));
  });

  it("allMembers after the group changed outside the program: a memberTriggers change sends the 3 new members and the 2 that left", async () => {
    const { outs } = await checkAndCreate(provider, allMembers({ memberTriggers: { run: "1" } }));
    const added = await newUsers(3, 10);
    const left = members().slice(0, 2);
    await emulator.admin.addGroupMembers(groupId(), added);
    await emulator.admin.removeGroupMembers(groupId(), left);
    await emulator.admin.clearRequests();

    const news = (await provider.check(outs, allMembers({ memberTriggers: { run: "2" } }))).inputs;
    expect(await provider.diff("id", outs, news)).toMatchObject({ changes: true, replaces: [] });
    const updated = await provider.update!("id", outs, news);

    expect(await requestsOf(emulator, "provisionOnDemand")).toHaveLength(1);
    expect(updated.outs.members).toMatchObject({ sent: 5, removed: 2, total: 1001, requests: 1 });
    const now = (await target()).members;
    expect(now).toEqual(expect.arrayContaining(added));
    expect(now).not.toEqual(expect.arrayContaining([left[0]]));
    expect(now).not.toEqual(expect.arrayContaining([left[1]]));
    expect(updated.outs.members.memberIds).toHaveLength(1001);
  });

  it("no member change: an update of failOnProvisioningError alone makes no Graph call", async () => {
    const { outs } = await checkAndCreate(provider, listed(members().slice(0, 12)));
    await emulator.admin.clearRequests();
    const news = (
      await provider.check(outs, listed(members().slice(0, 12), { failOnProvisioningError: false }))
    ).inputs;
    const updated = await provider.update!("id", outs, news);
    expect(await emulator.admin.requests()).toEqual([]);
    expect(updated.outs).toMatchObject({ failOnProvisioningError: false, members: outs.members });
  });
});

describe("a large group shares the pacer fairly", () => {
  it("a single user's create started during a 200-request group is served within a few windows, not after the group", async () => {
    await emulator.admin.updateSettings({ rateLimit: "5/200ms" });
    await provider.configure(
      configureRequest(emulatorConfig(emulator, { "provisionOnDemand:rateLimit": "5/200ms" })),
    );
    const groupCreate = checkAndCreate(provider, listed(members()));
    while ((await requestsOf(emulator, "provisionOnDemand")).length < 10) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const before = (await requestsOf(emulator, "provisionOnDemand")).length;
    const { outs } = await checkAndCreate(provider, inputsFor(emulator, [user(members()[0])]));
    const whenUserDone = (await requestsOf(emulator, "provisionOnDemand")).length;
    await groupCreate;

    expect(outs.result).toBeDefined();
    // At most the group's own in-flight requests (one window's worth) went ahead of the user's.
    expect(whenUserDone - before).toBeLessThanOrEqual(15);
    expect(await requestsOf(emulator, "provisionOnDemand")).toHaveLength(201);
  });
});
