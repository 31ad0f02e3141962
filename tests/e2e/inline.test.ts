/**
 * End to end through the Automation API with an inline program: the real Pulumi CLI and engine, a
 * local file backend, the real dynamic-provider plugin process, the real @azure/identity token flow
 * and HTTPS to the project's emulator. Graph calls are counted from the emulator's request log.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as automation from "@pulumi/pulumi/automation";
import type { RunningEmulator } from "../../src/emulator";
import { collectOutput, inlineStack, loadPackage, ourOperations, ourResources } from "../support/automation";
import { graphCalls } from "../support/emulator";
import { IDS } from "../support/ids";
import { filesContaining } from "../support/files";
import { describeWithPulumi, withEmulatorAndSandbox, type PulumiSandbox } from "../support/pulumi";
import * as path from "node:path";

jest.setTimeout(5 * 60_000);

/** What the inline program declares: `count` resources (a group, then users), with these inputs. */
interface ProgramSpec {
  ruleId?: string;
  triggers?: Record<string, pulumi.Input<string>>;
  failOnProvisioningError?: boolean;
  count?: number;
}

/** The program states the tests take the stack through, in order; each test names the one it starts from. */
const STATES = {
  first: {},
  round2: { triggers: { round: "2" } },
  round2InPlace: { triggers: { round: "2" }, failOnProvisioningError: false },
  wrongRule: { triggers: { round: "3" }, failOnProvisioningError: false, ruleId: "not-a-rule-of-this-job" },
  round3: { triggers: { round: "3" }, failOnProvisioningError: false, ruleId: IDS.ruleId },
  round4: { triggers: { round: "4" }, failOnProvisioningError: false, ruleId: IDS.ruleId },
  twelve: { triggers: { round: "5" }, failOnProvisioningError: false, ruleId: IDS.ruleId, count: 12 },
} satisfies Record<string, ProgramSpec>;
type State = keyof typeof STATES;

