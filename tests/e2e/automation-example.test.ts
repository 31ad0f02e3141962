/**
 * The examples as users run them. examples/automation: the Automation API script is run as a child
 * process (`node index.js users.csv`, `users.json`, `--destroy`) with the emulator's settings in its
 * environment, a local file backend and the real Pulumi CLI; Graph calls are counted from the
 * emulator's request log. examples/azuread-full and examples/automation: `npm run typecheck`, so CI
 * type-checks the seed example against the real @pulumi/azuread declarations.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { RunningEmulator } from "../../src/emulator";
import {
  createSandbox,
  describeWithPulumi,
  graphCalls,
  repoRoot,
  startTestEmulator,
  type PulumiSandbox,
} from "./harness";
import { filesContaining, OUR_TYPE } from "./workspace";

jest.setTimeout(6 * 60_000);

const automationDir = path.join(repoRoot, "examples/automation");
const azureadFullDir = path.join(repoRoot, "examples/azuread-full");
const PROJECT = "provision-on-demand-automation";
/** This process's environment without jest's NODE_OPTIONS (--experimental-vm-modules), for plain tools. */
const plainEnv = (() => {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
})();
const STACK = "users";

/** Installs an example's dependencies when any of `deps` is missing (like copyBasicExample). */
function ensureInstalled(dir: string, deps: string[]): void {
  if (deps.every((dep) => fs.existsSync(path.join(dir, "node_modules", dep, "package.json")))) return;
  execFileSync("npm", ["install", "--no-audit", "--no-fund"], {
    cwd: dir,
    stdio: "inherit",
    timeout: 5 * 60_000,
  });
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command; resolves with its exit code and output (never rejects on the exit code). */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env, timeout: 5 * 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The progress lines of a run (`✓ …`, `• …`, `! …`, `✗ …`). */
function progressLines(stdout: string): string[] {
  return stdout.split("\n").filter((line) => /^[✓•!✗] /.test(line));
}

describeWithPulumi("examples/automation: provisioning users from a CSV or JSON file", () => {
  let emulator: RunningEmulator;
  let sandbox: PulumiSandbox;
  let env: NodeJS.ProcessEnv;

  /** `node index.js ARGS` in examples/automation, as a user runs it. */
  const script = (...args: string[]) => run(process.execPath, ["index.js", ...args], automationDir, env);

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

  beforeAll(async () => {
    ensureInstalled(automationDir, ["@pulumi/pulumi", "pulumi-azuread-provision-on-demand"]);
    emulator = await startTestEmulator();
    sandbox = createSandbox(emulator);
    // What `graph-emulator --json` prints under "env", plus the ids; sandbox.env has the CLI on PATH,
    // the file backend in the sandbox and PULUMI_CONFIG_PASSPHRASE.
    env = {
      ...sandbox.env,
      PROVISION_ON_DEMAND_GRAPH_URL: emulator.graphUrl,
      AZURE_AUTHORITY_HOST: emulator.authorityHost,
      NODE_EXTRA_CA_CERTS: emulator.caCertPath,
      ARM_TENANT_ID: emulator.tenantId,
      ARM_CLIENT_ID: emulator.clientId,
      ARM_CLIENT_SECRET: emulator.clientSecret,
      SERVICE_PRINCIPAL_ID: emulator.fixture.servicePrincipalId,
      SYNCHRONIZATION_JOB_ID: emulator.fixture.jobId,
      STACK_NAME: STACK,
    };
  });

  afterAll(async () => {
    await emulator?.stop();
    sandbox?.cleanup();
  });

  beforeEach(async () => {
    await emulator.admin.clearRequests();
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
  it("examples/azuread-full (the seed example with @pulumi/azuread): npm run typecheck exits 0", async () => {
    ensureInstalled(azureadFullDir, [
      "@pulumi/azuread",
      "@pulumi/pulumi",
      "pulumi-azuread-provision-on-demand",
      "typescript",
    ]);
    const result = await run("npm", ["run", "--silent", "typecheck"], azureadFullDir, plainEnv);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("examples/automation (index.js through its JSDoc types): npm run typecheck exits 0", async () => {
    ensureInstalled(automationDir, [
      "@pulumi/pulumi",
      "pulumi-azuread-provision-on-demand",
      "typescript",
      "@types/node",
    ]);
    const result = await run("npm", ["run", "--silent", "typecheck"], automationDir, plainEnv);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});
