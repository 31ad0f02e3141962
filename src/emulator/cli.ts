#!/usr/bin/env node
/**
 * `graph-emulator`: runs the Graph + Entra emulator in the foreground until Ctrl-C (SIGINT), SIGTERM,
 * SIGHUP or — so that killing `npx graph-emulator` does not orphan it — until the process that
 * started it exits. It prints the environment that points a program at it (or writes it to
 * `--write-env`) and one line per request. With `--json` the first stdout line is one JSON object for
 * scripts, and request lines go to stderr. `graph-emulator env` and `graph-emulator target` talk to
 * a running emulator (cliClient.ts).
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { defaultFixture, formatLogLine, parseFixture, startEmulator } from "./index";
import type { RunningEmulator, StartEmulatorOptions } from "./index";
import { trustedCaFile } from "./caBundle";
import type { TrustedCaFile } from "./caBundle";
import { CLIENT_USAGE, CliError, DEFAULT_CA_DIR, envCommand, targetCommand } from "./cliClient";
import type { CliOutput } from "./cliClient";
import { environmentFor, environmentText } from "./environment";
import { loadFixtureFile } from "./fixture";
import type { ValidatedFixture } from "./fixture";
import { currentAncestors, watchParent } from "./parentWatch";
import { removeFileIfUnchanged, shellQuote, writePrivateFile } from "./shellEnv";
import { formatDuration, formatRateLimit, parseDurationMs, parseRateLimit } from "../duration";
import { DEFAULT_DIRECTORY_READ_RATE_LIMIT, DEFAULT_RATE_LIMIT } from "./rateLimit";

export { environmentFor } from "./environment";
export type { CliOutput } from "./cliClient";

const USAGE = `Usage: graph-emulator [options]
       graph-emulator env|target …   (for a running emulator, see below)

Runs an offline Microsoft Graph + Entra ID emulator for the provisionOnDemand API over HTTPS, in the
foreground, until Ctrl-C, SIGTERM or SIGHUP, or until the process that started it exits.

Options:
  --port <n>              TCP port (default 0: a free port)
  --host <address>        listen address (default 127.0.0.1); URLs always use localhost
  --write-env <file>      once it serves, write the environment a program needs (ARM_*, URLs,
                          NODE_EXTRA_CA_CERTS, the fixture's POD_* ids) as export lines, mode 0600;
                          load it with ". ./file" or "source ./file"; removed when the emulator stops
  --client-secret <value> the caller app's client secret (default: random, new at every start)
  --fixture <file.json>   seed data (default: the built-in Databricks example fixture)
  --rate-limit <spec>     provisionOnDemand limit per tenant: "5/10s" (default), "2/1s", "10/500ms", "off"
  --directory-read-rate-limit <spec>
                          group-member reads per tenant, same forms (default "off")
  --group-members <n>     give the fixture's group "example" exactly n direct user members (the 3 named
                          ones first, then generated member4@… with ids 8f1a2b3c-0000-4000-a000-…), 0-100000
  --shape <live|docs>     provisionOnDemand answer shape (default live)
  --replication-lag <d>   objects added at run time answer 404 for this long: "0" (default), "2s", "500ms"
                          (a number needs a unit; only "0" may go without)
  --ca-dir <dir>          where the CA lives (default: ${DEFAULT_CA_DIR}, reused)
  --outlive-parent        keep serving when the process that started it exits (e.g. under nohup)
  --json                  print one JSON line with URLs, credentials and fixture ids first; logs to stderr
  --quiet                 no per-request log lines
  -h, --help              show this help

${CLIENT_USAGE}`;

const processOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Where the client secret of the started emulator comes from. */
type SecretSource = "random" | "--client-secret" | "fixture";

const SECRET_NOTES: Record<SecretSource, string> = {
  random: "random, new at every start (pin it with --client-secret VALUE)",
  "--client-secret": "set by --client-secret, the same at every start",
  fixture: "set by the fixture, the same at every start",
};

