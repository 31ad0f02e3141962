/**
 * The real Pulumi CLI for the end-to-end suites: found or built by scripts/ensure-pulumi, run in a
 * sandbox (scripts/lib/pulumiSandbox.js) whose CLI trusts the emulator's CA. Without a CLI a suite
 * fails on CI and is skipped loudly elsewhere.
 */
import * as path from "node:path";
import type { RunningEmulator } from "../../src/emulator";
import { isCi } from "../../scripts/lib/ci";
import { startTestEmulator } from "./emulator";
import { NEEDS_CLI_TITLE, NO_CLI_MARK } from "../../scripts/lib/e2eSummary";
import { createPulumiSandbox, ensurePulumiBin, type PulumiSandbox } from "../../scripts/lib/pulumiSandbox";

export type { PulumiSandbox } from "../../scripts/lib/pulumiSandbox";

let found: { bin?: string; why?: string } | undefined;

/** The folder holding `pulumi` and its plugins, or undefined (why: `found.why`); looked up once. */
export function pulumiBin(): string | undefined {
  if (!found) {
    try {
      found = { bin: ensurePulumiBin() };
    } catch (error) {
      found = { why: (error as Error).message };
    }
  }
  return found.bin;
}

/**
 * `describe` when the Pulumi CLI is available. Without it: on CI (`CI` set, see scripts/lib/ci.js) a
 * failing test; elsewhere the suite is skipped under a title that says so, with one loud line on
 * stderr saying how to get the CLI.
 */
export function describeWithPulumi(name: string, body: () => void): void {
  if (pulumiBin()) {
    describe(name, body);
    return;
  }
  if (isCi()) {
    describe(name, () => {
      it(NEEDS_CLI_TITLE, () => {
        throw new Error(`no Pulumi CLI: scripts/ensure-pulumi failed: ${found?.why}`);
      });
    });
    return;
  }
  process.stderr.write(
    `\n!!! SKIPPING end-to-end suite "${name}": no Pulumi CLI. Install it (pulumi.com) or Go >= 1.26 ` +
      `so scripts/ensure-pulumi can build it; with CI=true this is a failure. (${found?.why})\n\n`,
  );
  describe.skip(`${name} ${NO_CLI_MARK}`, body);
}

/**
 * A sandbox for the CLI, trusting the emulator's CA; `cleanup()` removes it. Node's compile cache
 * (which the dynamic-provider host turns on) is kept inside it, so that test runs, which install
 * the package into ever new folders, do not pile cache entries up in the machine's temporary folder.
 */
export function createSandbox(emulator: RunningEmulator): PulumiSandbox {
  const sandbox = createPulumiSandbox({
    bin: pulumiBin()!,
    caCertPath: emulator.caCertPath,
    passphrase: "e2e-passphrase",
    prefix: "pod-e2e-",
  });
  sandbox.env.NODE_COMPILE_CACHE = path.join(sandbox.dir, "compile-cache");
  return sandbox;
}

/**
 * Registers the hooks of an end-to-end suite: a test emulator and a Pulumi sandbox trusting it for the
 * whole suite, handed to `setUp` (which keeps them and prepares the rest), both removed after the
 * suite, and the emulator's request log cleared before each test.
 */
export function withEmulatorAndSandbox(
  setUp: (emulator: RunningEmulator, sandbox: PulumiSandbox) => void | Promise<void>,
): void {
  let emulator: RunningEmulator | undefined;
  let sandbox: PulumiSandbox | undefined;
  beforeAll(async () => {
    emulator = await startTestEmulator();
    sandbox = createSandbox(emulator);
    await setUp(emulator, sandbox);
  });
  afterAll(async () => {
    await emulator?.stop();
    sandbox?.cleanup();
  });
  beforeEach(async () => {
    await emulator?.admin.clearRequests();
  });
}
