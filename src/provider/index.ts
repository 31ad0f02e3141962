/**
 * The provider's implementation, loaded lazily (by package name) from the small serialisable shell in
 * `provisionOnDemand.ts`. Module state here — settings, the Graph client with its token cache, schema
 * cache and pacer — lives once per provider process and is never serialised into Pulumi state.
 * Everything that leaves this module (errors, log lines, outputs) passes the one redaction step.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { graphClientFor } from "../graphClient";
import { redact, redactDeep } from "../graph/redact";
import { secretsOf, type GraphSettings } from "../graph/settings";
import { checkInputs, parseKnownInputs } from "./check";
import { provision } from "./create";
import { diffInputs, UPDATE_PROPERTIES } from "./diff";
import { resolveSettings, type ConfigLookup } from "./settings";
import type { ProvisionOnDemandInputs } from "./state";

let configLookup: ConfigLookup = () => undefined;
let settings: GraphSettings | undefined;
let exitOnBrokenPipe = false;

/**
 * When the engine dies (SIGKILL, a lost CI runner) this provider process is orphaned and every write
 * to standard error fails with EPIPE. Unhandled, each failure becomes an uncaught exception that the
 * dynamic-provider host logs to standard error again: a loop seen spinning at 70 % CPU and growing
 * past 2.5 GB. Nobody can receive our results any more, so the process exits instead. Installed when
 * the engine configures the provider (the process is then a provider host), never on import.
 */
function installBrokenPipeExit(): void {
  if (exitOnBrokenPipe) return;
  exitOnBrokenPipe = true;
  process.stderr.on("error", (error: NodeJS.ErrnoException) => {
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
  return failures.length > 0 ? { inputs, failures } : { inputs };
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

/** Provisions the subjects now. */
export async function create(inputs: Record<string, unknown>): Promise<dynamic.CreateResult> {
  try {
    const client = graphClientFor(currentSettings(), { log: logLine });
    const result = await provision(client, parseKnownInputs(inputs), logLine);
    return redactDeep(result, currentSecrets());
  } catch (error) {
    throw redactDeep(error, currentSecrets());
  }
}

/** Records the new non-provisioning inputs (failOnProvisioningError, timeouts); no HTTP call. */
export async function update(
  _id: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<dynamic.UpdateResult> {
  const { __provider: _, ...outs } = olds;
  for (const key of UPDATE_PROPERTIES) {
    if (news[key] !== undefined) outs[key] = news[key];
  }
  return { outs: outs as Partial<ProvisionOnDemandInputs> };
}
