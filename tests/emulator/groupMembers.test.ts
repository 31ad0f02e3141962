/**
 * Graph's list of a group's members, as a client reading a whole group sees it over HTTPS with real
 * tokens: paging through `@odata.nextLink`, `$top` and `$select`, the user cast, the permission it
 * needs, unknown groups, the directory-read rate limit, and the request log.
 */
import type { RunningEmulator } from "../../src/emulator";
import { requestsOf, startTestEmulator } from "../support/emulator";
import { call, provision, tokenFor } from "../support/http";
import { IDS } from "../support/ids";
import { user } from "../support/subjects";

let emulator: RunningEmulator;
let token: string;
beforeAll(async () => {
  emulator = await startTestEmulator({ rateLimit: "off" });
  token = await tokenFor(emulator);
});
beforeEach(() => emulator.admin.reset());
afterAll(() => emulator.stop());

const membersPath = (leaf = "", groupId = emulator.fixture.groupId, version = "beta") =>
  `/${version}/groups/${groupId}/members${leaf}`;

/** A group nested in the fixture's group, and two more users in it (five members in all). */
const nestedGroupId = "7e570000-0000-4000-8000-0000000000f1";
const extraUserIds = ["7e570000-0000-4000-8000-0000000000f2", "7e570000-0000-4000-8000-0000000000f3"];

async function addNestedGroupAndUsers(): Promise<void> {
  await emulator.admin.addObjects({
    groups: [{ id: nestedGroupId, displayName: "nested" }],
    users: extraUserIds.map((id, i) => ({
      id,
      displayName: `Extra ${i}`,
      userPrincipalName: `extra${i}@emulator.onmicrosoft.com`,
    })),
  });
  await emulator.admin.addGroupMembers(emulator.fixture.groupId, [nestedGroupId, ...extraUserIds]);
}

/** Follows `@odata.nextLink` verbatim from `path`; returns every page's answer. */
async function allPages(path: string, bearer = token) {
  const pages = [];
  let url: string | undefined = `${emulator.url}${path}`;
  while (url) {
    const answer = await call(emulator, "GET", url.slice(emulator.url.length), { token: bearer });
    expect(answer.status).toBe(200);
    pages.push(answer);
    url = answer.json["@odata.nextLink"];
  }
  return pages;
}

