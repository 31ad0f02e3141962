/**
 * Driving the provider's implementation in-process as the engine would: stack config for `configure`,
 * resource inputs for the fixture's job, and the engine's check-then-create flow.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { RunningEmulator } from "../../src/emulator";
import { emulatorStackConfig } from "../../scripts/lib/pulumiSandbox";
import type { StderrCapture } from "./capture";

/** Stack config as the engine gives it to `configure`: fully qualified keys. */
export type StackConfig = Record<string, string | undefined>;

/**
 * The stack config that points the provider at `emulator` with the caller app's client secret and
 * pacing off; `overrides` add or replace keys (`undefined` removes one).
 */
export function emulatorConfig(emulator: RunningEmulator, overrides: StackConfig = {}): StackConfig {
  return { ...emulatorStackConfig(emulator), "provisionOnDemand:rateLimit": "off", ...overrides };
}

/** A `ConfigureRequest` over a plain map, the way `pulumi.Config` answers `get` and `require`. */
export function configureRequest(config: StackConfig): dynamic.ConfigureRequest {
  const get = (key: string) => config[key];
  const stackConfig = {
    get,
    require: (key: string) => {
      const value = get(key);
      if (value === undefined) throw new Error(`Missing required configuration variable '${key}'`);
      return value;
    },
  };
  return { config: stackConfig as unknown as pulumi.Config };
}

/** The provider methods the tests drive (the implementation module or the serialisable shell). */
export type Provider = Required<Pick<dynamic.ResourceProvider, "configure" | "check" | "create">>;

/** Resource inputs as a program gives them, for the default fixture's job. */
export function inputsFor(
  emulator: RunningEmulator,
  subjects: unknown[],
  extra: Record<string, unknown> = {},
  parameter: Record<string, unknown> = { ruleId: emulator.fixture.ruleId },
): Record<string, unknown> {
  return {
    servicePrincipalId: emulator.fixture.servicePrincipalId,
    synchronizationJobId: emulator.fixture.jobId,
    parameters: [{ ...parameter, subjects }],
    ...extra,
  };
}

/** The engine's flow for a new resource: check (normalise), then create with the checked inputs. */
export async function checkAndCreate(
  provider: Provider,
  news: Record<string, unknown>,
): Promise<dynamic.CreateResult> {
  const checked = await provider.check({}, news);
  if (checked.failures?.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
  return provider.create(checked.inputs as Record<string, unknown>);
}

/**
 * Registers the hooks that start each test of the block from a clean slate: the emulator reset to its
 * fixture, `provider` configured for it (`emulatorConfig`), and `stderr` capturing until the test ends.
 */
export function freshProviderEachTest(
  provider: Pick<Provider, "configure">,
  emulator: () => RunningEmulator,
  stderr: StderrCapture,
): void {
  beforeEach(async () => {
    await emulator().admin.reset();
    await provider.configure(configureRequest(emulatorConfig(emulator())));
    stderr.start();
  });
  afterEach(() => stderr.stop());
}
