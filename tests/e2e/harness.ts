/**
 * Shared set-up for the end-to-end tests: the real Pulumi CLI (found or built by
 * scripts/ensure-pulumi), a local file backend and PULUMI_HOME in a temporary folder, and the
 * project's emulator over real HTTPS. Nothing here is mocked.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type RunningEmulator, type StartEmulatorOptions } from "../../src/emulator";

/** The repository root. */
export const repoRoot = path.resolve(__dirname, "../..");

/** Set per suite: the CLI's bin folder, or why there is none. */
function findPulumiBin(): { bin?: string; why?: string } {
  try {
    const out = execFileSync(path.join(repoRoot, "scripts/ensure-pulumi"), {
      cwd: repoRoot,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      timeout: 20 * 60_000,
    });
    const bin = out.trim().split("\n").pop()!;
    return { bin };
  } catch (error) {
    return { why: (error as Error).message };
  }
}

let found: { bin?: string; why?: string } | undefined;

/** The folder holding `pulumi` and `pulumi-resource-pulumi-nodejs`, or undefined (then the suite is skipped). */
export function pulumiBin(): string | undefined {
  found ??= findPulumiBin();
  return found.bin;
}

/**
 * `describe` when the Pulumi CLI is available. Without it: on CI (`CI=true`) a failure; elsewhere
 * the suite is skipped with one loud line saying how to get the CLI.
 */
export function describeWithPulumi(name: string, body: () => void): void {
  const bin = pulumiBin();
  if (bin) {
    describe(name, body);
    return;
  }
  if (process.env.CI === "true") {
    describe(name, () => {
      it("needs the Pulumi CLI", () => {
        throw new Error(`no Pulumi CLI: scripts/ensure-pulumi failed: ${found?.why}`);
      });
    });
    return;
  }
  process.stderr.write(
    `\n!!! SKIPPING end-to-end suite "${name}": no Pulumi CLI. Install it (pulumi.com) or Go >= 1.26 ` +
      `so scripts/ensure-pulumi can build it. (${found?.why})\n\n`,
  );
  describe.skip(name, body);
}

/** A Pulumi sandbox: temporary PULUMI_HOME and file backend, and the environment to run the CLI with. */
export interface PulumiSandbox {
  /** The temporary folder holding everything. */
  readonly dir: string;
  /** The environment for the CLI and Automation API (PATH, PULUMI_HOME, backend, CA, passphrase). */
  readonly env: Record<string, string>;
  /** The Pulumi install root (parent of bin/), for `PulumiCommand.get({ root })`. */
  readonly pulumiRoot: string;
  /** Removes the folder. */
  cleanup(): void;
}

/** Makes a sandbox whose CLI trusts the emulator's CA. */
export function createSandbox(emulator: RunningEmulator): PulumiSandbox {
  const bin = pulumiBin()!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pod-e2e-"));
  const home = path.join(dir, "home");
  const backend = path.join(dir, "backend");
  fs.mkdirSync(home);
  fs.mkdirSync(backend);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    NODE_EXTRA_CA_CERTS: emulator.caCertPath,
  };
  // The test process itself runs with --experimental-vm-modules for jest; the CLI's children need not.
  delete env.NODE_OPTIONS;
  for (const key of Object.keys(env)) if (key.startsWith("ARM_") || key.startsWith("AZURE_")) delete env[key];
  return {
    dir,
    env,
    pulumiRoot: path.dirname(bin),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Starts an emulator that uses the test CA (which `npm test` made trusted through NODE_EXTRA_CA_CERTS). */
export async function startTestEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ caDir: process.env.PROVISION_ON_DEMAND_TEST_CA_DIR, ...options });
}

/** Counts the emulator's logged requests by kind since the last `clearRequests()`. */
export async function graphCalls(
  emulator: RunningEmulator,
): Promise<{ token: number; schema: number; post: number; all: number }> {
  const requests = await emulator.admin.requests();
  return {
    token: requests.filter((r) => r.kind === "token").length,
    schema: requests.filter((r) => r.kind === "schema").length,
    post: requests.filter((r) => r.kind === "provisionOnDemand").length,
    all: requests.length,
  };
}

/** The stack config that points our provider at the emulator, credentials included. */
export function emulatorStackConfig(
  emulator: RunningEmulator,
): Record<string, { value: string; secret?: boolean }> {
  return {
    "azuread:tenantId": { value: emulator.tenantId },
    "azuread:clientId": { value: emulator.clientId },
    "azuread:clientSecret": { value: emulator.clientSecret, secret: true },
    "provisionOnDemand:graphUrl": { value: emulator.graphUrl },
    "provisionOnDemand:authorityHost": { value: emulator.authorityHost },
  };
}