/** An emulator started by the CLI: stopping it also removes its env file. */
export interface CliEmulator extends RunningEmulator {
  /** The env file written, absolute. */
  readonly envFile?: string;
  /** Keep serving when the parent process exits. */
  readonly outliveParent: boolean;
}

/** The values the CLI prints, also the `--json` line; `env` is what the env file sets. */
export function connectionDetails(
  emulator: RunningEmulator,
  env: Record<string, string> = environmentFor(emulator),
  extra: { envFile?: string; clientSecretSource?: SecretSource } = {},
): Record<string, unknown> {
  return {
    graphUrl: emulator.graphUrl,
    authorityHost: emulator.authorityHost,
    caCertPath: emulator.caCertPath,
    tenantId: emulator.tenantId,
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    fixture: emulator.fixture,
    adminUrl: `${emulator.url}/_emulator/`,
    env,
    pid: process.pid,
    ...extra,
  };
}

/** What the command line asks for: the emulator's options and how to print. */
interface CommandLine {
  /** The options for `startEmulator` (without `fixture` and `onRequest`). */
  readonly options: StartEmulatorOptions;
  /** `--fixture`, when given. */
  readonly fixtureFile?: string;
  /** `--client-secret`, when given. */
  readonly clientSecret?: string;
  /** `--write-env`, absolute. */
  readonly envFile?: string;
  /** Print one JSON line, log to stderr. */
  readonly json: boolean;
  /** Print no request lines. */
  readonly quiet: boolean;
  /** Keep serving when the parent exits. */
  readonly outliveParent: boolean;
}

const OPTIONS = {
  port: { type: "string" },
  host: { type: "string" },
  fixture: { type: "string" },
  "write-env": { type: "string" },
  "client-secret": { type: "string" },
  "rate-limit": { type: "string" },
  "directory-read-rate-limit": { type: "string" },
  "group-members": { type: "string" },
  shape: { type: "string" },
  "replication-lag": { type: "string" },
  "ca-dir": { type: "string" },
  "outlive-parent": { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  quiet: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** Reads and checks the arguments; `"help"` when only help is wanted. Throws on an invalid one. */
function parseCommandLine(argv: string[]): CommandLine | "help" {
  const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS });
  if (values.help) return "help";
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`Invalid port "${values.port}"`);
  if (values.shape !== undefined && values.shape !== "live" && values.shape !== "docs")
    throw new RangeError(`Invalid shape "${values.shape}": use live or docs`);
  const groupMembers = values["group-members"];
  if (groupMembers !== undefined && !/^\d+$/.test(groupMembers))
    throw new RangeError(`Invalid --group-members "${groupMembers}": give a whole number`);
  const clientSecret = values["client-secret"];
  if (clientSecret !== undefined && !/^[\x21-\x7e]{1,256}$/.test(clientSecret))
    throw new RangeError("Invalid --client-secret: use 1 to 256 printable ASCII characters, no spaces");
  if (values["write-env"] === "") throw new RangeError("--write-env needs a file name");
  return {
    options: {
      port,
      host: values.host,
      rateLimit: formatRateLimit(parseRateLimit(values["rate-limit"] ?? DEFAULT_RATE_LIMIT, "--rate-limit")),
      directoryReadRateLimit: formatRateLimit(
        parseRateLimit(
          values["directory-read-rate-limit"] ?? DEFAULT_DIRECTORY_READ_RATE_LIMIT,
          "--directory-read-rate-limit",
        ),
      ),
      groupMembers: groupMembers === undefined ? undefined : Number(groupMembers),
      shape: values.shape ?? "live",
      replicationLagMs: parseDurationMs(values["replication-lag"] ?? "0", "--replication-lag"),
      caDir: values["ca-dir"] ?? DEFAULT_CA_DIR,
    },
    fixtureFile: values.fixture,
    clientSecret,
    envFile: values["write-env"] === undefined ? undefined : path.resolve(values["write-env"]),
    json: values.json,
    quiet: values.quiet,
    outliveParent: values["outlive-parent"],
  };
}

