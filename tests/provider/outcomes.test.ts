/**
 * What a create returns against the emulator: the outcome in both answer shapes, the outputs as the
 * engine stores them, ruleId resolution from the job schema, and Skipped / Failure outcomes.
 */
import type { RunningEmulator } from "../../src/emulator";
import { ProvisioningFailedError, RuleResolutionError } from "../../src/graph/errors";
import * as provider from "../../src/provider";
import { provisionOnDemandProvider } from "../../src/provisionOnDemand";
import { StderrCapture } from "../support/capture";
import { requestsOf, withTestEmulator } from "../support/emulator";
import { failureOf } from "../support/expectations";
import { AMBIGUOUS_RULES, IDS } from "../support/ids";
import { checkAndCreate, freshProviderEachTest, inputsFor, type Provider } from "../support/provider";
import { user } from "../support/subjects";

const STEP_TYPES = ["Import", "Scoping", "Matching", "Action", "Export"];

let emulator: RunningEmulator;
const stderr = new StderrCapture();

withTestEmulator((started) => (emulator = started), { rateLimit: "off" });
freshProviderEachTest(provider, () => emulator, stderr);

/** Checks the outputs against the checked inputs they were created from. */
async function expectOutputsHoldInputs(news: Record<string, unknown>, outs: Record<string, unknown>) {
  const checked = (await provider.check({}, news)).inputs as Record<string, unknown>;
  const { parameters, __provider: _, ...rest } = checked;
  expect(outs).toMatchObject(rest);
  (parameters as Record<string, unknown>[]).forEach((parameter, i) => {
    const sent = (outs.parameters as Record<string, unknown>[])[i];
    expect(sent).toMatchObject({ ...parameter, ruleIdSource: expect.stringMatching(/^(input|schema)$/) });
    expect(sent.ruleId).toEqual(expect.any(String));
  });
}

