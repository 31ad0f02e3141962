#!/usr/bin/env node
/**
 * `graph-emulator`: runs the Graph + Entra emulator until Ctrl-C (SIGINT) or SIGTERM, prints the
 * environment variables that point a program at it, and logs one line per request.
 * With `--json` the first stdout line is one JSON object for scripts, and request lines go to stderr.
 */
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { formatLogLine, startEmulator } from "./index";
import type { RunningEmulator, StartEmulatorOptions } from "./index";
import { formatDuration, formatRateLimit, parseDurationMs, parseRateLimit } from "../duration";
import { DEFAULT_DIRECTORY_READ_RATE_LIMIT, DEFAULT_RATE_LIMIT } from "./rateLimit";

const USAGE = `Usage: graph-emulator [options]

Runs an offline Microsoft Graph + Entra ID emulator for the provisionOnDemand API over HTTPS.

Options:
  --port <n>              TCP port (default 0: a free port)
  --host <address>        listen address (default 127.0.0.1); URLs always use localhost
  --fixture <file.json>   seed data (default: the built-in Databricks example fixture)
  --rate-limit <spec>     provisionOnDemand limit per tenant: "5/10s" (default), "2/1s", "10/500ms", "off"
  --directory-read-rate-limit <spec>
                          group-member reads per tenant, same forms (default "off")
  --group-members <n>     give the fixture's group "example" exactly n direct user members (the 3 named
                          ones first, then generated member4@… with ids 8f1a2b3c-0000-4000-a000-…), 0-100000
  --shape <live|docs>     provisionOnDemand answer shape (default live)
  --replication-lag <d>   objects added at run time answer 404 for this long: "0" (default), "2s", "500ms"
                          (a number needs a unit; only "0" may go without)
  --ca-dir <dir>          where the CA lives (default: ${path.join(os.tmpdir(), "graph-emulator-ca")}, reused)
  --json                  print one JSON line with URLs, credentials and fixture ids first; logs to stderr
  --quiet                 no per-request log lines
  -h, --help              show this help
`;

/** Where the CLI writes. */
export interface CliOutput {
  /** Writes one line to standard output. */
  readonly out: (line: string) => void;
  /** Writes one line to standard error. */
  readonly err: (line: string) => void;
}

const processOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** The values the CLI prints, also the `--json` line. */
export function connectionDetails(emulator: RunningEmulator): Record<string, unknown> {
  return {
    graphUrl: emulator.graphUrl,
    authorityHost: emulator.authorityHost,
    caCertPath: emulator.caCertPath,
    tenantId: emulator.tenantId,
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    fixture: emulator.fixture,
    adminUrl: `${emulator.url}/_emulator/`,
    env: environmentFor(emulator),
  };
}

/** The environment variables that point the provider (and @azure/identity) at the emulator. */
export function environmentFor(emulator: RunningEmulator): Record<string, string> {
  return {
    PROVISION_ON_DEMAND_GRAPH_URL: emulator.graphUrl,
    AZURE_AUTHORITY_HOST: emulator.authorityHost,
    NODE_EXTRA_CA_CERTS: emulator.caCertPath,
    ARM_TENANT_ID: emulator.tenantId,
    ARM_CLIENT_ID: emulator.clientId,
    ARM_CLIENT_SECRET: emulator.clientSecret,
  };
}

/** What the command line asks for: the emulator's options and how to print. */
interface CommandLine {
  /** The options for `startEmulator` (without `onRequest`). */
  readonly options: StartEmulatorOptions;
  /** Print one JSON line, log to stderr. */
  readonly json: boolean;
  /** Print no request lines. */
  readonly quiet: boolean;
}

const OPTIONS = {
  port: { type: "string" },
  host: { type: "string" },
  fixture: { type: "string" },
  "rate-limit": { type: "string" },
  "directory-read-rate-limit": { type: "string" },
  "group-members": { type: "string" },
  shape: { type: "string" },
  "replication-lag": { type: "string" },
  "ca-dir": { type: "string" },
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
  return {
    options: {
      port,
      host: values.host,
      fixture: values.fixture,
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
      caDir: values["ca-dir"] ?? path.join(os.tmpdir(), "graph-emulator-ca"),
    },
    json: values.json,
    quiet: values.quiet,
  };
}

/** Ids for a person to read: all of a few, or the first three and how many there are. */
function abbreviatedIds(ids: readonly string[]): string {
  return ids.length <= 5 ? ids.join(", ") : `${ids.slice(0, 3).join(", ")}, … (${ids.length} in all)`;
}

/** The lines printed for people: settings, variables to export, fixture ids, the admin URL. */
function banner(emulator: RunningEmulator, options: StartEmulatorOptions): string[] {
  const f = emulator.fixture;
  return [
    `Graph + Entra emulator listening on ${emulator.url}`,
    `  rate limit ${options.rateLimit}, directory reads ${options.directoryReadRateLimit}, shape ${options.shape}, replication lag ${formatDuration(options.replicationLagMs ?? 0)}`,
    "",
    "Point a program at it with:",
    ...Object.entries(environmentFor(emulator)).map(([name, value]) => `  export ${name}=${value}`),
    "",
    "Fixture:",
    `  servicePrincipalId  ${f.servicePrincipalId}`,
    `  jobId               ${f.jobId}`,
    `  ruleId              ${f.ruleId}`,
    `  groupId             ${f.groupId}`,
    `  userIds             ${abbreviatedIds(f.userIds)}`,
    `  unassignedUserId    ${f.unassignedUserId}`,
    "",
    `Admin API: ${emulator.url}/_emulator/   Stop with Ctrl-C.`,
    "",
  ];
}

/**
 * Starts the emulator as the command line asks and prints how to use it. Returns the running
 * emulator, or undefined when only help was printed. Throws on invalid arguments.
 */
export async function runCli(
  argv: string[],
  output: CliOutput = processOutput,
): Promise<RunningEmulator | undefined> {
  const commandLine = parseCommandLine(argv);
  if (commandLine === "help") {
    output.out(USAGE);
    return undefined;
  }
  const { options, json, quiet } = commandLine;
  const logLine = json ? output.err : output.out;
  const emulator = await startEmulator({
    ...options,
    onRequest: quiet ? undefined : (entry) => logLine(formatLogLine(entry)),
  });
  if (json) output.out(JSON.stringify(connectionDetails(emulator)));
  else for (const line of banner(emulator, options)) output.out(line);
  return emulator;
}

async function main(): Promise<void> {
  let emulator: RunningEmulator | undefined;
  try {
    emulator = await runCli(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`graph-emulator: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (!emulator) return;
  const running = emulator;
  const shutdown = (signal: string) => {
    process.stderr.write(`graph-emulator: ${signal} received, stopping\n`);
    running.stop().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`graph-emulator: stop failed: ${error.message}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

if (require.main === module) void main();
