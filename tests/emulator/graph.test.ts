/**
 * The Graph side of the emulator over real HTTPS: the synchronization read endpoints under both
 * versions, who may call them (401/403), what is missing (404), and the request-id headers and error
 * body every answer carries.
 */
import { generateKeyPairSync } from "node:crypto";
import jwt from "jsonwebtoken";
import type { RunningEmulator } from "../../src/emulator";
import { startTestEmulator } from "../support/emulator";
import { call, jobPath, tokenFor } from "../support/http";
import { IDS } from "../support/ids";

let emulator: RunningEmulator;
let token: string;
beforeAll(async () => {
  emulator = await startTestEmulator();
  token = await tokenFor(emulator);
});
afterAll(() => emulator.stop());

const spPath = (version = "beta", id = emulator.fixture.servicePrincipalId) =>
  `/${version}/servicePrincipals/${id}`;

describe.each(["beta", "v1.0"])("read endpoints under /%s", (version) => {
  it("GET servicePrincipals/{id} returns the enterprise app", async () => {
    const answer = await call(emulator, "GET", spPath(version), { token });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ id: emulator.fixture.servicePrincipalId, displayName: "example" });
    expect(answer.json["@odata.context"]).toContain(`/${version}/$metadata#servicePrincipals/$entity`);
  });

  it("GET …/synchronization/jobs lists the job", async () => {
    const answer = await call(emulator, "GET", `${spPath(version)}/synchronization/jobs`, { token });
    expect(answer.status).toBe(200);
    expect(answer.json.value).toEqual([
      expect.objectContaining({ id: emulator.fixture.jobId, templateId: "dataBricks" }),
    ]);
  });

  it("GET …/jobs/{jobId} returns the job", async () => {
    const answer = await call(emulator, "GET", jobPath(emulator, "", { version }), { token });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ id: emulator.fixture.jobId, templateId: "dataBricks" });
  });

  it("GET …/jobs/{jobId}/schema returns rules with their object mappings", async () => {
    const answer = await call(emulator, "GET", jobPath(emulator, "/schema", { version }), { token });
    expect(answer.status).toBe(200);
    expect(answer.json.synchronizationRules).toEqual([
      expect.objectContaining({
        id: emulator.fixture.ruleId,
        sourceDirectoryName: "Azure Active Directory",
        targetDirectoryName: "Databricks",
        objectMappings: expect.arrayContaining([
          expect.objectContaining({ enabled: true, sourceObjectName: "User", targetObjectName: "User" }),
          expect.objectContaining({ enabled: true, sourceObjectName: "Group", targetObjectName: "Group" }),
        ]),
      }),
    ]);
  });
});

