/**
 * Sending a series of requests for one resource: bounded concurrency, answers in request order,
 * progress every 10 s, and the first hard failure stops the series. The Graph client is a stand-in
 * here (a function with the same shape), so time can be faked; the real one is driven in
 * tests/provider/groups.test.ts.
 */
import type { CallOptions, GraphClient } from "../../src/graphClient";
import type { ProvisionParameter } from "../../src/graph/model";
import { sendAll } from "../../src/provider/send";
import { GROUP_ID, JOB_ID, SP_ID } from "../support/ids";

const CALL: CallOptions = {
  target: { operation: "provisionOnDemand", servicePrincipalId: SP_ID, jobId: JOB_ID },
  apiVersion: "beta",
  deadline: Number.MAX_SAFE_INTEGER,
  timeoutSeconds: 900,
};

/** Requests of the group with 5 members each. */
const requests = (n: number): ProvisionParameter[][] =>
  Array.from({ length: n }, (_, i) => [
    {
      ruleId: "r",
      subjects: [
        {
          objectId: GROUP_ID,
          objectTypeName: "Group",
          links: {
            members: Array.from({ length: 5 }, (_, j) => ({
              objectId: `m${i}-${j}`,
              objectTypeName: "User" as const,
            })),
          },
        },
      ],
    },
  ]);

/** A client whose every POST answers after `ms`, counting how many are in flight at once. */
function slowClient(ms: number, fail?: (index: number) => boolean) {
  let inFlight = 0;
  let most = 0;
  let calls = 0;
  const client = {
    rateLimit: { count: 5, windowMs: 10_000 },
    async provisionOnDemand() {
      const index = calls++;
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, ms));
      inFlight--;
      if (fail?.(index)) throw new Error(`request ${index} failed`);
      return { body: { index }, requestId: `req-${index}`, clientRequestId: `c-${index}` };
    },
  };
  return { client: client as unknown as GraphClient, most: () => most, calls: () => calls };
}

describe("sendAll", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("keeps at most the rate limit's count in flight and returns the answers in request order", async () => {
    const { client, most } = slowClient(1000);
    const sent = sendAll(client, CALL, requests(23), () => {});
    await jest.advanceTimersByTimeAsync(10_000);
    const answers = await sent;
    expect(answers.map((a) => a.requestId)).toEqual(Array.from({ length: 23 }, (_, i) => `req-${i}`));
    expect(most()).toBe(5);
  });

  it("logs progress every 10 s, naming the group and how many members are done", async () => {
    const { client } = slowClient(2000);
    const lines: string[] = [];
    const sent = sendAll(client, CALL, requests(40), (l) => lines.push(l), {
      groupId: GROUP_ID,
      members: 200,
    });
    await jest.advanceTimersByTimeAsync(20_000);
    await sent;
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^group ${GROUP_ID}: \\d+/200 members provisioned \\(\\d+/40 requests\\), ~\\d+ s left at 5/10s$`,
      ),
    );
  });

  it("stops at the first failure: no new request after it, the failure is thrown once those in flight end", async () => {
    const { client, calls } = slowClient(100, (i) => i === 2);
    const sent = sendAll(client, CALL, requests(50), () => {}).catch((e: Error) => e);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(((await sent) as Error).message).toBe("request 2 failed");
    // The five first go at once; the two answered just before request 2 failed started one more each.
    expect(calls()).toBe(7);
  });
});
