/**
 * The HTTP layer on its own, over real TLS sockets: connections are reused, the bearer token goes to
 * the Graph host only, refused answers keep Graph's code, request id and Retry-After, and a refused
 * connection, a cut answer and an abort each reject in a way errorMapping turns into the right code.
 * The servers are local `https` servers with a certificate from the test CA (`npm test` trusts it).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import {
  createServerCertificate,
  ensureCertificateAuthority,
  readCertificateAuthority,
} from "../../src/emulator/certificates";
import { toGraphRequestError } from "../../src/graph/errorMapping";
import { GraphRequestError, type GraphCallTarget } from "../../src/graph/errors";
import { createTransport, GraphHttpError, type GraphRequest } from "../../src/graph/transport";

const TARGET: GraphCallTarget = {
  operation: "provisionOnDemand",
  servicePrincipalId: "sp",
  jobId: "job",
  subjects: "User u",
};

/** What a test server saw: TLS connections, and each request's path and headers. */
interface Seen {
  connections: number;
  requests: { path: string; headers: Record<string, string | string[] | undefined>; body: string }[];
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: https.Server[] = [];
let tls: { key: string; cert: string };

beforeAll(async () => {
  const dir = process.env.PROVISION_ON_DEMAND_TEST_CA_DIR;
  if (!dir)
    throw new Error("run through `npm test`: it sets PROVISION_ON_DEMAND_TEST_CA_DIR and trusts the CA");
  const ca = await readCertificateAuthority(await ensureCertificateAuthority(dir));
  const leaf = createServerCertificate(ca);
  tls = { key: leaf.privateKeyPem, cert: leaf.certificatePem };
});

afterAll(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Starts a TLS server answering with `handler`; resolves with its URL and what it saw. */
async function serve(handler: Handler): Promise<{ url: string; seen: Seen }> {
  const seen: Seen = { connections: 0, requests: [] };
  const server = https.createServer(tls, (req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      seen.requests.push({ path: req.url ?? "", headers: req.headers, body });
      handler(req, res);
    });
  });
  server.on("secureConnection", () => seen.connections++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `https://localhost:${(server.address() as AddressInfo).port}`, seen };
}

/** Answers JSON with a request id. */
function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "application/json", "request-id": "rid-1", ...headers });
    res.end(JSON.stringify(body));
  };
}

function post(overrides: Partial<GraphRequest> = {}): GraphRequest {
  return {
    method: "POST",
    path: "/servicePrincipals/sp/synchronization/jobs/job/provisionOnDemand",
    version: "beta",
    clientRequestId: "crid-1",
    signal: new AbortController().signal,
    body: { parameters: [] },
    ...overrides,
  };
}

describe("the transport reuses its connections and keeps the token on the Graph host", () => {
  it("five requests in a row travel over one TLS connection, each with the bearer token and ids", async () => {
    const { url, seen } = await serve(json(200, { value: "ok" }));
    const transport = createTransport(url, async () => "token-1");
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await transport.send(post({ clientRequestId: `crid-${i}` })));

    expect(answers[4]).toEqual({ status: 200, body: { value: "ok" }, requestId: "rid-1" });
    expect(seen.connections).toBe(1);
    expect(seen.requests.map((r) => r.path)).toEqual(
      Array(5).fill("/beta/servicePrincipals/sp/synchronization/jobs/job/provisionOnDemand"),
    );
    expect(seen.requests.map((r) => r.headers["client-request-id"])).toEqual(
      [0, 1, 2, 3, 4].map((i) => `crid-${i}`),
    );
    expect(seen.requests[0].headers.authorization).toBe("Bearer token-1");
    expect(seen.requests[0].headers["content-type"]).toBe("application/json");
    expect(JSON.parse(seen.requests[0].body)).toEqual({ parameters: [] });
  });

  it("an absolute URL on another host (a nextLink elsewhere) is sent without the token", async () => {
    const graph = await serve(json(200, {}));
    const elsewhere = await serve(json(200, { value: [] }));
    const transport = createTransport(graph.url, async () => "token-1");
    const answer = await transport.send(
      post({ method: "GET", path: `${elsewhere.url}/page2`, body: undefined }),
    );

    expect(answer.body).toEqual({ value: [] });
    expect(elsewhere.seen.requests[0].path).toBe("/page2");
    expect(elsewhere.seen.requests[0].headers.authorization).toBeUndefined();
    expect(graph.seen.requests).toHaveLength(0);
  });
});

describe("what a failed request rejects with, and what errorMapping makes of it", () => {
  it("a 429 keeps Graph's code, message, request id and Retry-After", async () => {
    const body = {
      error: { code: "TooManyRequests", message: "slow down", innerError: { "request-id": "rid-body" } },
    };
    const { url } = await serve(json(429, body, { "retry-after": "7", "client-request-id": "crid-1" }));
    const error = await createTransport(url, async () => "t")
      .send(post())
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GraphHttpError);
    expect(error).toMatchObject({
      statusCode: 429,
      code: "TooManyRequests",
      message: "slow down",
      requestId: "rid-body",
    });
    expect(toGraphRequestError(error, TARGET, "crid-1")).toMatchObject({
      code: "TooManyRequests",
      status: 429,
      requestId: "rid-body",
      clientRequestId: "crid-1",
      retryAfterMs: 7000,
    });
  });

  it("a refused connection is a NetworkError naming ECONNREFUSED", async () => {
    const { url } = await serve(json(200, {}));
    const closed = servers.pop()!;
    closed.closeAllConnections();
    await new Promise((resolve) => closed.close(resolve));
    const error = await createTransport(url, async () => "t")
      .send(post())
      .catch((e: unknown) => e);
    const mapped = toGraphRequestError(error, TARGET, "crid-1");

    expect(mapped).toBeInstanceOf(GraphRequestError);
    expect(mapped).toMatchObject({ code: "NetworkError", status: 0, clientRequestId: "crid-1" });
    expect(mapped.message).toContain("ECONNREFUSED");
  });

  it("an answer cut off before its end rejects (a NetworkError), it is never taken as complete", async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"value":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const error = await createTransport(url, async () => "t")
      .send(post())
      .catch((e: unknown) => e);

    const mapped = toGraphRequestError(error, TARGET, "crid-1");
    expect(mapped).toMatchObject({ code: "NetworkError", status: 0 });
    expect(mapped.message).toMatch(/aborted|ECONNRESET|closed before the answer was complete/);
  });

  it("an aborted request (the attempt's timeout) rejects at once and maps to Timeout", async () => {
    const { url } = await serve(() => undefined); // never answers
    const controller = new AbortController();
    const sent = createTransport(url, async () => "t")
      .send(post({ signal: controller.signal }))
      .catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 50);
    const error = await sent;

    expect(error).toMatchObject({ name: "AbortError" });
    expect(toGraphRequestError(error, TARGET, "crid-1", 50)).toMatchObject({ code: "Timeout", status: 0 });
  });
});
