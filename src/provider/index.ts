/**
 * The provider's implementation, loaded lazily (by package name) from the small serialisable shell in
 * `provisionOnDemand.ts`. Module state here — settings, the Graph client with its token cache, schema
 * cache and pacer — lives once per provider process and is never serialised into Pulumi state.
 * Everything that leaves this module (errors, log lines, outputs) passes the one redaction step.
 */
// First: in the provider host it turns on Node's compile cache before anything heavy is loaded.
import { flushCompileCache } from "./compileCache";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { graphClientFor } from "../graphClient";
import { redact, redactDeep } from "../graph/redact";
import { secretsOf, type GraphSettings } from "../graph/settings";
import { checkInputs, containsUnknown, parseKnownInputs } from "./check";
import { GRAPH_MEMBERS_PER_REQUEST } from "./limits";
import { findGroup, listedMembers, timeBudgetProblem } from "./requests";
import { provision, provisionMemberChanges, type RunContext } from "./create";
import { diffInputs, UPDATE_PROPERTIES } from "./diff";
import { resolveSettings, type ConfigLookup } from "./settings";
import type { ParameterState, ProvisionOnDemandOutputs } from "./state";

let configLookup: ConfigLookup = () => undefined;
let settings: GraphSettings | undefined;

/** Marks process.stderr once the EPIPE exit is installed. */
const BROKEN_PIPE_EXIT = Symbol.for("pulumi-azuread-provision-on-demand.exitOnBrokenPipe");

/**
 * When the engine dies (SIGKILL, a lost CI runner) this provider process is orphaned and every write
 * to standard error fails with EPIPE. Unhandled, each failure becomes an uncaught exception that the
 * dynamic-provider host logs to standard error again: a loop seen spinning at 70 % CPU and growing
 * past 2.5 GB. Nobody can receive our results any more, so the process exits instead. Installed when
 * the engine configures the provider (the process is then a provider host), never on import.
 */
function installBrokenPipeExit(): void {
  // Once per process, even when the module is loaded again (a test runner's fresh module registry).
  const stderr = process.stderr as NodeJS.WriteStream & { [BROKEN_PIPE_EXIT]?: true };
  if (stderr[BROKEN_PIPE_EXIT]) return;
  stderr[BROKEN_PIPE_EXIT] = true;
  stderr.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(1);
  });
}

/** The settings for this process, resolved on first use (so a config error fails the create, not the preview). */
function currentSettings(): GraphSettings {
  settings ??= resolveSettings(configLookup);
  return settings;
}

/** The secrets to redact: those of the settings, when they could be resolved. */
function currentSecrets(): string[] {
  try {
    return secretsOf(currentSettings());
  } catch {
    return [];
  }
}

/** Writes one diagnostic line to standard error (the engine shows it), redacted. */
function logLine(line: string): void {
  process.stderr.write(`${redact(line, currentSecrets())}\n`);
}

/** Receives the stack configuration (fully qualified keys, secrets decrypted). */
export async function configure(req: dynamic.ConfigureRequest): Promise<void> {
  installBrokenPipeExit();
  configLookup = (key) => {
    try {
      return req.config.get(key);
    } catch {
      return undefined;
    }
  };
  settings = undefined;
}

/** Validates and normalises inputs; no HTTP call. */
export async function check(
  _olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<dynamic.CheckResult> {
  const { inputs, failures } = checkInputs(news);
  if (failures.length > 0) return { inputs, failures };
  const budget = timeBudgetFailure(inputs);
  return budget ? { inputs, failures: [budget] } : { inputs };
}

/**
 * A listed group too large for the create timeout at the configured pace fails at check (preview),
 * not minutes into the create. Skipped when the settings cannot be resolved yet (create says why).
 */
function timeBudgetFailure(inputs: Record<string, unknown>) {
  if (containsUnknown(inputs.parameters) || typeof inputs.createTimeoutSeconds !== "number") return undefined;
  const parameters = inputs.parameters as ParameterState[];
  const group = findGroup(parameters);
  if (!group) return undefined;
  let rateLimit;
  try {
    rateLimit = currentSettings().rateLimit;
  } catch {
    return undefined;
  }
  const requests = Math.max(1, Math.ceil(listedMembers(group.subject).length / GRAPH_MEMBERS_PER_REQUEST));
  const problem = timeBudgetProblem(requests, rateLimit, inputs.createTimeoutSeconds);
  return problem
    ? {
        property: `parameters[${group.parameterIndex}].subjects[${group.subjectIndex}].links.members`,
        reason: problem,
      }
    : undefined;
}

/** Replace on a change of what is provisioned; update in place otherwise; no HTTP call. */
export async function diff(
  _id: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<dynamic.DiffResult> {
  const { changes, replaces } = diffInputs(olds, news);
  return { changes, replaces, deleteBeforeReplace: false };
}

/** What create and update work with: the process's Graph client and the redacting log. */
function runContext(): RunContext {
  return { client: graphClientFor(currentSettings(), { log: logLine }), log: logLine };
}

/** Runs `work` so that whatever leaves it, result or error, is redacted. */
async function redacted<T>(work: () => Promise<T>): Promise<T> {
  try {
    return redactDeep(await work(), currentSecrets());
  } catch (error) {
    throw redactDeep(error, currentSecrets());
  }
}

/** Provisions the subjects now. */
export async function create(inputs: Record<string, unknown>): Promise<dynamic.CreateResult> {
  return redacted(() => provision(runContext(), parseKnownInputs(inputs)));
}

/**
 * Provisions the group's changed members when only they (or memberTriggers) changed; otherwise
 * records the new non-provisioning inputs (failOnProvisioningError, timeouts, recordSteps) with no Graph call.
 */
export async function update(
  _id: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<dynamic.UpdateResult> {
  return redacted(async () => {
    const { __provider: _, ...previous } = olds;
    const inputs = parseKnownInputs(news);
    if (diffInputs(previous, inputs as unknown as Record<string, unknown>).membersChanged) {
      return {
        outs: await provisionMemberChanges(
          runContext(),
          previous as unknown as ProvisionOnDemandOutputs,
          inputs,
        ),
      };
    }
    const outs: Record<string, unknown> = { ...previous };
    for (const key of UPDATE_PROPERTIES) {
      if (inputs[key] === undefined) delete outs[key];
      else outs[key] = inputs[key];
    }
    return { outs };
  });
}

/**
 * The serialised shell's entry for configure, check, diff and create: one function in the state
 * instead of four (provisionOnDemand.ts says why). It tells the calls apart by their arguments, as
 * the dynamic-provider host passes them: `diff(id, olds, news)` is the only one whose first argument
 * is a string, `check(olds, news)` the only other one with a second argument, `configure(req)` gets
 * the `{ config }` request, and `create(inputs)` the rest.
 */
export function dispatch(first: unknown, second?: unknown, third?: unknown): Promise<unknown> {
  if (typeof first === "string")
    return diff(first, second as Record<string, unknown>, third as Record<string, unknown>);
  if (second !== undefined) return check(first as Record<string, unknown>, second as Record<string, unknown>);
  const config = (first as { config?: { get?: unknown } } | undefined)?.config;
  if (typeof config?.get === "function") return configure(first as dynamic.ConfigureRequest);
  // After the first create everything it needs (identity, MSAL) is loaded: the compile cache is complete.
  return create(first as Record<string, unknown>).finally(flushCompileCache);
}
