/**
 * Only create talks to Graph. configure, check (valid or not), diff and update make no HTTP request at
 * all, even with a provider configured against a running emulator: its request log stays empty.
 */
import http from "node:http";
import https from "node:https";
import type { RunningEmulator } from "../../src/emulator";
import { provisionOnDemandProvider as shell } from "../../src/provisionOnDemand";
import { startTestEmulator } from "../support/emulator";
import { IDS } from "../support/ids";
import {
  checkAndCreate,
  configureRequest,
  emulatorConfig,
  inputsFor,
  type Provider,
} from "../support/provider";
import { user } from "../support/subjects";

let emulator: RunningEmulator;
/** What the resource stored after a real create. */
let stored: { id: string; outs: Record<string, unknown> };
const news = () => inputsFor(emulator, [user(IDS.userIds[0])], { triggers: { members: "abc" } }, {});

beforeAll(async () => {
  emulator = await startTestEmulator({ rateLimit: "off" });
  await shell.configure!(configureRequest(emulatorConfig(emulator)));
  const { id, outs } = await checkAndCreate(shell as Provider, news());
  stored = { id, outs };
});
afterAll(() => emulator.stop());

/** Runs `work`, counting the HTTP(S) requests this process starts and those the emulator serves. */
async function watchHttp<T>(work: () => Promise<T>): Promise<{ result: T; started: number; served: number }> {
  await emulator.admin.clearRequests();
  const spies = [
    jest.spyOn(https, "request"),
    jest.spyOn(https, "get"),
    jest.spyOn(http, "request"),
    jest.spyOn(http, "get"),
    jest.spyOn(globalThis, "fetch"),
  ];
  try {
    const result = await work();
    const started = spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
    return { result, started, served: (await emulator.admin.requests()).length };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** Runs `work`, failing if it sends any HTTP(S) request from this process or reaches the emulator. */
async function withoutHttp<T>(work: () => Promise<T>): Promise<T> {
  const { result, started, served } = await watchHttp(work);
  expect({ started, served }).toEqual({ started: 0, served: 0 });
  return result;
}

describe("no HTTP call outside create", () => {
  it("the guard sees a create's calls (so an empty count below means something)", async () => {
    expect(stored.outs.result).toBe("Success");
    const { result, started, served } = await watchHttp(() =>
      checkAndCreate(shell as Provider, inputsFor(emulator, [user(IDS.userIds[1])])),
    );
    expect(result.outs.result).toBe("Success");
    expect(started).toBeGreaterThanOrEqual(1);
    expect(served).toBe(1);
  });

  it("configure makes no call", async () => {
    await withoutHttp(() => shell.configure!(configureRequest(emulatorConfig(emulator))));
  });

  it("check of valid inputs makes no call", async () => {
    const checked = await withoutHttp(() => shell.check!({}, news()));
    expect(checked.failures ?? []).toEqual([]);
  });

  it("check of invalid inputs makes no call", async () => {
    const checked = await withoutHttp(() =>
      shell.check!(
        {},
        { ...news(), parameters: [{ subjects: [{ objectId: "x", objectTypeName: "Robot" }] }] },
      ),
    );
    expect(checked.failures).toEqual([
      expect.objectContaining({ property: "parameters[0].subjects[0].objectTypeName" }),
    ]);
  });

  it("diff with nothing changed makes no call and reports no change", async () => {
    const checked = (await shell.check!(stored.outs, news())).inputs;
    const diff = await withoutHttp(() => shell.diff!(stored.id, stored.outs, checked));
    expect(diff).toMatchObject({ changes: false, replaces: [] });
  });

  it("diff with a changed trigger makes no call and asks for replacement", async () => {
    const checked = (await shell.check!(stored.outs, { ...news(), triggers: { members: "def" } })).inputs;
    const diff = await withoutHttp(() => shell.diff!(stored.id, stored.outs, checked));
    expect(diff).toMatchObject({ changes: true, replaces: ["triggers"] });
  });

  it("diff and update of failOnProvisioningError make no call and keep the provisioning outputs", async () => {
    const checked = (await shell.check!(stored.outs, { ...news(), failOnProvisioningError: false })).inputs;
    const diff = await withoutHttp(() => shell.diff!(stored.id, stored.outs, checked));
    expect(diff).toMatchObject({ changes: true, replaces: [] });

    const updated = await withoutHttp(() => shell.update!(stored.id, stored.outs, checked));
    expect(updated.outs).toEqual({ ...stored.outs, failOnProvisioningError: false });
    expect(JSON.parse(JSON.stringify(updated.outs))).toEqual(updated.outs);
  });
});
