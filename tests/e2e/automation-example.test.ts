/**
 * The examples as users run them. examples/automation: the Automation API script is run as a child
 * process (`node index.js users.csv`, `users.json`, `--destroy`) with the emulator's settings in its
 * environment, a local file backend and the real Pulumi CLI; Graph calls are counted from the
 * emulator's request log. examples/azuread-full and examples/automation: `npm run typecheck`, so CI
 * type-checks the seed example against the real @pulumi/azuread declarations.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { RunningEmulator } from "../../src/emulator";
import { environmentFor } from "../../src/emulator/cli";
import { repoRoot } from "../../scripts/lib/pulumiSandbox";
import { OUR_TYPE } from "../support/automation";
import { ensureInstalled, runCommand } from "../support/commands";
import { graphCalls } from "../support/emulator";
import { filesContaining } from "../support/files";
import { describeWithPulumi, withEmulatorAndSandbox, type PulumiSandbox } from "../support/pulumi";

jest.setTimeout(6 * 60_000);

const automationDir = path.join(repoRoot, "examples/automation");
const azureadFullDir = path.join(repoRoot, "examples/azuread-full");
const PROJECT = "provision-on-demand-automation";
const STACK = "users";

/** The progress lines of a run (`✓ …`, `• …`, `! …`, `✗ …`). */
function progressLines(stdout: string): string[] {
  return stdout.split("\n").filter((line) => /^[✓•!✗] /.test(line));
}

describeWithPulumi("examples/automation: provisioning users from a CSV or JSON file", () => {
  let emulator: RunningEmulator;
  let sandbox: PulumiSandbox;
  let env: NodeJS.ProcessEnv;

  /** `node index.js ARGS` in examples/automation, as a user runs it. */
  const script = (...args: string[]) =>
    runCommand(process.execPath, ["index.js", ...args], { cwd: automationDir, env });

  /** Our resources in the stack, read from the file backend on disk. */
  function stackResources(): { type: string; outputs?: Record<string, unknown> }[] {
    const file = path.join(sandbox.dir, "backend/.pulumi/stacks", PROJECT, `${STACK}.json`);
    const checkpoint = JSON.parse(fs.readFileSync(file, "utf8"));
    const resources = (checkpoint.checkpoint?.latest?.resources ?? []) as {
      type: string;
      outputs?: Record<string, unknown>;
    }[];
    return resources.filter((r) => r.type === OUR_TYPE);
  }

  withEmulatorAndSandbox(async (started, made) => {
    ensureInstalled(automationDir, ["@pulumi/pulumi", "pulumi-azuread-provision-on-demand"]);
    emulator = started;
    sandbox = made;
    // What `graph-emulator --json` prints under "env", plus the ids; sandbox.env has the CLI on PATH,
    // the file backend in the sandbox and PULUMI_CONFIG_PASSPHRASE.
    env = {
      ...sandbox.env,
      ...environmentFor(emulator),
      SERVICE_PRINCIPAL_ID: emulator.fixture.servicePrincipalId,
      SYNCHRONIZATION_JOB_ID: emulator.fixture.jobId,
      STACK_NAME: STACK,
    };
  });

  it("users.csv: a progress line per user, the summary table, the users in the target, one POST each", async () => {
    const f = emulator.fixture;
    const result = await script("users.csv");
    const output = result.stdout + result.stderr;
    expect({ code: result.code, output }).toEqual({ code: 0, output: expect.any(String) });

    const lines = progressLines(result.stdout);
    expect(lines).toHaveLength(4);
    for (const [name, id] of [
      ["Alice Example", f.userIds[0]],
      ["Bob Example", f.userIds[1]],
      ["Carol Example", f.userIds[2]],
    ]) {
      expect(lines.filter((l) => l.includes(id))).toEqual([`✓ ${name} (${id}) Success`]);
    }
    expect(lines.filter((l) => l.includes(f.unassignedUserId))).toEqual([
      expect.stringMatching(
        new RegExp(`^• Dave Unassigned \\(${f.unassignedUserId}\\) Skipped NotEffectivelyEntitled: `),
      ),
    ]);

    // The summary: counts by result, then one row per user.
    expect(result.stdout).toMatch(/^\s+Success\s+3$/m);
    expect(result.stdout).toMatch(/^\s+Skipped\s+1$/m);
    expect(result.stdout).toMatch(/^\s+Total\s+4$/m);
    expect(result.stdout).not.toMatch(/^\s+(Failure|Warning|Not run)\s+\d+$/m);
    const rows = result.stdout
      .split("\n")
      .filter((l) => /^\s+(Success|Skipped|Failure|Warning|Not run)\s+\S.*8f1a2b3c-/.test(l));
    expect(rows).toHaveLength(4);
    expect(rows.filter((r) => /^\s+Success\s.*\screated$/.test(r))).toHaveLength(3);

    const target = await emulator.admin.target(f.servicePrincipalId);
    const ids = target.objects.map((o) => o.objectId);
    expect(ids).toEqual(expect.arrayContaining(f.userIds));
    expect(ids).not.toContain(f.unassignedUserId);
    expect((await graphCalls(emulator)).post).toBe(4);

    // The secret went into the stack config encrypted: not in the output, not on disk in plaintext.
    expect(output).not.toContain(emulator.clientSecret);
    expect(filesContaining(sandbox.dir, emulator.clientSecret)).toEqual([]);
    expect(stackResources()).toHaveLength(4);
  });

  it("users.json (the same users): every line unchanged, no Graph call", async () => {
    const result = await script("users.json");
    expect(result.code).toBe(0);
    const lines = progressLines(result.stdout);
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toMatch(/\(unchanged: the result of an earlier run\)$/);
    expect(result.stdout).toMatch(/^\s+Success\s+3$/m);
    expect(result.stdout).toMatch(/^\s+Skipped\s+1$/m);
    expect((await graphCalls(emulator)).all).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(emulator.clientSecret);
  });

  it("--destroy empties the stack without a Graph call", async () => {
    const result = await script("--destroy");
    expect(result.code).toBe(0);
    expect(
      result.stdout.split("\n").filter((l) => l.startsWith("- ") && l.includes("forgotten")),
    ).toHaveLength(4);
    expect(result.stdout).toContain("the stack now holds 0");
    expect(stackResources()).toEqual([]);
    expect((await graphCalls(emulator)).all).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(emulator.clientSecret);
  });
});

describe("the examples type-check", () => {
  it.each([
    [
      "examples/azuread-full (the seed example with @pulumi/azuread)",
      azureadFullDir,
      ["@pulumi/azuread", "@pulumi/pulumi", "pulumi-azuread-provision-on-demand", "typescript"],
    ],
    [
      "examples/automation (index.js through its JSDoc types)",
      automationDir,
      ["@pulumi/pulumi", "pulumi-azuread-provision-on-demand", "typescript", "@types/node"],
    ],
  ])("%s: npm run typecheck exits 0", async (_, dir, deps) => {
    ensureInstalled(dir, deps);
    const result = await runCommand("npm", ["run", "--silent", "typecheck"], { cwd: dir, env: process.env });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});
