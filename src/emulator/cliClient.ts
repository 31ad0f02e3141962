/**
 * The CLI's commands for an emulator that is already running: `graph-emulator env` (its environment
 * as `export` lines, for `eval "$(…)"`) and `graph-emulator target` (what its target system holds).
 * They find the emulator from `--url`, `--port`, `--from` or the environment the env file sets,
 * and trust its CA themselves (the CA folder, `NODE_EXTRA_CA_CERTS`), so no curl flags are needed.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { EmulatorInfo } from "./admin";
import { EmulatorAdmin, EmulatorAdminError } from "./adminClient";
import type { TargetSystemObject } from "./adminClient";
import { pemCertificates, trustedCaFile } from "./caBundle";
import { environmentFor, environmentText } from "./environment";
import { parseExportLines } from "./shellEnv";
import { parseDurationMs } from "../duration";

/** Where `graph-emulator` keeps its CA unless `--ca-dir` says otherwise. */
export const DEFAULT_CA_DIR = path.join(os.tmpdir(), "graph-emulator-ca");

/** A failure that is no usage error: printed without the usage text, exit code 1. */
export class CliError extends Error {
  override readonly name = "CliError";
}

/** Where the CLI writes. */
export interface CliOutput {
  /** Writes one line to standard output. */
  readonly out: (line: string) => void;
  /** Writes one line to standard error. */
  readonly err: (line: string) => void;
}

export const CLIENT_USAGE = `Commands for a running emulator (they start nothing):
  graph-emulator env [--url URL | --port N | --from FILE] [--wait DURATION] [--json]
      print its environment as export lines: eval "$(graph-emulator env --port 8443)"
      (--print-env is the same command: graph-emulator --print-env --port 8443)
  graph-emulator target [SERVICE_PRINCIPAL_ID] [--url URL | --port N | --from FILE] [--json]
      print what provisioning exported to the target system (default: the fixture's service principal)

  Which emulator: --url https://localhost:PORT, --port N, --from FILE (the one the emulator
  wrote), else PROVISION_ON_DEMAND_GRAPH_URL (set by sourcing that file).
  --ca-dir <dir>          the emulator's CA folder, when it was started with another --ca-dir
  --wait <duration>       keep trying that long while it is not up yet, e.g. "30s" (default 0)
  --json                  one JSON object instead of text
`;

const OPTIONS = {
  url: { type: "string" },
  port: { type: "string" },
  from: { type: "string" },
  "ca-dir": { type: "string" },
  wait: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** How to reach a running emulator. */
interface Target {
  /** `https://localhost:PORT`. */
  readonly url: string;
  /** The files whose certificates to trust, in order; missing ones are skipped. */
  readonly caFiles: readonly string[];
}

interface ClientCommandLine {
  readonly values: {
    url?: string;
    port?: string;
    from?: string;
    "ca-dir"?: string;
    wait?: string;
    json: boolean;
    help: boolean;
  };
  readonly positionals: string[];
  readonly waitMs: number;
}

function parseClientCommandLine(command: string, argv: string[], maxPositionals: number): ClientCommandLine {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: OPTIONS,
  });
  if (positionals.length > maxPositionals)
    throw new RangeError(`graph-emulator ${command}: unexpected argument "${positionals[maxPositionals]}"`);
  const given = ["url", "port", "from"].filter((name) => values[name as keyof typeof values] !== undefined);
  if (given.length > 1)
    throw new RangeError(`Give one of --url, --port and --from, not ${given.join(" and ")}`);
  if (values.port !== undefined && !/^\d+$/.test(values.port))
    throw new RangeError(`Invalid port "${values.port}"`);
  const waitMs = parseDurationMs(values.wait ?? "0", "--wait");
  return { values, positionals, waitMs };
}

/** The emulator's origin from a URL as people write it (a trailing `/`, `/beta`, `/_emulator/`). */
function originOf(url: string, where: string): string {
  try {
    return new URL(url).origin;
  } catch {
    throw new RangeError(`${where} "${url}" is not a URL`);
  }
}