describe("listing a group's members", () => {
  it("pages through $top-sized pages with an absolute @odata.nextLink carrying an opaque $skiptoken", async () => {
    await addNestedGroupAndUsers();
    const pages = await allPages(membersPath("?$top=2"));
    expect(pages.map((page) => page.json.value.length)).toEqual([2, 2, 2]);
    const [first, second, last] = pages.map((page) => page.json);
    expect(first["@odata.nextLink"]).toMatch(
      new RegExp(
        `^${emulator.url}/beta/groups/${emulator.fixture.groupId}/members\\?\\$top=2&\\$skiptoken=[\\w-]+$`,
      ),
    );
    expect(second["@odata.nextLink"]).not.toBe(first["@odata.nextLink"]);
    expect(last["@odata.nextLink"]).toBeUndefined();
    const ids = pages.flatMap((page) => page.json.value.map((member: { id: string }) => member.id));
    expect(ids).toEqual([...emulator.fixture.userIds, nestedGroupId, ...extraUserIds]);
  });

  it("answers 100 per page by default, and one page when the group is smaller", async () => {
    const answer = await call(emulator, "GET", membersPath(), { token });
    expect(answer.json.value).toHaveLength(3);
    expect(answer.json["@odata.nextLink"]).toBeUndefined();
  });

  it("marks each member's type and gives users their default properties", async () => {
    await addNestedGroupAndUsers();
    const answer = await call(emulator, "GET", membersPath(), { token });
    expect(answer.json["@odata.context"]).toBe(`${emulator.url}/beta/$metadata#directoryObjects`);
    expect(answer.json.value[0]).toEqual({
      "@odata.type": "#microsoft.graph.user",
      id: emulator.fixture.userIds[0],
      displayName: "Alice Example",
      userPrincipalName: "alice@emulator.onmicrosoft.com",
      mail: null,
      businessPhones: [],
      givenName: null,
      jobTitle: null,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: null,
      surname: null,
    });
    expect(answer.json.value[3]).toMatchObject({
      "@odata.type": "#microsoft.graph.group",
      id: nestedGroupId,
      displayName: "nested",
      securityEnabled: true,
    });
  });

  it("answers only the user members through the microsoft.graph.user cast", async () => {
    await addNestedGroupAndUsers();
    const answer = await call(emulator, "GET", membersPath("/microsoft.graph.user?$select=id"), { token });
    expect(answer.json["@odata.context"]).toBe(`${emulator.url}/beta/$metadata#users(id)`);
    expect(answer.json.value).toEqual([...emulator.fixture.userIds, ...extraUserIds].map((id) => ({ id })));
  });

  it("keeps $select and the cast in the next link", async () => {
    await addNestedGroupAndUsers();
    const pages = await allPages(
      membersPath("/microsoft.graph.user?$select=id,userPrincipalName&$top=4", undefined, "v1.0"),
    );
    expect(pages).toHaveLength(2);
    expect(pages[0].json["@odata.nextLink"]).toContain("/v1.0/groups/");
    expect(pages[0].json["@odata.nextLink"]).toContain(
      "/members/microsoft.graph.user?$select=id%2CuserPrincipalName&$top=4&",
    );
    expect(pages[1].json.value).toEqual([
      { id: extraUserIds[1], userPrincipalName: "extra1@emulator.onmicrosoft.com" },
    ]);
  });

  it("answers $select=id with ids (and types) only", async () => {
    const answer = await call(emulator, "GET", membersPath("?$select=id"), { token });
    expect(answer.json["@odata.context"]).toBe(`${emulator.url}/beta/$metadata#directoryObjects(id)`);
    expect(answer.json.value).toEqual(
      emulator.fixture.userIds.map((id) => ({ "@odata.type": "#microsoft.graph.user", id })),
    );
  });

  it("carries request-id and client-request-id like every Graph answer", async () => {
    const answer = await call(emulator, "GET", membersPath(), {
      token,
      headers: { "client-request-id": "members-test-1" },
    });
    expect(answer.headers.get("request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.headers.get("client-request-id")).toBe("members-test-1");
  });
});

describe("refused member lists", () => {
  it.each([["0"], ["1000"], ["many"], ["-1"]])(
    "refuses $top=%s with 400 in Graph's error shape",
    async (top) => {
      const answer = await call(emulator, "GET", membersPath(`?$top=${top}`), { token });
      expect(answer.status).toBe(400);
      expect(answer.json.error).toEqual({
        code: "Request_UnsupportedQuery",
        message: `Invalid page size specified: '${top}'. Must be between 1 and 999 inclusive.`,
        innerError: {
          date: expect.any(String),
          "request-id": answer.headers.get("request-id"),
          "client-request-id": expect.any(String),
        },
      });
    },
  );

  it("accepts $top=999 and $top=1", async () => {
    expect((await call(emulator, "GET", membersPath("?$top=999"), { token })).status).toBe(200);
    expect((await call(emulator, "GET", membersPath("?$top=1"), { token })).json.value).toHaveLength(1);
  });

  it("refuses a property no member type has in $select, and a user property through the group cast", async () => {
    const unknown = await call(emulator, "GET", membersPath("?$select=id,shoeSize"), { token });
    expect([unknown.status, unknown.json.error.code]).toEqual([400, "Request_BadRequest"]);
    expect(unknown.json.error.message).toBe("Invalid property 'shoeSize' specified in $select.");
    const wrongType = await call(
      emulator,
      "GET",
      membersPath("/microsoft.graph.group?$select=userPrincipalName"),
      {
        token,
      },
    );
    expect(wrongType.status).toBe(400);
  });

  it("refuses a $skiptoken it did not hand out", async () => {
    const answer = await call(emulator, "GET", membersPath("?$skiptoken=not-a-token"), { token });
    expect([answer.status, answer.json.error.code]).toEqual([400, "Request_BadRequest"]);
  });

  it("answers 404 Request_ResourceNotFound for an unknown group, and for another tenant's", async () => {
    const unknown = await call(emulator, "GET", membersPath("", "11111111-2222-4333-8444-555555555555"), {
      token,
    });
    expect([unknown.status, unknown.json.error.code]).toEqual([404, "Request_ResourceNotFound"]);
    const other = IDS.otherTenant;
    const otherToken = await emulator.admin.mintToken({
      clientId: other.appId,
      tenantId: other.tenantId,
      roles: ["GroupMember.Read.All"],
    });
    const foreign = await call(emulator, "GET", membersPath(), { token: otherToken.access_token });
    expect(foreign.status).toBe(404);
  });

  it("answers 404 for a group added at run time until the replication lag has passed", async () => {
    await emulator.admin.updateSettings({ replicationLagMs: 300 });
    const groupId = "7e570000-0000-4000-8000-0000000000f9";
    await emulator.admin.addObjects({
      groups: [{ id: groupId, displayName: "late", members: [IDS.userIds[0]] }],
    });
    expect((await call(emulator, "GET", membersPath("", groupId), { token })).status).toBe(404);
    await new Promise((resolve) => setTimeout(resolve, 350));
    const answer = await call(emulator, "GET", membersPath("?$select=id", groupId), { token });
    expect(answer.json.value).toEqual([{ "@odata.type": "#microsoft.graph.user", id: IDS.userIds[0] }]);
  });

  it("answers 403 Authorization_RequestDenied to an app without GroupMember.Read.All or a broader read permission", async () => {
    const noPermission = await tokenFor(emulator, IDS.noPermissionClientId, IDS.noPermissionSecret);
    const denied = await call(emulator, "GET", membersPath(), { token: noPermission });
    expect([denied.status, denied.json.error.code]).toEqual([403, "Authorization_RequestDenied"]);
    const synchronizationOnly = await emulator.admin.mintToken({ roles: ["Synchronization.ReadWrite.All"] });
    expect(
      (await call(emulator, "GET", membersPath(), { token: synchronizationOnly.access_token })).status,
    ).toBe(403);
    for (const role of ["Group.Read.All", "Directory.Read.All"]) {
      const allowed = await emulator.admin.mintToken({ roles: [role] });
      expect((await call(emulator, "GET", membersPath(), { token: allowed.access_token })).status).toBe(200);
    }
  });

  it("answers 401 without a token", async () => {
    const answer = await call(emulator, "GET", membersPath());
    expect([answer.status, answer.json.error.code]).toEqual([401, "InvalidAuthenticationToken"]);
  });
});

describe("the directory-read rate limit", () => {
  it("is off by default and answers 429 TooManyRequests with Retry-After once its window is full", async () => {
    expect((await emulator.admin.settings()).directoryReadRateLimit).toBe("off");
    await emulator.admin.updateSettings({ directoryReadRateLimit: "2/1s" });
    expect((await call(emulator, "GET", membersPath(), { token })).status).toBe(200);
    expect((await call(emulator, "GET", membersPath(), { token })).status).toBe(200);
    const refused = await call(emulator, "GET", membersPath(), { token });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.json.error).toMatchObject({
      code: "TooManyRequests",
      innerError: { "request-id": refused.headers.get("request-id") },
    });
    await new Promise((resolve) => setTimeout(resolve, 1050));
    expect((await call(emulator, "GET", membersPath(), { token })).status).toBe(200);
  });

  it("is separate from the provisionOnDemand limit, and reset puts it back", async () => {
    await emulator.admin.updateSettings({ directoryReadRateLimit: "1/10s", rateLimit: "1/10s" });
    expect((await provision(emulator, token, [user()])).status).toBe(200);
    expect((await call(emulator, "GET", membersPath(), { token })).status).toBe(200);
    expect((await call(emulator, "GET", membersPath(), { token })).status).toBe(429);
    expect((await provision(emulator, token, [user()])).status).toBe(429);
    await emulator.admin.reset();
    expect((await emulator.admin.settings()).directoryReadRateLimit).toBe("off");
  });

  it("can be set at start, and refuses the old bare-number window", async () => {
    const limited = await startTestEmulator({ directoryReadRateLimit: "1/1m" });
    try {
      expect((await limited.admin.settings()).directoryReadRateLimit).toBe("1/1m");
      const limitedToken = await tokenFor(limited);
      const path = `/v1.0/groups/${limited.fixture.groupId}/members`;
      expect((await call(limited, "GET", path, { token: limitedToken })).status).toBe(200);
      const refused = await call(limited, "GET", path, { token: limitedToken });
      expect([refused.status, refused.headers.get("retry-after")]).toEqual([429, "60"]);
    } finally {
      await limited.stop();
    }
    await expect(emulator.admin.updateSettings({ directoryReadRateLimit: "5/10" })).rejects.toMatchObject({
      status: 400,
    });
  });
});

describe("the request log", () => {
  it("records each member page as listGroupMembers, with tenant and app", async () => {
    await addNestedGroupAndUsers();
    await emulator.admin.clearRequests();
    await allPages(membersPath("/microsoft.graph.user?$top=2"));
    const logged = await requestsOf(emulator, "listGroupMembers");
    expect(logged).toHaveLength(3);
    expect(logged[0]).toMatchObject({
      method: "GET",
      status: 200,
      path: membersPath("/microsoft.graph.user"),
      tenantId: emulator.tenantId,
      clientId: emulator.clientId,
    });
  });
});
