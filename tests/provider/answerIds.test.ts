/**
 * Every error that follows an HTTP answer names that answer: Graph's `request-id` and the
 * `client-request-id` we sent, as fields (for support tickets and log searches) — including a 200
 * whose body is not a provisioning report (a proxy's HTML page, a JSON error body).
 */
import type { RunningEmulator } from "../../src/emulator";
import { UnreadableResponseError } from "../../src/graph/errors";
import { parseProvisioningResponse } from "../../src/graph/result";
import * as provider from "../../src/provider";
import { StderrCapture } from "../support/capture";
import { requestsOf, startTestEmulator } from "../support/emulator";
import { failureOf } from "../support/expectations";
import { IDS } from "../support/ids";
import { checkAndCreate, configureRequest, emulatorConfig, inputsFor } from "../support/provider";
import { user } from "../support/subjects";

jest.setTimeout(30_000);

const REQUEST_ID = "0f5e7d2a-1111-4a2b-9c3d-000000000001";
const CLIENT_REQUEST_ID = "0f5e7d2a-2222-4a2b-9c3d-000000000002";

describe("a 200 answer that is not a report (parsed directly)", () => {
  const page = `<!DOCTYPE html><html><head><title>502</title></head><body>${"<p>gateway</p>".repeat(500)}</body></html>`;

  it.each<[string, unknown]>([
    ["an HTML page", page],
    ["a JSON error body", { error: { code: "UnknownError", message: "oops" } }],
    ["a pair whose value is HTML", { key: "x", value: page }],
    ["no body", undefined],
  ])("%s: UnreadableResponseError with both ids and a short quote", (_what, body) => {
    let error: unknown;
    try {
      parseProvisioningResponse(body, REQUEST_ID, CLIENT_REQUEST_ID);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnreadableResponseError);
    const e = error as UnreadableResponseError;
    expect(e).toMatchObject({
      code: "UnreadableResponse",
      requestId: REQUEST_ID,
      clientRequestId: CLIENT_REQUEST_ID,
    });
    expect(e.message).toContain(REQUEST_ID);
    // A 7 KB page is quoted, not copied.
    expect(e.message.length).toBeLessThan(600);
  });

  it("an empty list of reports carries both ids too", () => {
    expect(() => parseProvisioningResponse({ key: "k", value: "[]" }, REQUEST_ID, CLIENT_REQUEST_ID)).toThrow(
      expect.objectContaining({ requestId: REQUEST_ID, clientRequestId: CLIENT_REQUEST_ID }),
    );
  });
});

describe("against the emulator", () => {
  let emulator: RunningEmulator;
  const stderr = new StderrCapture();

  beforeAll(async () => {
    emulator = await startTestEmulator({ rateLimit: "off" });
  });
  afterAll(() => emulator.stop());
  beforeEach(async () => {
    await emulator.admin.reset();
    await provider.configure(configureRequest(emulatorConfig(emulator)));
    stderr.start();
  });
  afterEach(() => stderr.stop());

  it("a POST answered 200 with a body that is no report fails the create with the answer's request-id and our client-request-id", async () => {
    await emulator.admin.addFault({ path: "provisionOnDemand$", method: "POST", status: 200, count: 1 });
    const error = await failureOf(() =>
      checkAndCreate(
        provider,
        inputsFor(emulator, [user(IDS.burstUserIds[0])], { createTimeoutSeconds: 20 }),
      ),
    );

    const [post] = await requestsOf(emulator, "provisionOnDemand");
    expect(post).toMatchObject({ status: 200, fault: "respond" });
    expect(error.name).toBe("UnreadableResponseError");
    expect(error).toMatchObject({
      code: "UnreadableResponse",
      requestId: post.requestId,
      clientRequestId: post.clientRequestId,
    });
    expect(error.message).toContain(`request-id ${post.requestId}`);
    // Not retried: a 200 was an answer, and sending again could provision twice.
    expect(await requestsOf(emulator, "provisionOnDemand")).toHaveLength(1);
  });

  it("a refused POST (HTTP 400) carries both ids as well", async () => {
    await emulator.admin.addFault({ path: "provisionOnDemand$", method: "POST", status: 400, count: 1 });
    const error = await failureOf(() =>
      checkAndCreate(
        provider,
        inputsFor(emulator, [user(IDS.burstUserIds[1])], { createTimeoutSeconds: 20 }),
      ),
    );
    const [post] = await requestsOf(emulator, "provisionOnDemand");
    expect(error).toMatchObject({
      status: 400,
      requestId: post.requestId,
      clientRequestId: post.clientRequestId,
    });
  });
});
