/**
 * End to end as users work: `pulumi` commands in a work-directory TypeScript program
 * (examples/basic), a local file backend, and the project's emulator. Also: recovery after the CLI is
 * SIGKILLed mid-create, and an upgrade from state written by an earlier build of the provider.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { RunningEmulator } from "../../src/emulator";
import { basicExampleConfig, repoRoot } from "../../scripts/lib/pulumiSandbox";
import { OUR_TYPE } from "../support/automation";
import { copyBasicExample, pulumiCli, pulumiOk, spawnPulumi } from "../support/commands";
import { graphCalls } from "../support/emulator";
import { describeWithPulumi, withEmulatorAndSandbox, type PulumiSandbox } from "../support/pulumi";

jest.setTimeout(6 * 60_000);

interface ExportedResource {
  urn: string;
  type: string;
  outputs?: Record<string, unknown>;
}

/** Process ids of dynamic-provider processes whose working directory is `dir` (Linux /proc). */
function providerProcessesIn(dir: string): number[] {
  const found: number[] = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cwd = fs.readlinkSync(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, "");
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cwd === dir && cmdline.includes("dynamic-provider")) found.push(Number(pid));
    } catch {
      // the process ended meanwhile, or is not ours to read
    }
  }
  return found;
}

describeWithPulumi("a work-directory TypeScript program (examples/basic)", () => {
  let emulator: RunningEmulator;
  let sandbox: PulumiSandbox;
  let dir: string;

  async function exportedResources(cwd = dir, box = sandbox): Promise<ExportedResource[]> {
    const run = await pulumiOk(box, cwd, ["stack", "export"]);
    return (JSON.parse(run.stdout).deployment.resources ?? []) as ExportedResource[];
  }

  withEmulatorAndSandbox(async (started, made) => {
    emulator = started;
    sandbox = made;
    dir = copyBasicExample(sandbox, "basic");
    await pulumiOk(sandbox, dir, ["stack", "init", "dev"]);
    for (const args of basicExampleConfig(emulator)) await pulumiOk(sandbox, dir, args);
  });

  it("pulumi preview makes no Graph call", async () => {
    const run = await pulumiOk(sandbox, dir, ["preview", "--diff"]);
    expect(run.stdout).toMatch(/\+ 2 to create|2 to create/);
    expect((await graphCalls(emulator)).all).toBe(0);
  });

  it("pulumi up provisions the group and its members and shows the outcome", async () => {
    await pulumiOk(sandbox, dir, ["up", "--yes", "--skip-preview"]);
    const outputs = JSON.parse((await pulumiOk(sandbox, dir, ["stack", "output", "--json"])).stdout);
    expect(outputs.result).toBe("Success");
    expect(outputs.ruleId).toBe(emulator.fixture.ruleId);
    expect(outputs.stepStatuses).toEqual({ Success: 20 }); // 5 steps for the group and each of its 3 members
    expect(await graphCalls(emulator)).toMatchObject({ token: 1, schema: 1, post: 1 });
  });

  it("pulumi refresh and an unchanged pulumi up make no Graph call", async () => {
    await pulumiOk(sandbox, dir, ["refresh", "--yes", "--skip-preview"]);
    const up = await pulumiOk(sandbox, dir, ["up", "--yes", "--skip-preview"]);
    expect(up.stdout).toMatch(/2 unchanged/);
    expect((await graphCalls(emulator)).all).toBe(0);
  });

  it("after the CLI is SIGKILLed mid-create, the documented recovery converges with the resource once", async () => {
    // The next POST answers 503 after 4 s, so the create is in flight when the CLI is killed; the
    // orphaned provider process then retries and logs — into a pipe nobody reads any more.
    await emulator.admin.addFault({
      path: "provisionOnDemand$",
      method: "POST",
      status: 503,
      delayMs: 4000,
      count: 1,
    });
    await pulumiOk(sandbox, dir, [
      "config",
      "set",
      "--path",
      "memberIds",
      JSON.stringify(emulator.fixture.userIds.slice(0, 2)),
    ]);
    const child = spawnPulumi(sandbox, dir, ["up", "--yes", "--skip-preview"]);
    const deadline = Date.now() + 120_000;
    while ((await emulator.admin.faults()).some((f) => f.remaining > 0)) {
      if (Date.now() > deadline) throw new Error("the create never reached the emulator");
      await new Promise((r) => setTimeout(r, 200));
    }
    process.kill(child.pid!, "SIGKILL");
    await new Promise((r) => setTimeout(r, 500));
    try {
      process.kill(-child.pid!, "SIGKILL"); // the plugin processes the CLI left behind
    } catch {
      // already gone
    }
    await emulator.admin.clearFaults();
    // The orphaned provider process must not linger (it used to spin on EPIPE, growing past 2 GB).
    const orphanDeadline = Date.now() + 20_000;
    while (providerProcessesIn(dir).length > 0 && Date.now() < orphanDeadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(providerProcessesIn(dir)).toEqual([]);

    // The recovery the README documents.
    await pulumiCli(sandbox, dir, ["cancel", "--yes"]);
    await pulumiOk(sandbox, dir, ["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
    await pulumiOk(sandbox, dir, ["up", "--yes", "--skip-preview"]);
    const ours = (await exportedResources()).filter((r) => r.type === OUR_TYPE);
    expect(ours).toHaveLength(1);
    expect(ours[0].outputs?.result).toMatch(/Success|Skipped/);
  });

  it("pulumi destroy makes no Graph call and empties the stack", async () => {
    await pulumiOk(sandbox, dir, ["destroy", "--yes", "--skip-preview"]);
    expect((await graphCalls(emulator)).all).toBe(0);
    expect((await exportedResources()).filter((r) => r.type === OUR_TYPE)).toHaveLength(0);
  });

  it("state written by an earlier build of the provider still refreshes and destroys", async () => {
    const fixture = path.join(repoRoot, "tests/e2e/fixtures/stack-v0.1.0.json");
    const upgradeDir = copyBasicExample(sandbox, "upgrade");
    // The fixture's secrets are encrypted with the passphrase it was recorded with (fixtures/README.md).
    const old = { ...sandbox, env: { ...sandbox.env, PULUMI_CONFIG_PASSPHRASE: "fixture-passphrase" } };
    await pulumiOk(old, upgradeDir, ["stack", "init", "old"]);
    const imported = path.join(sandbox.dir, "import.json");
    const state = JSON.parse(fs.readFileSync(fixture, "utf8"));
    fs.writeFileSync(imported, JSON.stringify(state));
    await pulumiOk(old, upgradeDir, ["stack", "import", "--file", imported, "--force"]);
    expect((await exportedResources(upgradeDir, old)).filter((r) => r.type === OUR_TYPE)).toHaveLength(1);
    await pulumiOk(old, upgradeDir, ["refresh", "--yes", "--skip-preview"]);
    await pulumiOk(old, upgradeDir, ["destroy", "--yes", "--skip-preview"]);
    expect((await exportedResources(upgradeDir, old)).filter((r) => r.type === OUR_TYPE)).toHaveLength(0);
    expect((await graphCalls(emulator)).all).toBe(0);
  });
});