describe("request ids and the error body", () => {
  it("answers a fresh request-id and echoes the caller's client-request-id", async () => {
    const answer = await call(emulator, "GET", spPath(), {
      token,
      headers: { "client-request-id": "my-correlation" },
    });
    expect(answer.headers.get("request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.headers.get("client-request-id")).toBe("my-correlation");
  });

  it("uses the request-id as client-request-id when the caller sends none", async () => {
    const answer = await call(emulator, "GET", spPath(), { token });
    expect(answer.headers.get("client-request-id")).toBe(answer.headers.get("request-id"));
  });

  it("puts code, message, date and both ids in the error body", async () => {
    const answer = await call(emulator, "GET", spPath("beta", "00000000-0000-4000-8000-00000000dead"), {
      token,
      headers: { "client-request-id": "abc-123" },
    });
    expect(answer.json).toEqual({
      error: {
        code: "Request_ResourceNotFound",
        message: expect.stringContaining("00000000-0000-4000-8000-00000000dead"),
        innerError: {
          date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
          "request-id": answer.headers.get("request-id"),
          "client-request-id": "abc-123",
        },
      },
    });
  });
});

describe("only tokens the emulator issued for Graph are accepted (401 InvalidAuthenticationToken)", () => {
  const foreignKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const cases: [string, () => Promise<string | undefined>, RegExp][] = [
    ["no token", async () => undefined, /empty/],
    ["a token that is not a JWT", async () => "garbage", /CompactToken/],
    [
      "a token signed by someone else",
      async () =>
        jwt.sign({ aud: "https://graph.microsoft.com", tid: emulator.tenantId, roles: [] }, foreignKey, {
          algorithm: "RS256",
        }),
      /validation failure/,
    ],
    [
      "an expired token",
      async () => (await emulator.admin.mintToken({ expiresInSeconds: -60 })).access_token,
      /expired/,
    ],
    [
      "a token for another audience",
      async () => (await emulator.admin.mintToken({ audience: "https://management.azure.com" })).access_token,
      /Invalid audience/,
    ],
  ];
  it.each(cases)("refuses %s", async (_name, makeToken, message) => {
    const answer = await call(emulator, "GET", jobPath(emulator, "/schema"), { token: await makeToken() });
    expect(answer.status).toBe(401);
    expect(answer.json.error.code).toBe("InvalidAuthenticationToken");
    expect(answer.json.error.message).toMatch(message);
    expect(answer.headers.get("www-authenticate")).toContain("Bearer");
  });
});

describe("permissions (403 Authorization_RequestDenied)", () => {
  it("refuses an app without Synchronization.ReadWrite.All on every endpoint", async () => {
    const weak = await tokenFor(emulator, IDS.noPermissionClientId, IDS.noPermissionSecret);
    for (const [method, path] of [
      ["GET", spPath()],
      ["GET", jobPath(emulator, "/schema")],
      ["POST", jobPath(emulator, "/provisionOnDemand")],
    ]) {
      const answer = await call(emulator, method, path, {
        token: weak,
        body: method === "POST" ? {} : undefined,
      });
      expect([path, answer.status, answer.json.error.code]).toEqual([
        path,
        403,
        "Authorization_RequestDenied",
      ]);
    }
  });

  it("lets Application.ReadWrite.OwnedBy act on a service principal the app owns", async () => {
    const owner = await tokenFor(emulator, IDS.ownerClientId, IDS.ownerSecret);
    const path = jobPath(emulator, "/schema", {
      servicePrincipalId: IDS.ownedServicePrincipalId,
      jobId: IDS.ownedJobId,
    });
    expect((await call(emulator, "GET", path, { token: owner })).status).toBe(200);
  });

  it("refuses Application.ReadWrite.OwnedBy on a service principal the app does not own", async () => {
    const owner = await tokenFor(emulator, IDS.ownerClientId, IDS.ownerSecret);
    const answer = await call(emulator, "GET", jobPath(emulator, "/schema"), { token: owner });
    expect(answer.status).toBe(403);
    expect(answer.json.error.code).toBe("Authorization_RequestDenied");
  });
});

describe("missing objects (404)", () => {
  it("answers 404 for an unknown service principal", async () => {
    const answer = await call(
      emulator,
      "GET",
      `${spPath("beta", "11111111-2222-4333-8444-555555555555")}/synchronization/jobs`,
      {
        token,
      },
    );
    expect(answer.status).toBe(404);
    expect(answer.json.error.code).toBe("Request_ResourceNotFound");
  });

  it("answers 404 for an unknown job", async () => {
    const answer = await call(
      emulator,
      "GET",
      jobPath(emulator, "/schema", { jobId: "dataBricks.nope.nope" }),
      { token },
    );
    expect(answer.status).toBe(404);
    expect(answer.json.error.code).toBe("Request_ResourceNotFound");
  });

  it("answers 404 for a service principal of another tenant", async () => {
    const answer = await call(emulator, "GET", spPath("beta", IDS.otherTenant.servicePrincipalId), {
      token,
    });
    expect(answer.status).toBe(404);
  });
});

describe("routing", () => {
  it("treats path segments case-insensitively and ids as GUIDs in any case", async () => {
    const path = `/beta/ServicePrincipals/${emulator.fixture.servicePrincipalId.toUpperCase()}`;
    expect((await call(emulator, "GET", path, { token })).status).toBe(200);
  });

  it("refuses a method the endpoint does not support with 405", async () => {
    const answer = await call(emulator, "DELETE", jobPath(emulator), { token });
    expect(answer.status).toBe(405);
    expect(answer.json.error.code).toBe("Request_BadRequest");
  });
});
