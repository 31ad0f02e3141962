/**
 * Bad requests to the emulator itself get a Graph-style (or, on login endpoints, Entra-style) error
 * and never crash or hang it. One table: a new malformed case is one line.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import type { RunningEmulator } from "../../src/emulator";
import { startTestEmulator } from "../support/emulator";
import { call, jobPath, provision, tokenFor } from "../support/http";
import { user } from "../support/subjects";

let emulator: RunningEmulator;
let token: string;
beforeAll(async () => {
  emulator = await startTestEmulator({ rateLimit: "off" });
  token = await tokenFor(emulator);
});
afterAll(() => emulator.stop());

const POD = "/provisionOnDemand";
const json = { "content-type": "application/json" };
const subject = () => ({ objectId: emulator.fixture.userIds[0], objectTypeName: "User" });

interface Case {
  /** What is wrong. */
  readonly name: string;
  readonly method?: string;
  /** Path, default the job's provisionOnDemand. */
  readonly path?: () => string;
  readonly body?: () => string | Buffer;
  readonly headers?: Record<string, string>;
  readonly authenticated?: boolean;
  readonly status: number;
  /** Graph `error.code`, or Entra `error` for login endpoints. */
  readonly code: string;
}

const cases: Case[] = [
  { name: "malformed JSON", body: () => "{not json", headers: json, status: 400, code: "BadRequest" },
  { name: "an empty body", body: () => "", headers: json, status: 400, code: "BadRequest" },
  { name: "a JSON array body", body: () => "[]", headers: json, status: 400, code: "BadRequest" },
  { name: "a JSON null body", body: () => "null", headers: json, status: 400, code: "BadRequest" },
  {
    name: "text/plain content",
    body: () => "{}",
    headers: { "content-type": "text/plain" },
    status: 415,
    code: "UnsupportedMediaType",
  },
  { name: "no content type", body: () => "{}", status: 415, code: "UnsupportedMediaType" },
  { name: "no parameters", body: () => "{}", headers: json, status: 400, code: "BadRequest" },
  {
    name: "empty parameters",
    body: () => '{"parameters":[]}',
    headers: json,
    status: 400,
    code: "BadRequest",
  },
  {
    name: "no subjects",
    body: () => JSON.stringify({ parameters: [{ ruleId: emulator.fixture.ruleId }] }),
    headers: json,
    status: 400,
    code: "BadRequest",
  },
  {
    name: "no ruleId",
    body: () => JSON.stringify({ parameters: [{ subjects: [subject()] }] }),
    headers: json,
    status: 400,
    code: "BadRequest",
  },
  {
    name: "a subject without objectId",
    body: () =>
      JSON.stringify({
        parameters: [{ ruleId: emulator.fixture.ruleId, subjects: [{ objectTypeName: "User" }] }],
      }),
    headers: json,
    status: 400,
    code: "BadRequest",
  },
  {
    name: "an unknown objectTypeName",
    body: () =>
      JSON.stringify({
        parameters: [
          { ruleId: emulator.fixture.ruleId, subjects: [{ objectId: "x", objectTypeName: "Printer" }] },
        ],
      }),
    headers: json,
    status: 400,
    code: "BadRequest",
  },
  {
    name: "members under a User",
    body: () =>
      JSON.stringify({
        parameters: [
          { ruleId: emulator.fixture.ruleId, subjects: [{ ...subject(), links: { members: [subject()] } }] },
        ],
      }),
    headers: json,
    status: 400,
    code: "BadRequest",
  },
  {
    name: "a body over 1 MB",
    body: () => JSON.stringify({ parameters: [], padding: "x".repeat(2 * 1024 * 1024) }),
    headers: json,
    status: 413,
    code: "RequestEntityTooLarge",
  },
  {
    name: "a body over 1 MB to the admin API",
    path: () => "/_emulator/objects",
    body: () => JSON.stringify({ users: [], padding: "x".repeat(2 * 1024 * 1024) }),
    headers: json,
    status: 413,
    code: "RequestEntityTooLarge",
  },
  { name: "an unknown path", method: "GET", path: () => "/nothing/here", status: 404, code: "NotFound" },
  {
    name: "an unknown Graph segment",
    method: "GET",
    path: () => "/beta/users",
    status: 400,
    code: "BadRequest",
  },
  {
    name: "the wrong method",
    method: "PUT",
    body: () => "{}",
    headers: json,
    status: 405,
    code: "Request_BadRequest",
  },
  {
    name: "a JSON body to the token endpoint",
    path: () => `/${emulator.tenantId}/oauth2/v2.0/token`,
    body: () => JSON.stringify({ grant_type: "client_credentials" }),
    headers: json,
    authenticated: false,
    status: 400,
    code: "invalid_request",
  },
  {
    name: "a body over 1 MB to the token endpoint",
    path: () => `/${emulator.tenantId}/oauth2/v2.0/token`,
    body: () => Buffer.alloc(2 * 1024 * 1024, "a"),
    headers: { "content-type": "application/x-www-form-urlencoded" },
    authenticated: false,
    status: 413,
    code: "invalid_request",
  },
  {
    name: "malformed JSON to the admin API",
    path: () => "/_emulator/faults",
    body: () => "{",
    headers: json,
    authenticated: false,
    status: 400,
    code: "BadRequest",
  },
  {
    name: "an admin object missing required fields",
    path: () => "/_emulator/objects",
    body: () => JSON.stringify({ groups: [{ id: "g" }] }),
    headers: json,
    authenticated: false,
    status: 400,
    code: "BadRequest",
  },
];