/** The app whose credentials the emulator hands out (as `DirectoryState.defaultCredentials` picks it). */
function defaultApplication(fixture: ValidatedFixture): ValidatedFixture["applications"][number] | undefined {
  const wanted = fixture.defaultClientId?.toLowerCase();
  return (
    fixture.applications.find((app) => wanted !== undefined && app.appId.toLowerCase() === wanted) ??
    fixture.applications.find((app) => app.clientSecrets.length > 0) ??
    fixture.applications[0]
  );
}

/** The fixture to start with, `--client-secret` applied, and where the client secret comes from. */
async function startFixture(
  commandLine: CommandLine,
): Promise<{ fixture: ValidatedFixture; secret: SecretSource }> {
  const fixture = structuredClone(
    commandLine.fixtureFile ? await loadFixtureFile(commandLine.fixtureFile) : parseFixture(defaultFixture()),
  );
  const app = defaultApplication(fixture);
  if (commandLine.clientSecret === undefined)
    return { fixture, secret: app?.clientSecrets[0]?.value !== undefined ? "fixture" : "random" };
  if (!app) throw new RangeError("--client-secret: the fixture has no application to give it to");
  const [first, ...rest] = app.clientSecrets;
  app.clientSecrets = [{ ...first, value: commandLine.clientSecret }, ...rest];
  return { fixture, secret: "--client-secret" };
}

/** Ids for a person to read: all of a few, or the first three and how many there are. */
function abbreviatedIds(ids: readonly string[]): string {
  return ids.length <= 5 ? ids.join(", ") : `${ids.slice(0, 3).join(", ")}, … (${ids.length} in all)`;
}

/** A path as a shell word that stays a path in the current folder (`./x`, not a PATH lookup). */
function shellPath(file: string): string {
  const shown = path.relative(process.cwd(), file);
  const relative = shown && !shown.startsWith("..") && !path.isAbsolute(shown) ? `./${shown}` : file;
  return /^[\w@%+=:,./-]+$/.test(relative) ? relative : shellQuote(relative);
}

/** The lines printed for people: settings, the environment (or where it was written), fixture ids. */
function banner(
  emulator: RunningEmulator,
  options: StartEmulatorOptions,
  {
    ca,
    envText,
    envFile,
    secret,
  }: { ca: TrustedCaFile; envText: string; envFile?: string; secret: SecretSource },
): string[] {
  const f = emulator.fixture;
  const environment = envFile
    ? [
        `Environment (credentials, URLs, CA, fixture ids) written to ${envFile}; in the shell of your program:`,
        `  . ${shellPath(envFile)}`,
      ]
    : [
        `Point a program at it with (or: eval "$(graph-emulator env --port ${emulator.port})"):`,
        ...envText
          .trimEnd()
          .split("\n")
          .filter((line) => !line.startsWith("#"))
          .map((line) => `  ${line}`),
      ];
  return [
    `Graph + Entra emulator listening on ${emulator.url} (pid ${process.pid})`,
    `  rate limit ${options.rateLimit}, directory reads ${options.directoryReadRateLimit}, shape ${options.shape}, replication lag ${formatDuration(options.replicationLagMs ?? 0)}`,
    `  client secret ${SECRET_NOTES[secret]}`,
    ...(ca.includes
      ? [
          `  NODE_EXTRA_CA_CERTS ${ca.path}: the emulator's CA and the certificates of ${ca.includes} (set before)`,
        ]
      : ca.alreadyTrusted
        ? [`  NODE_EXTRA_CA_CERTS ${ca.path} (set before) already holds the emulator's CA`]
        : []),
    "",
    ...environment,
    "",
    "Fixture:",
    `  servicePrincipalId  ${f.servicePrincipalId}`,
    `  jobId               ${f.jobId}`,
    `  ruleId              ${f.ruleId}`,
    `  groupId             ${f.groupId}`,
    `  userIds             ${abbreviatedIds(f.userIds)}`,
    `  unassignedUserId    ${f.unassignedUserId}`,
    "",
    `What it provisioned: graph-emulator target ${envFile ? `--from ${shellPath(envFile)}` : `--port ${emulator.port}`}`,
    `Admin API: ${emulator.url}/_emulator/   Stop with Ctrl-C.`,
    "",
  ];
}