describe.each([
  ["live", "the provider shell", provisionOnDemandProvider as Provider],
  ["docs", "the implementation", provider as Provider],
] as const)("a successful provisioning, %s answer shape (through %s)", (shape, _label, driver) => {
  beforeEach(() => emulator.admin.updateSettings({ shape }));

  it("returns result Success with every step (recordSteps: all), and Graph's request-id of the POST", async () => {
    const news = inputsFor(emulator, [user(IDS.userIds[0].toUpperCase())], {
      triggers: { round: "1" },
      recordSteps: "all",
    });
    const { id, outs } = await checkAndCreate(driver, news);

    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(outs.result).toBe("Success");
    // Present but empty, so that a program exporting them gets no "Undefined value" warning.
    expect(outs.errorCode).toBe("");
    expect(outs.errorMessage).toBe("");
    expect(outs.members).toBeNull();
    expect(outs.steps.map((s: { type: string }) => s.type)).toEqual(STEP_TYPES);
    expect(outs.steps.every((s: { status: string }) => s.status === "Success")).toBe(true);
    for (const step of outs.steps) {
      expect(Object.keys(step).sort()).toEqual(["description", "name", "status", "type"]);
      expect(step.description).not.toBe("");
    }
    const posts = await requestsOf(emulator, "provisionOnDemand");
    expect(posts).toHaveLength(1);
    expect(posts[0].status).toBe(200);
    expect(outs.requestId).toBe(posts[0].requestId);
    expect((await emulator.admin.target(IDS.servicePrincipalId)).objects).toEqual([
      expect.objectContaining({ objectId: IDS.userIds[0], lastAction: "Create", exportCount: 1 }),
    ]);
  });

  it("records no steps of a successful report by default, and counts them in stepsOmitted", async () => {
    const { outs } = await checkAndCreate(driver, inputsFor(emulator, [user(IDS.burstUserIds[0])]));
    expect(outs.result).toBe("Success");
    expect(outs.steps).toEqual([]);
    expect(outs.stepsOmitted).toBe(STEP_TYPES.length);
  });

  it("returns outputs the engine can store: no undefined anywhere, every normalised input, ruleIdSource", async () => {
    const news = inputsFor(
      emulator,
      [{ objectId: IDS.groupId, objectTypeName: "Group", links: { members: [user(IDS.userIds[1])] } }],
      { apiVersion: "v1.0", failOnProvisioningError: false, recordSteps: "all" },
      {},
    );
    const { outs } = await checkAndCreate(driver, news);

    expect(JSON.parse(JSON.stringify(outs))).toEqual(outs);
    await expectOutputsHoldInputs(news, outs);
    expect(outs).toMatchObject({
      servicePrincipalId: IDS.servicePrincipalId,
      synchronizationJobId: IDS.jobId,
      apiVersion: "v1.0",
      failOnProvisioningError: false,
      createTimeoutSeconds: 900,
      result: "Success",
      parameters: [{ ruleId: IDS.ruleId, ruleIdSource: "schema" }],
    });
    // The live shape reports the group and its listed member; the docs shape one report.
    expect(outs.steps).toHaveLength(shape === "live" ? 10 : 5);
    const posts = await requestsOf(emulator, "provisionOnDemand");
    expect(posts.map((p) => p.path)).toEqual([expect.stringMatching(/^\/v1\.0\/servicePrincipals\//)]);
  });

  it("accepts path forms of the ids and stores them bare", async () => {
    const news = {
      servicePrincipalId: `/servicePrincipals/${IDS.servicePrincipalId}`,
      synchronizationJobId: `/servicePrincipals/${IDS.servicePrincipalId}/synchronization/jobs/${IDS.jobId}`,
      parameters: [{ ruleId: IDS.ruleId, subjects: [user(IDS.userIds[2])] }],
    };
    const { outs } = await checkAndCreate(driver, news);
    expect(outs).toMatchObject({
      servicePrincipalId: IDS.servicePrincipalId,
      synchronizationJobId: IDS.jobId,
      result: "Success",
      parameters: [{ ruleId: IDS.ruleId, ruleIdSource: "input" }],
    });
    expect(outs).not.toHaveProperty("triggers");
  });
});

describe("an omitted ruleId is resolved from the job schema", () => {
  it("with one fitting rule: resolved, ruleIdSource schema, and one schema GET for several creates", async () => {
    const creates = [IDS.userIds[0], IDS.userIds[1], IDS.groupId];
    for (const objectId of creates) {
      const subject = objectId === IDS.groupId ? { objectId, objectTypeName: "Group" } : user(objectId);
      const { outs } = await checkAndCreate(provider, inputsFor(emulator, [subject], {}, {}));
      expect(outs.parameters).toEqual([{ ruleId: IDS.ruleId, ruleIdSource: "schema", subjects: [subject] }]);
      expect(outs.result).toBe("Success");
    }
    expect(await requestsOf(emulator, "schema")).toHaveLength(1);
    const posts = await requestsOf(emulator, "provisionOnDemand");
    expect(posts).toHaveLength(creates.length);
  });

  it("keeps a given ruleId and records ruleIdSource input, without reading the schema", async () => {
    const { outs } = await checkAndCreate(
      provider,
      inputsFor(emulator, [user(IDS.userIds[0])], { triggers: { a: "b" } }),
    );
    expect(outs.parameters[0]).toMatchObject({ ruleId: IDS.ruleId, ruleIdSource: "input" });
    expect(await requestsOf(emulator, "schema")).toHaveLength(0);
  });

  it.each([
    [
      "several rules map User objects",
      user(IDS.userIds[0]),
      /2 rules of the job schema map User objects/,
      IDS.ambiguousJobId,
    ],
    [
      "no rule maps Worker objects",
      { objectId: "WD-000123", objectTypeName: "Worker" },
      /no rule of the job schema maps Worker objects/,
      IDS.secondAmbiguousJobId,
    ],
  ])(
    "fails when %s, listing each candidate's id, name and directories, and sends no POST",
    async (_, subject, problem, jobId) => {
      const news = {
        servicePrincipalId: IDS.ambiguousServicePrincipalId,
        synchronizationJobId: jobId,
        parameters: [{ subjects: [subject] }],
      };
      const error = await failureOf(() => checkAndCreate(provider, news));

      expect(error).toBeInstanceOf(RuleResolutionError);
      expect(error.message).toMatch(problem);
      expect(error.message).toContain("parameters[0].ruleId is omitted and cannot be resolved");
      for (const rule of AMBIGUOUS_RULES) {
        expect(error.message).toContain(`${rule.id} "${rule.name}" (Azure Active Directory → ${rule.target}`);
      }
      // Each case has a job of its own (same schema), so it reads that job's schema exactly once;
      // the schema is kept per job per process, so a second try reads it no more.
      expect(await requestsOf(emulator, "schema")).toHaveLength(1);
      await failureOf(() => checkAndCreate(provider, news));
      expect(await requestsOf(emulator, "schema")).toHaveLength(1);
      expect(await requestsOf(emulator, "provisionOnDemand")).toHaveLength(0);
    },
  );
});

describe("Skipped outcomes do not fail the create", () => {
  it.each(["live", "docs"] as const)(
    "the same subject twice gives Skipped RedundantExport the second time (%s shape)",
    async (shape) => {
      await emulator.admin.updateSettings({ shape });
      const news = inputsFor(emulator, [user(IDS.userIds[0])]);
      expect((await checkAndCreate(provider, news)).outs.result).toBe("Success");
      stderr.clear();

      const { outs } = await checkAndCreate(provider, news);
      expect(outs.result).toBe("Skipped");
      expect(outs.errorCode).toBe("RedundantExport");
      expect(outs.errorMessage).toMatch(/already match/);
      expect(outs.steps.map((s: { status: string }) => s.status)).toContain("Skipped");
      const posts = await requestsOf(emulator, "provisionOnDemand");
      expect(outs.requestId).toBe(posts[1].requestId);
      expect(stderr.text).toContain(`provisionOnDemand: Skipped RedundantExport`);
      expect(stderr.text).toContain(`request-id ${posts[1].requestId}`);
    },
  );

  it("a user out of the job's scope gives Skipped with the scoping reason", async () => {
    const { outs } = await checkAndCreate(provider, inputsFor(emulator, [user(IDS.unassignedUserId)]));
    expect(outs.result).toBe("Skipped");
    expect(outs.errorCode).toBe("NotEffectivelyEntitled");
    expect(outs.errorMessage).toMatch(/not assigned to the application/);
    expect(outs.steps.find((s: { type: string }) => s.type === "Scoping")).toMatchObject({
      status: "Skipped",
    });
    expect((await emulator.admin.target(IDS.servicePrincipalId)).objects).toEqual([]);
  });
});

describe("a Failure outcome (an object that does not exist)", () => {
  const missingUser = "0dead000-0000-4000-8000-000000000000";

  it.each(["live", "docs"] as const)(
    "fails the create with the code and request-id when failOnProvisioningError is true (%s shape)",
    async (shape) => {
      await emulator.admin.updateSettings({ shape });
      const error = await failureOf(() =>
        checkAndCreate(provider, inputsFor(emulator, [user(missingUser)], { failOnProvisioningError: true })),
      );
      const [post] = await requestsOf(emulator, "provisionOnDemand");
      expect(error).toBeInstanceOf(ProvisioningFailedError);
      expect(error).toMatchObject({ code: "EntryNotFound", requestId: post.requestId });
      expect(error.message).toContain(
        "provisionOnDemand reported Failure: EntryNotFound: Unable to find User",
      );
      expect(error.message).toContain(`(request-id ${post.requestId})`);
      expect(error.message).toContain(`[job ${IDS.jobId}, service principal ${IDS.servicePrincipalId}`);
      expect(error.message).toContain(`User ${missingUser}`);
      expect(error.message).toContain("failOnProvisioningError: false");
    },
  );

  it("fails the create by default (failOnProvisioningError omitted)", async () => {
    const error = await failureOf(() => checkAndCreate(provider, inputsFor(emulator, [user(missingUser)])));
    expect(error).toBeInstanceOf(ProvisioningFailedError);
  });

  it("returns result Failure with the code and message when failOnProvisioningError is false", async () => {
    const { outs } = await checkAndCreate(
      provider,
      inputsFor(emulator, [user(missingUser)], { failOnProvisioningError: false }),
    );
    const [post] = await requestsOf(emulator, "provisionOnDemand");
    expect(outs).toMatchObject({
      result: "Failure",
      errorCode: "EntryNotFound",
      errorMessage: expect.stringContaining(missingUser),
      requestId: post.requestId,
      failOnProvisioningError: false,
    });
    expect(JSON.parse(JSON.stringify(outs))).toEqual(outs);
    expect(stderr.text).toContain("provisionOnDemand: Failure EntryNotFound");
  });
});