describe("malformed requests get an error answer, not a crash", () => {
  it.each(cases)("$name → $status $code", async (c) => {
    const answer = await call(emulator, c.method ?? "POST", c.path ? c.path() : jobPath(emulator, POD), {
      token: c.authenticated === false ? undefined : token,
      rawBody: c.body?.(),
      headers: c.headers,
    });
    expect(answer.status).toBe(c.status);
    expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
    expect(answer.headers.get("request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const code = typeof answer.json.error === "string" ? answer.json.error : answer.json.error.code;
    expect(code).toBe(c.code);
  });

  it("still serves a good request after all of them", async () => {
    const answer = await provision(emulator, token, [user(emulator.fixture.userIds[0])]);
    expect(answer.status).toBe(200);
  });
});

describe("broken connections", () => {
  function rawTls(payload: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: "127.0.0.1", port: emulator.port, servername: "localhost" }, () =>
        socket.end(payload),
      );
      let received = "";
      socket.on("data", (chunk) => (received += chunk));
      socket.on("close", () => resolve(received));
      socket.on("error", reject);
    });
  }

  it("answers unparsable HTTP with 400 and closes the connection", async () => {
    expect(await rawTls("THIS IS NOT HTTP\r\n\r\n")).toMatch(/^HTTP\/1\.1 400/);
  });

  it("survives a client that goes away in the middle of a body", async () => {
    await new Promise<void>((resolve) => {
      const socket = tls.connect({ host: "127.0.0.1", port: emulator.port, servername: "localhost" }, () => {
        socket.write(
          `POST ${jobPath(emulator, POD)} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"parameters":',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    expect((await provision(emulator, token, [user(emulator.fixture.userIds[1])])).status).toBe(200);
  });

  it("survives a TLS handshake with garbage", async () => {
    await new Promise<void>((resolve) => {
      const socket = net.connect(emulator.port, "127.0.0.1", () => socket.end("\x16\x03\x01garbage"));
      socket.resume(); // read (and drop) the TLS alert, so that the socket can close
      socket.on("close", () => resolve());
      socket.on("error", () => resolve());
    });
    expect((await call(emulator, "GET", jobPath(emulator, "/schema"), { token })).status).toBe(200);
  });
});