/** Starts the emulator the command line asks for, writes its env file and prints how to use it. */
async function serve(
  commandLine: CommandLine,
  output: CliOutput,
  environment: NodeJS.ProcessEnv,
): Promise<CliEmulator> {
  const { options, json, quiet, envFile } = commandLine;
  const { fixture, secret } = await startFixture(commandLine);
  const logLine = json ? output.err : output.out;
  const emulator = await startEmulator({
    ...options,
    fixture,
    onRequest: quiet ? undefined : (entry) => logLine(formatLogLine(entry)),
  });
  let ca: TrustedCaFile;
  try {
    ca = await trustedCaFile(emulator.caCertPath, environment.NODE_EXTRA_CA_CERTS);
  } catch (error) {
    await emulator.stop();
    throw new CliError(`Cannot write the CA bundle for NODE_EXTRA_CA_CERTS: ${(error as Error).message}`);
  }
  if (ca.warning) output.err(`graph-emulator: ${ca.warning}`);
  const env = environmentFor(emulator, { caFile: ca.path });
  const envText = environmentText(emulator, env, {
    pid: process.pid,
    secret: SECRET_NOTES[secret],
    caBundleOf: ca.includes,
  });
  if (envFile)
    await writePrivateFile(envFile, envText).catch(async (error: Error) => {
      await emulator.stop();
      throw new CliError(`Cannot write ${envFile}: ${error.message}`);
    });
  if (json)
    output.out(JSON.stringify(connectionDetails(emulator, env, { envFile, clientSecretSource: secret })));
  else for (const line of banner(emulator, options, { ca, envText, envFile, secret })) output.out(line);
  const written = envText;
  return {
    ...emulator,
    envFile,
    outliveParent: commandLine.outliveParent,
    async stop() {
      if (envFile) await removeFileIfUnchanged(envFile, written);
      await emulator.stop();
    },
  };
}

/**
 * Runs the command line: `env` / `target` (and `--print-env`, the same as `env`) print and return
 * undefined; otherwise it starts the emulator and returns it (undefined when only help was printed).
 * Throws on invalid arguments (a RangeError or parseArgs's TypeError) or a failure (`CliError`).
 */
export async function runCli(
  argv: string[],
  output: CliOutput = processOutput,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<CliEmulator | undefined> {
  if (argv[0] === "env") return void (await envCommand(argv.slice(1), output, environment));
  if (argv[0] === "target") return void (await targetCommand(argv.slice(1), output, environment));
  if (argv.includes("--print-env"))
    return void (await envCommand(
      argv.filter((arg) => arg !== "--print-env"),
      output,
      environment,
    ));
  const commandLine = parseCommandLine(argv);
  if (commandLine === "help") {
    output.out(USAGE);
    return undefined;
  }
  return serve(commandLine, output, environment);
}

/** Ignores write errors on stdout/stderr (EPIPE once the terminal or the reading process is gone). */
function ignoreBrokenPipes(): void {
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);
}

async function main(): Promise<void> {
  // Read first: a parent killed while the emulator starts must count as gone too.
  const ancestors = currentAncestors();
  ignoreBrokenPipes();
  const argv = process.argv.slice(2);
  let emulator: CliEmulator | undefined;
  try {
    emulator = await runCli(argv);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`graph-emulator: ${error.message}\n`);
      process.exit(1);
    }
    const usage =
      argv[0] === "env" || argv[0] === "target" || argv.includes("--print-env") ? CLIENT_USAGE : USAGE;
    process.stderr.write(`graph-emulator: ${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (!emulator) return;
  const running = emulator;
  let stopping = false;
  const shutdown = (why: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`graph-emulator: ${why}, stopping\n`);
    running.stop().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`graph-emulator: stop failed: ${error.message}\n`);
        process.exit(1);
      },
    );
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
    process.once(signal, () => shutdown(`${signal} received`));
  if (!running.outliveParent) watchParent((reason) => shutdown(reason), { started: ancestors });
}

if (require.main === module) void main();
