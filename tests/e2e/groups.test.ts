/**
 * Whole groups through the real engine (Automation API inline program, real CLI, file backend,
 * real @azure/identity, HTTPS to the emulator): a 23-member group goes out in 5 requests; adding 3
 * members is an in-place update of 1 request; another group is a replacement that provisions
 * everything; destroy makes no Graph call. The emulator's limit and ours are shortened to 5/1s.
 */
import type * as automation from "@pulumi/pulumi/automation";
import type { RunningEmulator } from "../../src/emulator";
import { inlineStack, loadPackage, ourOperations, ourResources } from "../support/automation";
import { addUsers, graphCalls, requestsOf, startTestEmulator } from "../support/emulator";
import { createSandbox, describeWithPulumi, type PulumiSandbox } from "../support/pulumi";

jest.setTimeout(5 * 60_000);

const LIMIT = "5/1s";

describeWithPulumi("a whole group through pulumi up", () => {
  let emulator: RunningEmulator;
  let sandbox: PulumiSandbox;
  let stack: automation.Stack;
  /** The members the program lists on the next operation, and the group it names. */
  let members: string[] = [];
  let groupId = "";

  const program = async () => {
    const { SynchronizationJobProvisionOnDemand } = loadPackage();
    const f = emulator.fixture;
    const resource = new SynchronizationJobProvisionOnDemand("team", {
      servicePrincipalId: f.servicePrincipalId,
      synchronizationJobId: f.jobId,
      parameters: [
        {
          subjects: [
            {
              objectId: groupId,
              objectTypeName: "Group",
              links: { members: members.map((objectId) => ({ objectId, objectTypeName: "User" as const })) },
            },
          ],
        },
      ],
    });
    return { result: resource.result, members: resource.members };
  };

  /** New directory users, made members of the fixture's group (as an administrator would). */
  const addMembers = (n: number, base: number) =>
    addUsers(emulator, { n, base, prefix: "e2e00000-0000-4000-8000-", groupId: emulator.fixture.groupId });

  beforeAll(async () => {
    emulator = await startTestEmulator({ rateLimit: LIMIT, groupMembers: 23 });
    sandbox = createSandbox(emulator);
    stack = await inlineStack(sandbox, emulator, "groups", program, {
      "provisionOnDemand:rateLimit": { value: LIMIT },
    });
    // Tests of this file build on each other's stack; each starts from the state the one before left.
    members = [...emulator.fixture.userIds];
    groupId = emulator.fixture.groupId;
  });

  afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    await emulator?.stop();
    sandbox?.cleanup();
  });

  beforeEach(() => emulator.admin.clearRequests());

  it("up of a 23-member group sends 5 requests, every member once, no 429, and says so in one line naming the resource", async () => {
    const diagnostics: string[] = [];
    const up = await stack.up({
      onEvent: (event) => {
        if (event.diagnosticEvent) diagnostics.push(event.diagnosticEvent.message);
      },
    });
    const outcome = diagnostics.filter((m) => m.includes("provisionOnDemand: Success"));
    expect(outcome).toHaveLength(1);
    expect(outcome[0]).toMatch(
      /^team: provisionOnDemand: Success; members: 23 succeeded, 0 skipped, 0 failed of 23 sent in 5 requests \(request-id [0-9a-f-]{36}\)/,
    );
    expect(up.summary.result).toBe("succeeded");
    expect(up.outputs.result.value).toBe("Success");
    expect(up.outputs.members.value).toMatchObject({
      total: 23,
      sent: 23,
      requests: 5,
      succeeded: 23,
      failed: 0,
    });
    const posts = await requestsOf(emulator, "provisionOnDemand");
    expect(posts.map((p) => p.status)).toEqual([200, 200, 200, 200, 200]);
    const group = (await emulator.admin.target(emulator.fixture.servicePrincipalId)).objects.find(
      (o) => o.objectId === groupId,
    );
    expect([...(group?.members ?? [])].sort()).toEqual([...members].sort());
  });

  it("3 members added to the list: an in-place update with 1 request", async () => {
    members = [...members, ...(await addMembers(3, 1))];
    await emulator.admin.clearRequests();
    const { onEvent, ops } = ourOperations();
    const up = await stack.up({ onEvent });
    expect(ops).toEqual(["update"]);
    expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
    expect((await graphCalls(emulator)).post).toBe(1);
    expect(up.outputs.members.value).toMatchObject({ total: 26, sent: 3, requests: 1, succeeded: 3 });
    const state = ourResources(await stack.exportStack())[0].outputs as {
      parameters: { subjects: { links: { members: unknown[] } }[] }[];
    };
    expect(state.parameters[0].subjects[0].links.members).toHaveLength(26);
  });

  it("another group replaces the resource and provisions all of it", async () => {
    groupId = "e2e00000-0000-4000-8000-00000000a000";
    await emulator.admin.addObjects({
      groups: [{ id: groupId, displayName: "second", members: members.slice(0, 7) }],
      assignments: [{ servicePrincipalId: emulator.fixture.servicePrincipalId, principalId: groupId }],
    });
    members = members.slice(0, 7);
    await emulator.admin.clearRequests();
    const { onEvent, ops } = ourOperations();
    const up = await stack.up({ onEvent });
    expect(ops).toEqual(["create-replacement", "replace", "delete-replaced"]);
    expect(up.summary.resourceChanges).toMatchObject({ replace: 1 });
    expect((await graphCalls(emulator)).post).toBe(2); // 7 members: 5 + 2
    expect(up.outputs.members.value).toMatchObject({ groupId, total: 7, sent: 7, requests: 2 });
  });

  it("destroy makes no Graph call", async () => {
    await emulator.admin.clearRequests();
    const destroyed = await stack.destroy();
    expect(destroyed.summary.resourceChanges).toMatchObject({ delete: 2 }); // ours and the stack
    expect((await graphCalls(emulator)).all).toBe(0);
  });
});
