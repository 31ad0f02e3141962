/**
 * Large groups from a fixture option: `startEmulator({ groupMembers })` and
 * `graph-emulator --group-members` give the fixture's group that many direct user members (the named
 * ones first, then generated ones with deterministic ids), all in scope, listed by Graph page by page,
 * and built fast enough for thousands.
 */
import { generatedMemberId } from "../../src/emulator";
import type { RunningEmulator } from "../../src/emulator";
import { runCli } from "../../src/emulator/cli";
import { startTestEmulator } from "../support/emulator";
import { call, liveReports, provision, tokenFor } from "../support/http";
import { IDS } from "../support/ids";
import { group, user } from "../support/subjects";

describe("a fixture group of 1000 members", () => {
  let emulator: RunningEmulator;
  let token: string;
  beforeAll(async () => {
    emulator = await startTestEmulator({ rateLimit: "off", groupMembers: 1000 });
    token = await tokenFor(emulator);
  });
  afterAll(() => emulator.stop());

  it("keeps the three named members first and generates the rest with deterministic ids", async () => {
    const { userIds } = emulator.fixture;
    expect(userIds).toHaveLength(1000);
    expect(userIds.slice(0, 3)).toEqual([...IDS.userIds]);
    expect(userIds[3]).toBe("8f1a2b3c-0000-4000-a000-000000000004");
    expect(userIds[999]).toBe(generatedMemberId(1000));
    expect(new Set(userIds).size).toBe(1000);
    expect(await emulator.admin.groupMembers(IDS.groupId)).toEqual(userIds);
  });

  it("lists them all through Graph in two pages of $top=999", async () => {
    const path = `/v1.0/groups/${IDS.groupId}/members/microsoft.graph.user?$select=id,userPrincipalName&$top=999`;
    const first = await call(emulator, "GET", path, { token });
    expect(first.json.value).toHaveLength(999);
    expect(first.json.value[3]).toEqual({
      id: generatedMemberId(4),
      userPrincipalName: "member4@emulator.onmicrosoft.com",
    });
    const next = first.json["@odata.nextLink"] as string;
    const second = await call(emulator, "GET", next.slice(emulator.url.length), { token });
    expect(second.json.value).toEqual([
      { id: generatedMemberId(1000), userPrincipalName: "member1000@emulator.onmicrosoft.com" },
    ]);
    expect(second.json["@odata.nextLink"]).toBeUndefined();
  });

  it("has every generated member in scope through the group's assignment", async () => {
    const chunk = emulator.fixture.userIds.slice(995, 1000);
    const answer = await provision(emulator, token, [group(chunk.map(user))]);
    expect(liveReports(answer).map((r) => [r.action, r.statusInfo.status])).toEqual(
      Array(6).fill(["Create", "Success"]),
    );
    const { objects } = await emulator.admin.target(IDS.servicePrincipalId);
    expect(objects.find((o) => o.objectId === IDS.groupId)?.members).toEqual(chunk);
  });
});

describe("the groupMembers option", () => {
  it("builds 5000 members in well under a second", async () => {
    const startedSmall = Date.now();
    const small = await startTestEmulator();
    const smallMs = Date.now() - startedSmall;
    await small.stop();
    const startedLarge = Date.now();
    const large = await startTestEmulator({ groupMembers: 5000 });
    const largeMs = Date.now() - startedLarge;
    try {
      expect(large.fixture.userIds).toHaveLength(5000);
      expect(largeMs - smallMs).toBeLessThan(1000);
    } finally {
      await large.stop();
    }
  });

  it("can shrink the group to fewer than its named members, and refuses a bad count", async () => {
    const two = await startTestEmulator({ groupMembers: 2 });
    try {
      expect(two.fixture.userIds).toEqual(IDS.userIds.slice(0, 2));
    } finally {
      await two.stop();
    }
    await expect(startTestEmulator({ groupMembers: -1 })).rejects.toThrow(
      /groupMembers must be a whole number/,
    );
    await expect(startTestEmulator({ groupMembers: 1.5 })).rejects.toThrow(/groupMembers/);
  });
});

describe("graph-emulator --group-members", () => {
  const caDir = () => process.env.PROVISION_ON_DEMAND_TEST_CA_DIR as string;
  const output = (out: string[] = []) => ({ out: (line: string) => out.push(line), err: () => undefined });

  it("starts the default fixture with that many members and reports them in the --json line", async () => {
    const out: string[] = [];
    const running = await runCli(
      ["--json", "--quiet", "--ca-dir", caDir(), "--group-members", "250"],
      output(out),
    );
    try {
      const details = JSON.parse(out[0]);
      expect(details.fixture.userIds).toHaveLength(250);
      expect(details.fixture.userIds[249]).toBe(generatedMemberId(250));
    } finally {
      await running?.stop();
    }
  });

  it("abbreviates the member ids in the banner, and sets --directory-read-rate-limit", async () => {
    const out: string[] = [];
    const running = await runCli(
      ["--quiet", "--ca-dir", caDir(), "--group-members", "40", "--directory-read-rate-limit", "20/1s"],
      output(out),
    );
    try {
      expect(out.join("\n")).toContain(`userIds             ${IDS.userIds.join(", ")}, … (40 in all)`);
      expect(out.join("\n")).toContain("directory reads 20/1s");
      expect((await running?.admin.settings())?.directoryReadRateLimit).toBe("20/1s");
    } finally {
      await running?.stop();
    }
  });

  it.each([
    [["--group-members", "many"], /Invalid --group-members "many"/],
    [["--group-members", "100001"], /groupMembers must be a whole number from 0 to 100000/],
    [["--directory-read-rate-limit", "5/10"], /--directory-read-rate-limit "5\/10" is not of the form/],
  ])("refuses %j", async (args, message) => {
    await expect(runCli([...args, "--ca-dir", caDir()], output())).rejects.toThrow(message);
  });

  it("documents both flags in --help", async () => {
    const out: string[] = [];
    expect(await runCli(["--help"], output(out))).toBeUndefined();
    expect(out.join("\n")).toContain("--group-members <n>");
    expect(out.join("\n")).toContain("--directory-read-rate-limit <spec>");
  });
});