/** Reads the env file, waiting for it up to `deadline` (the emulator writes it once it serves). */
async function readEnvFile(file: string, deadline: number): Promise<Record<string, string>> {
  for (;;) {
    try {
      return parseExportLines(await fs.readFile(file, "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        throw new CliError(`Cannot read ${file}: ${(error as Error).message}`);
      if (Date.now() >= deadline)
        throw new CliError(
          `${file} does not exist: start the emulator with "graph-emulator --write-env ${file}" (it writes the file once it serves, and removes it when it stops)`,
        );
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Which emulator the command line (or the environment) names, and which CA files to trust. */
async function resolveTarget(
  commandLine: ClientCommandLine,
  environment: NodeJS.ProcessEnv,
  deadline: number,
): Promise<Target> {
  const { values } = commandLine;
  const caDirFiles = values["ca-dir"] ? [path.join(values["ca-dir"], "ca.pem")] : [];
  const defaults = [path.join(DEFAULT_CA_DIR, "ca.pem")];
  const extra = (vars: NodeJS.ProcessEnv | Record<string, string>) =>
    vars.NODE_EXTRA_CA_CERTS ? [vars.NODE_EXTRA_CA_CERTS] : [];
  if (values.url !== undefined)
    return {
      url: originOf(values.url, "--url"),
      caFiles: [...caDirFiles, ...extra(environment), ...defaults],
    };
  if (values.port !== undefined)
    return {
      url: `https://localhost:${Number(values.port)}`,
      caFiles: [...caDirFiles, ...extra(environment), ...defaults],
    };
  if (values.from !== undefined) {
    const file = values.from;
    const vars = await readEnvFile(file, deadline);
    if (!vars.PROVISION_ON_DEMAND_GRAPH_URL)
      throw new CliError(
        `${file} sets no PROVISION_ON_DEMAND_GRAPH_URL: is it an env file of graph-emulator?`,
      );
    return {
      url: originOf(vars.PROVISION_ON_DEMAND_GRAPH_URL, `PROVISION_ON_DEMAND_GRAPH_URL in ${file}`),
      caFiles: [...caDirFiles, ...extra(vars), ...defaults],
    };
  }
  if (environment.PROVISION_ON_DEMAND_GRAPH_URL)
    return {
      url: originOf(environment.PROVISION_ON_DEMAND_GRAPH_URL, "PROVISION_ON_DEMAND_GRAPH_URL"),
      caFiles: [...caDirFiles, ...extra(environment), ...defaults],
    };
  throw new RangeError(
    "Which emulator? Give --url https://localhost:PORT, --port N or --from FILE, or source the env file first (it sets PROVISION_ON_DEMAND_GRAPH_URL)",
  );
}

/** Connection failures worth another try while the emulator is still starting. */
const RETRIED = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "NO_CA_YET"]);
const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The certificates of the readable files among `files`, as one PEM text. */
async function caCertificates(files: readonly string[]): Promise<string> {
  const texts = await Promise.all(files.map((file) => fs.readFile(file, "utf8").catch(() => "")));
  const certificates = [...new Set(texts.flatMap(pemCertificates))];
  if (certificates.length === 0)
    throw Object.assign(
      new CliError(
        `Cannot find the emulator's CA (looked in ${files.join(", ")}): pass --ca-dir DIR, the folder the emulator was started with`,
      ),
      { code: "NO_CA_YET" },
    );
  return certificates.join("\n");
}

/** A failure to reach the emulator, said for people. */
function explain(error: unknown, target: Target): Error {
  if (error instanceof CliError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? "";
  if (error instanceof EmulatorAdminError)
    return new CliError(
      error.status === 404
        ? `${target.url} answers, but is no graph-emulator (no /_emulator/ admin API)`
        : `${target.url}: ${error.message}`,
    );
  if (RETRIED.has(code)) return new CliError(`No emulator answers at ${target.url} (${code})`);
  if (UNTRUSTED.has(code))
    return new CliError(
      `${target.url} presents a certificate that none of ${target.caFiles.join(", ")} signed (${code}): pass --ca-dir DIR, the folder the emulator was started with`,
    );
  return new CliError(`Cannot reach ${target.url}: ${(error as Error).message}`);
}

/**
 * Runs `call` with an admin client of the emulator the command line names and its info. While it does
 * not answer (not started yet, its CA not written yet) and `--wait` allows, tries again, reading the
 * env file afresh each time: a file left by an earlier emulator is replaced once the new one serves.
 */
async function withEmulator<T>(
  commandLine: ClientCommandLine,
  environment: NodeJS.ProcessEnv,
  call: (admin: EmulatorAdmin, info: EmulatorInfo, target: Target) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + commandLine.waitMs;
  for (;;) {
    const target = await resolveTarget(commandLine, environment, deadline);
    let admin: EmulatorAdmin | undefined;
    try {
      admin = new EmulatorAdmin(target.url, await caCertificates(target.caFiles));
      return await call(admin, await admin.info(), target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "";
      if (!RETRIED.has(code) || Date.now() >= deadline) throw explain(error, target);
    } finally {
      admin?.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * `graph-emulator env`: the running emulator's environment as `export NAME='value'` lines (the same
 * as its env file, with `NODE_EXTRA_CA_CERTS` combined with this shell's), or one JSON object.
 */
export async function envCommand(
  argv: string[],
  output: CliOutput,
  environment: NodeJS.ProcessEnv,
): Promise<void> {
  const commandLine = parseClientCommandLine("env", argv, 0);
  if (commandLine.values.help) return output.out(CLIENT_USAGE);
  await withEmulator(commandLine, environment, async (_admin, info) => {
    const ca = await trustedCaFile(info.caCertPath, environment.NODE_EXTRA_CA_CERTS);
    if (ca.warning) output.err(`graph-emulator: ${ca.warning}`);
    const vars = environmentFor(info, { caFile: ca.path });
    if (commandLine.values.json) output.out(JSON.stringify(vars));
    else output.out(environmentText(info, vars, { caBundleOf: ca.includes }).replace(/\n$/, ""));
  });
}

/** What `graph-emulator target --json` prints. */
export interface TargetReport {
  readonly url: string;
  readonly servicePrincipalId: string;
  readonly counts: { readonly users: number; readonly groups: number; readonly exports: number };
  readonly objects: TargetSystemObject[];
}

/** `graph-emulator target [SERVICE_PRINCIPAL_ID]`: what the target system holds, as a table or JSON. */
export async function targetCommand(
  argv: string[],
  output: CliOutput,
  environment: NodeJS.ProcessEnv,
): Promise<void> {
  const commandLine = parseClientCommandLine("target", argv, 1);
  if (commandLine.values.help) return output.out(CLIENT_USAGE);
  await withEmulator(commandLine, environment, async (admin, info, target) => {
    const servicePrincipalId = commandLine.positionals[0] ?? info.fixture.servicePrincipalId;
    const { objects } = await admin.target(servicePrincipalId);
    const report: TargetReport = {
      url: target.url,
      servicePrincipalId,
      counts: {
        users: objects.filter((o) => o.objectTypeName !== "Group").length,
        groups: objects.filter((o) => o.objectTypeName === "Group").length,
        exports: objects.reduce((sum, o) => sum + o.exportCount, 0),
      },
      objects,
    };
    if (commandLine.values.json) output.out(JSON.stringify(report));
    else for (const line of formatTarget(report, info.fixture.servicePrincipalId)) output.out(line);
  });
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

/** Rows as columns padded to their widest cell; columns listed in `right` are right-aligned. */
export function formatTable(rows: readonly string[][], right: ReadonlySet<number> = new Set()): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) =>
        right.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column]),
      )
      .join("  ")
      .trimEnd(),
  );
}

/** Most member names listed per group under the table. */
const MEMBERS_LISTED = 10;

/** The lines `graph-emulator target` prints: a summary, a table of objects, each group's members. */
export function formatTarget(report: TargetReport, fixtureServicePrincipalId?: string): string[] {
  const { objects, counts } = report;
  const head = `Target system of service principal ${report.servicePrincipalId} (${report.url})`;
  if (objects.length === 0) {
    const hint =
      fixtureServicePrincipalId &&
      fixtureServicePrincipalId.toLowerCase() !== report.servicePrincipalId.toLowerCase()
        ? ` (the fixture's service principal is ${fixtureServicePrincipalId})`
        : "";
    return [head, `Nothing provisioned yet${hint}.`];
  }
  const names = new Map(objects.map((o) => [o.objectId.toLowerCase(), o.displayName]));
  const sorted = [...objects].sort(
    (a, b) => Number(b.objectTypeName === "Group") - Number(a.objectTypeName === "Group"),
  );
  const rows = [
    ["Type", "Display name", "Object id", "Exports", "Last action", "Members"],
    ...sorted.map((o) => [
      o.objectTypeName,
      clip(o.displayName, 40),
      o.objectId,
      String(o.exportCount),
      o.lastAction,
      o.members ? String(o.members.length) : "",
    ]),
  ];
  const lines = [
    head,
    `${plural(counts.groups, "group")}, ${plural(counts.users, "user")}, ${plural(counts.exports, "export")}`,
    "",
    ...formatTable(rows, new Set([3, 5])),
  ];
  for (const group of sorted.filter((o) => o.members)) {
    const members = group.members ?? [];
    const listed = members.slice(0, MEMBERS_LISTED).map((id) => names.get(id.toLowerCase()) ?? id);
    const more =
      members.length > MEMBERS_LISTED
        ? `, … and ${members.length - MEMBERS_LISTED} more (--json lists all)`
        : "";
    lines.push(
      "",
      `Members of ${group.displayName} (${members.length}): ${members.length ? listed.join(", ") + more : "none"}`,
    );
  }
  return lines;
}
