/**
 * The Automation API for the end-to-end tests: an inline-program stack whose workDir has a
 * node_modules like a user's project (our package and @pulumi/pulumi), the engine's output and
 * events, and our resources in an exported deployment.
 */
import * as path from "node:path";
import type * as automation from "@pulumi/pulumi/automation";
import type { RunningEmulator } from "../../src/emulator";
import {
  automationConfig,
  emulatorStackConfig,
  linkWorkDir,
  repoRoot,
  type PulumiSandbox,
} from "../../scripts/lib/pulumiSandbox";

/** The type token of our resource in the engine's events and state. */
export const OUR_TYPE = "pulumi-nodejs:dynamic/azuread:SynchronizationJobProvisionOnDemand";

/** The package under test, as users import it (the built CommonJS). */
export function loadPackage(): typeof import("../../src") {
  return require(path.join(repoRoot, "dist/index.js"));
}

/** Creates an inline-program stack configured for the emulator (client secret as a secret). */
export async function inlineStack(
  sandbox: PulumiSandbox,
  emulator: RunningEmulator,
  stackName: string,
  program: automation.PulumiFn,
  extraConfig: Record<string, { value: string; secret?: boolean }> = {},
): Promise<automation.Stack> {
  const { LocalWorkspace, PulumiCommand } = require("@pulumi/pulumi/automation") as typeof automation;
  const workDir = linkWorkDir(path.join(sandbox.dir, `work-${stackName}`));
  const pulumiCommand = await PulumiCommand.get({ root: sandbox.pulumiRoot, skipVersionCheck: true });
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, projectName: "pod-e2e", program },
    {
      workDir,
      pulumiCommand,
      envVars: sandbox.env,
      projectSettings: { name: "pod-e2e", runtime: "nodejs", main: workDir },
    },
  );
  await stack.setAllConfig({ ...automationConfig(emulatorStackConfig(emulator)), ...extraConfig });
  return stack;
}

/** Runs `fn` with every engine output line collected; returns both. */
export async function collectOutput<T>(
  fn: (onOutput: (line: string) => void) => Promise<T>,
): Promise<{ result: T; output: string }> {
  let output = "";
  const result = await fn((line) => {
    output += line;
  });
  return { result, output };
}

/** The resources of our type in an exported deployment. */
export function ourResources(
  deployment: automation.Deployment,
): { urn: string; outputs: Record<string, unknown>; inputs: Record<string, unknown> }[] {
  const resources = (deployment.deployment.resources ?? []) as {
    urn: string;
    type: string;
    outputs: Record<string, unknown>;
    inputs: Record<string, unknown>;
  }[];
  return resources.filter((r) => r.type === OUR_TYPE);
}

/** Collects the planned operation of each of our resources from the engine's events ("create", "same", …). */
export function ourOperations(): { onEvent: (event: automation.EngineEvent) => void; ops: string[] } {
  const ops: string[] = [];
  return {
    ops,
    onEvent: (event) => {
      const meta = event.resourcePreEvent?.metadata;
      if (meta && meta.type === OUR_TYPE) ops.push(meta.op);
    },
  };
}