describeWithPulumi("an Automation API inline program", () => {
  let emulator: RunningEmulator;
  let sandbox: PulumiSandbox;
  let stack: automation.Stack;
  /** What the program declares on the next operation. */
  let spec: ProgramSpec = {};
  /**
   * What the stack holds: a state of STATES (or another name given to `upTo`), "empty", or undefined
   * after a failed up. The tests share one stack to stay fast; `given` brings it to the state a test
   * starts from (nothing to do when the tests run in order), so that each test also passes alone.
   */
  let deployed: string | undefined = "empty";

  /** `pulumi up` with the program declaring `next`; records `name` as deployed once the up succeeded. */
  async function upTo(name: string, next: ProgramSpec, options?: automation.UpOptions) {
    spec = next;
    deployed = undefined;
    const up = await stack.up(options);
    deployed = name;
    return up;
  }

  /** Brings the stack to `state` ("empty": destroyed) unless it is there, then clears the request log. */
  async function given(state: State | "empty") {
    if (deployed !== state) {
      if (state === "empty") {
        await stack.destroy();
        deployed = "empty";
      } else await upTo(state, STATES[state]);
    }
    await emulator.admin.clearRequests();
  }

  const program = async () => {
    const { SynchronizationJobProvisionOnDemand } = loadPackage();
    const f = emulator.fixture;
    const subjects = [
      {
        objectId: f.groupId,
        objectTypeName: "Group" as const,
        links: { members: f.userIds.map((objectId) => ({ objectId, objectTypeName: "User" as const })) },
      },
    ];
    const resources = Array.from({ length: spec.count ?? 1 }, (_, i) => {
      const subject =
        i === 0
          ? subjects[0]
          : { objectId: f.userIds[i % f.userIds.length], objectTypeName: "User" as const };
      return new SynchronizationJobProvisionOnDemand(i === 0 ? "group" : `user-${i}`, {
        servicePrincipalId: `/servicePrincipals/${f.servicePrincipalId}`,
        synchronizationJobId: f.jobId,
        parameters: [{ ...(spec.ruleId ? { ruleId: spec.ruleId } : {}), subjects: [subject] }],
        triggers: spec.triggers,
        ...(spec.failOnProvisioningError === undefined
          ? {}
          : { failOnProvisioningError: spec.failOnProvisioningError }),
      });
    });
    return {
      result: resources[0].result,
      ruleId: resources[0].parameters.apply((p) => p[0].ruleId),
      requestId: resources[0].requestId,
    };
  };

  withEmulatorAndSandbox(async (started, made) => {
    emulator = started;
    sandbox = made;
    stack = await inlineStack(sandbox, emulator, "inline", program);
  });

  it("preview makes no Graph call and plans one create", async () => {
    await given("empty");
    spec = STATES.first;
    const { onEvent, ops } = ourOperations();
    await stack.preview({ onEvent });
    expect(ops).toEqual(["create"]);
    expect((await graphCalls(emulator)).all).toBe(0);
  });

  it("up provisions the group and its members with one POST and shows the outcome", async () => {
    await given("empty");
    const up = await upTo("first", STATES.first);
    expect(up.summary.result).toBe("succeeded");
    expect(up.outputs.result.value).toBe("Success");
    expect(up.outputs.ruleId.value).toBe(emulator.fixture.ruleId);
    expect(up.outputs.requestId.value).toMatch(/^[0-9a-f-]{36}$/);
    const calls = await graphCalls(emulator);
    expect(calls).toMatchObject({ post: 1, schema: 1, token: 1 });
    const target = await emulator.admin.target(emulator.fixture.servicePrincipalId);
    const ids = target.objects.map((o) => o.objectId);
    expect(ids).toEqual(expect.arrayContaining([emulator.fixture.groupId, ...emulator.fixture.userIds]));
  });

  it("an unchanged up makes no Graph call and changes nothing", async () => {
    await given("first");
    const up = await upTo("first", STATES.first);
    expect(up.summary.resourceChanges).toEqual({ same: 2 });
    expect((await graphCalls(emulator)).all).toBe(0);
  });

  it("a triggers change replaces the resource with exactly one POST", async () => {
    await given("first");
    const up = await upTo("round2", STATES.round2);
    expect(up.summary.resourceChanges?.replace).toBe(1);
    expect((await graphCalls(emulator)).post).toBe(1);
  });

  it("a failOnProvisioningError change updates in place without a POST and keeps the outputs", async () => {
    await given("round2");
    const before = ourResources(await stack.exportStack())[0].outputs;
    const up = await upTo("round2InPlace", STATES.round2InPlace);
    expect(up.summary.resourceChanges?.update).toBe(1);
    expect((await graphCalls(emulator)).all).toBe(0);
    const after = ourResources(await stack.exportStack())[0].outputs;
    expect(after.failOnProvisioningError).toBe(false);
    for (const key of [
      "result",
      "requestId",
      "steps",
      "parameters",
      "servicePrincipalId",
      "synchronizationJobId",
    ]) {
      expect(after[key]).toEqual(before[key]);
    }
  });

  it("refresh makes no Graph call and finds no drift", async () => {
    await given("round2InPlace");
    const refresh = await stack.refresh();
    expect(refresh.summary.result).toBe("succeeded");
    expect(refresh.summary.resourceChanges?.update ?? 0).toBe(0);
    expect((await graphCalls(emulator)).all).toBe(0);
  });

  it("a wrong ruleId fails up with the Graph code and request-id, leaves no state, and a fix succeeds", async () => {
    await given("round2InPlace");
    const failure = await upTo("wrongRule", STATES.wrongRule).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure).toBeDefined();
    expect(failure!.message).toMatch(/RequestParameterInvalid/);
    expect(failure!.message).toMatch(/request-id [0-9a-f-]{36}/);
    expect(failure!.message).toMatch(/HTTP 400/);
    // The replacement was never created; the old resource (round 2) is what state holds.
    const resources = ourResources(await stack.exportStack());
    expect(resources).toHaveLength(1);
    expect((resources[0].inputs.triggers as Record<string, string>).round).toBe("2");

    const fixed = await upTo("round3", STATES.round3);
    expect(fixed.summary.result).toBe("succeeded");
    expect(fixed.outputs.ruleId.value).toBe(emulator.fixture.ruleId);
  });

  it("retries injected 429 and 503 answers, says so in the engine's diagnostics, and succeeds", async () => {
    await given("round3");
    await emulator.admin.addFault({
      path: "provisionOnDemand$",
      method: "POST",
      status: 429,
      retryAfterSeconds: 1,
      count: 1,
    });
    await emulator.admin.addFault({ path: "provisionOnDemand$", method: "POST", status: 503, count: 1 });
    const { result: up, output } = await collectOutput((onOutput) =>
      upTo("round4", STATES.round4, { onOutput }),
    );
    expect(up.summary.result).toBe("succeeded");
    expect(output).toMatch(/attempt 1 failed: HTTP 429 TooManyRequests \(Retry-After 1s\)/);
    expect(output).toMatch(/attempt 2 failed: HTTP 503/);
    expect((await graphCalls(emulator)).post).toBe(3);
  });

  it("12 resources in one up under Graph's rate limit all succeed without a single 429", async () => {
    // The emulator's 10 s window still counts the previous test's POSTs, and each `up` starts a new
    // provider process (a new pacer): let the window pass so this measures one deployment alone.
    await given("round4");
    await new Promise((resolve) => setTimeout(resolve, 10_500));
    await emulator.admin.clearRequests();
    const up = await upTo("twelve", STATES.twelve);
    expect(up.summary.result).toBe("succeeded");
    const requests = await emulator.admin.requests();
    const posts = requests.filter((r) => r.kind === "provisionOnDemand");
    expect(posts).toHaveLength(12);
    expect(posts.filter((r) => r.status === 429)).toHaveLength(0);
    expect(posts.every((r) => r.status === 200)).toBe(true);
  });

  it("never writes the client secret, a token or a secret trigger into state or engine output, and keeps __provider under 2 KB", async () => {
    await given("twelve");
    const triggerSecret = "trigger-secret-5f2b9c";
    const withSecret = { ...STATES.twelve, triggers: { round: "6", token: pulumi.secret(triggerSecret) } };
    const { output } = await collectOutput((onOutput) => upTo("withSecret", withSecret, { onOutput }));
    // The real state on disk (the file backend), not `stack export --show-secrets`.
    const backend = sandbox.env.PULUMI_BACKEND_URL.replace("file://", "");
    const jwt = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/;
    expect(filesContaining(backend, emulator.clientSecret).map((f) => path.relative(backend, f))).toEqual([]);
    expect(filesContaining(backend, jwt).map((f) => path.relative(backend, f))).toEqual([]);
    expect(filesContaining(backend, triggerSecret).map((f) => path.relative(backend, f))).toEqual([]);
    expect(output.includes(triggerSecret)).toBe(false);
    expect(output.includes(emulator.clientSecret)).toBe(false);
    expect(jwt.test(output)).toBe(false);
    const resources = ourResources(await stack.exportStack());
    expect(resources).toHaveLength(12);
    for (const resource of resources) {
      expect(String(resource.outputs.__provider).length).toBeLessThanOrEqual(2048);
    }
  });

  it("destroy makes no Graph call and empties the stack", async () => {
    if (deployed === "empty") await given("first");
    const destroy = await stack.destroy();
    deployed = "empty";
    expect(destroy.summary.result).toBe("succeeded");
    expect((await graphCalls(emulator)).all).toBe(0);
    const deployment = await stack.exportStack();
    expect(deployment.deployment.resources ?? []).toHaveLength(0);
  });

  it("an input unknown until another resource is created does not break preview", async () => {
    // A tiny dynamic resource whose output (not an input) feeds servicePrincipalId: unknown at preview.
    const echoProvider: pulumi.dynamic.ResourceProvider = {
      async create(inputs) {
        return { id: "echo", outs: { value: inputs.value, echoed: inputs.value } };
      },
    };
    class Echo extends pulumi.dynamic.Resource {
      declare readonly echoed: pulumi.Output<string>;
      constructor(name: string, value: string) {
        super(echoProvider, name, { value, echoed: undefined });
      }
    }
    const unknownProgram = async () => {
      const { SynchronizationJobProvisionOnDemand } = loadPackage();
      const sp = new Echo("service-principal", emulator.fixture.servicePrincipalId);
      const job = new Echo("job", emulator.fixture.jobId);
      new SynchronizationJobProvisionOnDemand("later", {
        servicePrincipalId: sp.echoed,
        synchronizationJobId: job.echoed,
        parameters: [{ subjects: [{ objectId: emulator.fixture.groupId, objectTypeName: "Group" }] }],
      });
    };
    const other = await inlineStack(sandbox, emulator, "unknowns", unknownProgram);
    const { onEvent, ops } = ourOperations();
    await other.preview({ onEvent });
    expect(ops).toEqual(["create"]);
    expect((await graphCalls(emulator)).all).toBe(0);
    const up = await other.up();
    expect(up.summary.result).toBe("succeeded");
    expect((await graphCalls(emulator)).post).toBe(1);
    await other.destroy();
  });
});
