/**
 * A rule id the job does not have: Graph says only "the job does not include the rule". The error
 * then lists the job's rules (one schema GET, only on that failure) and, when the value given was a
 * rule's name, which id it stands for.
 */
import type { RunningEmulator } from "../../src/emulator";
import * as provider from "../../src/provider";
import { requestsOf, startTestEmulator } from "../support/emulator";
import { checkAndCreate, configureRequest, emulatorConfig, inputsFor } from "../support/provider";
import { user } from "../support/subjects";

jest.setTimeout(30_000);

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator({ rateLimit: "off" });
  await provider.configure(configureRequest(emulatorConfig(emulator)));
});
afterAll(() => emulator.stop());
beforeEach(() => emulator.admin.clearRequests());

const withRule = (ruleId: string) =>
  inputsFor(emulator, [user(emulator.fixture.userIds[0])], { createTimeoutSeconds: 20 }, { ruleId });

describe("a rule id the job does not have", () => {
  it("given the rule's name, the error says which id it stands for and lists the job's rules", async () => {
    const error = (await checkAndCreate(provider, withRule("USER_OUTBOUND")).catch((e: Error) => e)) as Error;
    expect(error.name).toBe("GraphRequestError");
    expect(error.message).toContain("RequestParameterInvalid");
    expect(error.message).toContain(
      `The job's rules: ${emulator.fixture.ruleId} "USER_OUTBOUND" maps User, Group`,
    );
    expect(error.message).toContain(
      `"USER_OUTBOUND" is a rule's name, not its id: use ruleId "${emulator.fixture.ruleId}"`,
    );
    expect(await requestsOf(emulator, "schema")).toHaveLength(1);
    expect((error as { requestId?: string }).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("any other wrong value gets the list, without a name match", async () => {
    const error = (await checkAndCreate(provider, withRule("not-a-rule")).catch((e: Error) => e)) as Error;
    expect(error.message).toContain("The job's rules:");
    expect(error.message).not.toContain("is a rule's name");
  });

  it("a right rule id makes no schema GET", async () => {
    const { outs } = await checkAndCreate(provider, withRule(emulator.fixture.ruleId));
    expect(outs.result).toBe("Success");
    expect(await requestsOf(emulator, "schema")).toHaveLength(0);
  });
});
