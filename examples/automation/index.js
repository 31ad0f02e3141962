#!/usr/bin/env node
// @ts-check
/**
 * Provisions a list of users (or groups) on demand through an Entra ID provisioning job, with the
 * Pulumi Automation API: one `SynchronizationJobProvisionOnDemand` per entry of a CSV or JSON file,
 * in an inline program. Prints a line per user as the engine reports each result, then a summary.
 *
 *   node index.js users.csv            provision (a user removed from the file is forgotten)
 *   node index.js users.json           the same list as JSON
 *   node index.js --destroy            forget every resource of the stack (no Graph call)
 *
 * Configuration comes from the environment (README.md lists it all): SERVICE_PRINCIPAL_ID and
 * SYNCHRONIZATION_JOB_ID; credentials ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET (moved into
 * the stack config, the secret encrypted); PROVISION_ON_DEMAND_GRAPH_URL and AZURE_AUTHORITY_HOST
 * only for the emulator; PULUMI_BACKEND_URL (default: a local file backend in the temp folder),
 * PULUMI_CONFIG_PASSPHRASE, and STACK_NAME (default "users").
 *
 * Exit code: 0 when every user was provisioned (Success, Skipped or Warning), 1 when a provisioning
 * failed or the update did, 2 for a usage or configuration error.
 */
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const PROJECT = "provision-on-demand-automation";
/** Our resource's type token in engine events. */
const OUR_TYPE = "pulumi-nodejs:dynamic/azuread:SynchronizationJobProvisionOnDemand";
const OBJECT_TYPES = ["User", "user", "Group", "Worker"];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One entry of the users file.
 * @typedef {{ objectId: string, objectTypeName: "User" | "user" | "Group" | "Worker", displayName?: string }} UserEntry
 */
/**
 * What happened to one user in this run.
 * @typedef {{ user: UserEntry, change: string, result?: string, errorCode?: string, errorMessage?: string }} Outcome
 */

const USAGE = [
  "usage: node index.js <users.csv|users.json>   provision the users listed in the file",
  "       node index.js --destroy                forget every resource of the stack (no Graph call)",
  "Settings come from environment variables; README.md lists them.",
].join("\n");

class UsageError extends Error {}

// ---------------------------------------------------------------------------------------------
// Reading the users file
// ---------------------------------------------------------------------------------------------

/**
 * Splits CSV text into rows of cells (RFC 4180: quoted cells, "" escapes, CRLF or LF).
 * @param {string} text
 * @returns {string[][]}
 */
function parseCsvRows(text) {
  /** @type {string[][]} */
  const rows = [];
  /** @type {string[]} */
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  if (quoted) throw new UsageError("CSV: a quoted cell is not closed");
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/**
 * Validates one raw entry and applies the default type.
 * @param {unknown} raw
 * @param {string} where e.g. "line 3"
 * @returns {UserEntry}
 */
function toEntry(raw, where) {
  const o = typeof raw === "string" ? { objectId: raw } : raw;
  if (typeof o !== "object" || o === null || Array.isArray(o)) {
    throw new UsageError(
      `${where}: expected { objectId, objectTypeName?, displayName? } or an object id string`,
    );
  }
  const { objectId, objectTypeName, displayName } = /** @type {Record<string, unknown>} */ (o);
  if (typeof objectId !== "string" || objectId.trim() === "")
    throw new UsageError(`${where}: objectId is missing`);
  const type =
    objectTypeName === undefined || objectTypeName === null || objectTypeName === ""
      ? "User"
      : objectTypeName;
  if (typeof type !== "string" || !OBJECT_TYPES.includes(type)) {
    throw new UsageError(
      `${where}: objectTypeName must be one of ${OBJECT_TYPES.join(", ")} (got ${JSON.stringify(type)})`,
    );
  }
  if ((type === "User" || type === "Group") && !GUID.test(objectId.trim())) {
    throw new UsageError(`${where}: objectId of a ${type} must be a GUID (got "${objectId}")`);
  }
  if (displayName !== undefined && displayName !== null && typeof displayName !== "string") {
    throw new UsageError(`${where}: displayName must be a string`);
  }
  return {
    objectId: objectId.trim(),
    objectTypeName: /** @type {UserEntry["objectTypeName"]} */ (type),
    ...(displayName ? { displayName: displayName.trim() } : {}),
  };
}

/**
 * Reads users from a `.csv` file (header `objectId,objectTypeName,displayName`, the last two optional;
 * without a header the columns are taken in that order) or a `.json` file (an array of
 * `{ objectId, objectTypeName?, displayName? }` or of object id strings, or `{ "users": [...] }`).
 * @param {string} file
 * @returns {UserEntry[]}
 */
function readUsers(file) {
  let text;
  try {
    text = fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${/** @type {Error} */ (error).message}`);
  }
  /** @type {UserEntry[]} */
  let users;
  const isJson =
    file.toLowerCase().endsWith(".json") || (!file.toLowerCase().endsWith(".csv") && /^\s*[[{]/.test(text));
  if (isJson) {
    let data;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`${file}: invalid JSON: ${/** @type {Error} */ (error).message}`);
    }
    /** @type {unknown[] | undefined} */
    const list = Array.isArray(data) ? data : data && Array.isArray(data.users) ? data.users : undefined;
    if (!list) throw new UsageError(`${file}: expected an array of users, or { "users": [...] }`);
    users = list.map((raw, i) => toEntry(raw, `${file} entry ${i + 1}`));
  } else {
    const rows = parseCsvRows(text)
      .map((cells, i) => ({ cells: cells.map((c) => c.trim()), line: i + 1 }))
      .filter(({ cells }) => cells.some((c) => c !== ""));
    let columns = ["objectId", "objectTypeName", "displayName"];
    if (rows.length > 0 && rows[0].cells[0].toLowerCase() === "objectid") {
      const header = rows.shift()?.cells ?? [];
      columns = header.map((name) => columns.find((c) => c.toLowerCase() === name.toLowerCase()) ?? name);
      const unknown = columns.filter((c) => !["objectId", "objectTypeName", "displayName"].includes(c));
      if (unknown.length > 0) throw new UsageError(`${file}: unknown column(s) ${unknown.join(", ")}`);
    }
    users = rows.map(({ cells, line }) => {
      /** @type {Record<string, string>} */
      const raw = {};
      cells.forEach((value, i) => {
        if (i < columns.length) raw[columns[i]] = value;
      });
      return toEntry(raw, `${file} line ${line}`);
    });
  }
  if (users.length === 0) throw new UsageError(`${file}: no users (use --destroy to forget them all)`);
  const seen = new Set();
  for (const user of users) {
    if (seen.has(user.objectId)) throw new UsageError(`${file}: ${user.objectId} is listed twice`);
    seen.add(user.objectId);
  }
  return users;
}

/**
 * The resource name of a user: its object id when that is URN-safe (GUIDs, worker ids), else a hash
 * (distinguished names). Stable, so that a second run finds the same resources.
 * @param {UserEntry} user
 */
function resourceName(user) {
  return /^[A-Za-z0-9._-]{1,100}$/.test(user.objectId)
    ? user.objectId
    : `subject-${crypto.createHash("sha256").update(user.objectId).digest("hex").slice(0, 16)}`;
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/** @param {string} name */
function env(name) {
  const value = process.env[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/**
 * Reads the settings from the environment. Credentials and endpoints become stack config (the
 * client secret as a secret) and are removed from this process's environment, so the engine and the
 * provider get them from the encrypted config only.
 * @param {boolean} destroy
 */
function settingsFromEnv(destroy) {
  const servicePrincipalId = env("SERVICE_PRINCIPAL_ID");
  const synchronizationJobId = env("SYNCHRONIZATION_JOB_ID");
  if (!destroy && (!servicePrincipalId || !synchronizationJobId)) {
    throw new UsageError(
      "set SERVICE_PRINCIPAL_ID and SYNCHRONIZATION_JOB_ID (the enterprise app's object id and its job id)",
    );
  }
  /** @type {Record<string, { value: string, secret?: boolean }>} */
  const config = {};
  const mapping = /** @type {const} */ ([
    ["ARM_TENANT_ID", "azuread:tenantId", false],
    ["ARM_CLIENT_ID", "azuread:clientId", false],
    ["ARM_CLIENT_SECRET", "azuread:clientSecret", true],
    ["PROVISION_ON_DEMAND_GRAPH_URL", "provisionOnDemand:graphUrl", false],
    ["AZURE_AUTHORITY_HOST", "provisionOnDemand:authorityHost", false],
  ]);
  for (const [name, key, secret] of mapping) {
    const value = env(name);
    if (value !== undefined) config[key] = secret ? { value, secret: true } : { value };
    delete process.env[name];
  }

  let backend = env("PULUMI_BACKEND_URL");
  if (!backend) {
    const dir = path.join(os.tmpdir(), `${PROJECT}-state`);
    fs.mkdirSync(dir, { recursive: true });
    backend = `file://${dir}`;
    process.env.PULUMI_BACKEND_URL = backend;
  }
  // The Pulumi Cloud encrypts secrets itself; every other backend uses a passphrase by default.
  if (
    !/^https?:\/\//.test(backend) &&
    !env("PULUMI_CONFIG_PASSPHRASE") &&
    !env("PULUMI_CONFIG_PASSPHRASE_FILE")
  ) {
    throw new UsageError(
      `set PULUMI_CONFIG_PASSPHRASE: it encrypts the client secret in the stack config (backend ${backend})`,
    );
  }
  process.env.PULUMI_SKIP_UPDATE_CHECK ??= "true";
  const secret = config["azuread:clientSecret"]?.value;
  return {
    servicePrincipalId,
    synchronizationJobId,
    config,
    backend,
    stackName: env("STACK_NAME") ?? "users",
    secret,
  };
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/** Replaces the client secret wherever it might appear (it should not: this is a second guard). */
let redact = /** @param {string} text */ (text) => text;

/** @param {string} line */
function say(line) {
  process.stdout.write(`${redact(line)}\n`);
}
/** @param {string} line */
function note(line) {
  process.stderr.write(`${redact(line)}\n`);
}

/** @param {UserEntry} user */
function label(user) {
  return user.displayName ? `${user.displayName} (${user.objectId})` : user.objectId;
}

const MARK = /** @type {Record<string, string>} */ ({
  Success: "✓",
  Warning: "!",
  Skipped: "•",
  Failure: "✗",
});

/** @param {Outcome} o */
function progressLine(o) {
  const detail = [o.errorCode, o.errorMessage].filter(Boolean).join(": ");
  const unchanged = o.change === "unchanged" ? " (unchanged: the result of an earlier run)" : "";
  return `${MARK[o.result ?? ""] ?? "?"} ${label(o.user)} ${o.result ?? "?"}${detail ? ` ${detail}` : ""}${unchanged}`;
}

/**
 * Pads a table's columns.
 * @param {string[][]} rows the first row is the header
 */
function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd(),
  );
}

/**
 * @param {UserEntry[]} users
 * @param {Map<string, Outcome>} outcomes by resource name
 */
function printSummary(users, outcomes) {
  const order = ["Success", "Warning", "Skipped", "Failure", "Not run"];
  /** @type {Record<string, number>} */
  const counts = {};
  const rows = users.map((user) => {
    const o = outcomes.get(resourceName(user));
    const result = o?.result ?? "Not run";
    counts[result] = (counts[result] ?? 0) + 1;
    const full = o ? [o.errorCode, o.errorMessage].filter(Boolean).join(": ").replace(/\s+/g, " ") : "";
    // The progress lines above carry the whole message; keep the table readable.
    const detail = full.length > 110 ? `${full.slice(0, 109)}…` : full;
    return [result, user.displayName ?? "", user.objectId, user.objectTypeName, o?.change ?? "-", detail];
  });
  say("");
  say(`Summary (${users.length} ${users.length === 1 ? "entry" : "entries"}):`);
  const countRows = order.filter((r) => counts[r]).map((r) => [r, String(counts[r]).padStart(5)]);
  for (const line of table([["Result", "Users"], ...countRows, ["Total", String(users.length).padStart(5)]]))
    say(`  ${line}`);
  say("");
  for (const line of table([["Result", "Name", "Object id", "Type", "Change", "Detail"], ...rows]))
    say(`  ${line}`);
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Pulumi
// ---------------------------------------------------------------------------------------------

/**
 * A fresh work directory for the workspace, with this example's node_modules linked in: the
 * dynamic-provider plugin resolves @pulumi/pulumi and this package from there (an inline program's
 * workspace needs that, see the README). Fresh each run, so the example folder stays clean; the
 * state lives in the backend and the config is written again from the environment every run.
 */
function makeWorkDir() {
  const modules = path.join(__dirname, "node_modules");
  for (const dep of ["@pulumi/pulumi", "pulumi-azuread-provision-on-demand"]) {
    if (!fs.existsSync(path.join(modules, dep, "package.json"))) {
      throw new UsageError(`${dep} is not installed: run \`npm install\` in ${__dirname}`);
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${PROJECT}-work-`));
  fs.symlinkSync(modules, path.join(dir, "node_modules"), "dir");
  return dir;
}

/**
 * The Automation API from the same copy of @pulumi/pulumi that this package's resource class uses.
 * The inline program runs in this process, and the resources it registers must go through the very
 * runtime the Automation API started: with two copies loaded, registration fails with "Request
 * message serialization failure: Expected argument of type pulumirpc.RegisterResourceRequest" (seen).
 * Installed from a registry there is one copy anyway (the package's peer dependency); with this
 * example's `file:../..` link the package's files live in the repository, whose node_modules holds
 * its own @pulumi/pulumi, so resolve the Automation API from there.
 * @returns {typeof import("@pulumi/pulumi/automation")}
 */
function loadAutomation() {
  const packageEntry = require.resolve("pulumi-azuread-provision-on-demand");
  return require(require.resolve("@pulumi/pulumi/automation", { paths: [path.dirname(packageEntry)] }));
}

/**
 * The inline program: one resource per user, nothing else.
 * @param {UserEntry[]} users
 * @param {{ servicePrincipalId?: string, synchronizationJobId?: string }} ids
 */
function program(users, ids) {
  return async () => {
    const { SynchronizationJobProvisionOnDemand } = require("pulumi-azuread-provision-on-demand");
    for (const user of users) {
      new SynchronizationJobProvisionOnDemand(resourceName(user), {
        servicePrincipalId: /** @type {string} */ (ids.servicePrincipalId),
        synchronizationJobId: /** @type {string} */ (ids.synchronizationJobId),
        // ruleId omitted: resolved from the job's schema (the rule mapping this object type).
        parameters: [{ subjects: [{ objectId: user.objectId, objectTypeName: user.objectTypeName }] }],
        // A Failure outcome fails this user's resource (the default): it is not saved in the stack, so
        // the next run tries that user again. The other users carry on (continueOnError below).
        failOnProvisioningError: true,
      });
    }
    return { provisioned: users.length };
  };
}

/** @param {string[]} argv */
async function main(argv) {
  if (argv.includes("--help") || argv.includes("-h")) {
    say(USAGE);
    return 0;
  }
  const destroy = argv.includes("--destroy");
  const files = argv.filter((a) => !a.startsWith("--"));
  const unknownFlags = argv.filter((a) => a.startsWith("--") && a !== "--destroy");
  if (unknownFlags.length > 0 || files.length > 1 || (!destroy && files.length === 0)) {
    throw new UsageError(USAGE);
  }
  const settings = settingsFromEnv(destroy);
  if (settings.secret) {
    const secret = settings.secret;
    redact = (text) => text.split(secret).join("[secret]");
  }
  const users = destroy ? [] : readUsers(files[0]);

  const { LocalWorkspace } = loadAutomation();
  const workDir = makeWorkDir();
  try {
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: settings.stackName, projectName: PROJECT, program: program(users, settings) },
      // `main` must be a folder whose node_modules holds the package, or the dynamic provider fails to load.
      { workDir, projectSettings: { name: PROJECT, runtime: "nodejs", main: workDir } },
    );
    await stack.setAllConfig(settings.config);
    note(`stack ${settings.stackName} of ${PROJECT}, backend ${settings.backend}`);
    return destroy ? await runDestroy(stack) : await runUp(stack, users);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * Collects error diagnostics by URN ("" for the update as a whole).
 * @returns {{ byUrn: Map<string, string[]>, onDiagnostic: (e: import("@pulumi/pulumi/automation").EngineEvent) => void }}
 */
function diagnostics() {
  /** @type {Map<string, string[]>} */
  const byUrn = new Map();
  return {
    byUrn,
    onDiagnostic: (event) => {
      const d = event.diagnosticEvent;
      if (!d || d.severity !== "error" || d.ephemeral) return;
      // Colour is off (color: "never"); strip any ANSI codes a plugin printed anyway.
      // eslint-disable-next-line no-control-regex
      const text = d.message.replace(/\x1b\[[0-9;]*m/g, "").trim();
      if (!text) return;
      const key = d.urn ?? "";
      byUrn.set(key, [...(byUrn.get(key) ?? []), text]);
    },
  };
}

/** @param {string} urn */
const nameOf = (urn) => urn.slice(urn.lastIndexOf("::") + 2);

/**
 * @param {import("@pulumi/pulumi/automation").Stack} stack
 * @param {UserEntry[]} users
 */
async function runUp(stack, users) {
  const byName = new Map(users.map((u) => [resourceName(u), u]));
  /** @type {Map<string, Outcome>} */
  const outcomes = new Map();
  const diag = diagnostics();
  const changeOf = /** @type {Record<string, string>} */ ({
    create: "created",
    "create-replacement": "replaced",
    same: "unchanged",
    update: "updated",
  });
  say(
    `Provisioning ${users.length} ${users.length === 1 ? "entry" : "entries"} (a line per entry as its result arrives):`,
  );

  /** @param {import("@pulumi/pulumi/automation").EngineEvent} event */
  const onEvent = (event) => {
    diag.onDiagnostic(event);
    const done = event.resOutputsEvent?.metadata;
    if (done && done.type === OUR_TYPE) {
      const name = nameOf(done.urn);
      const user = byName.get(name);
      if (done.op === "delete") {
        say(`- ${name} removed from the stack (it is no longer listed; provisioning is not undone)`);
      } else if (user && changeOf[done.op]) {
        const out = done.new?.outputs ?? {};
        /** @type {Outcome} */
        const outcome = {
          user,
          change: changeOf[done.op],
          result: out.result,
          ...(out.errorCode ? { errorCode: out.errorCode } : {}),
          ...(out.errorMessage ? { errorMessage: out.errorMessage } : {}),
        };
        outcomes.set(name, outcome);
        say(progressLine(outcome));
      }
    }
    const failed = event.resOpFailedEvent?.metadata;
    if (failed && failed.type === OUR_TYPE) {
      const name = nameOf(failed.urn);
      const user = byName.get(name);
      if (user) {
        const message =
          (diag.byUrn.get(failed.urn) ?? []).join(" ").replace(/\s+/g, " ") || "the provisioning failed";
        const outcome = { user, change: "failed", result: "Failure", errorMessage: message };
        outcomes.set(name, outcome);
        say(progressLine(outcome));
      }
    }
  };

  let upError;
  try {
    await stack.up({ onEvent, continueOnError: true, color: "never" });
  } catch (error) {
    upError = /** @type {Error} */ (error);
  }
  const counts = printSummary(users, outcomes);
  if (upError) {
    note("");
    if (counts.Failure) {
      note(`${counts.Failure} failed: they are not saved in the stack, so the next run tries them again.`);
    }
    // Errors not tied to one entry (bad config, no credentials, a program error), or the whole message.
    const general = (diag.byUrn.get("") ?? []).filter((m) => m !== "update failed");
    if (general.length > 0) note(`pulumi up failed: ${general.join(" ")}`);
    else if (!counts.Failure) note(`pulumi up failed: ${upError.message}`);
    return 1;
  }
  return counts.Failure ? 1 : 0;
}

/** @param {import("@pulumi/pulumi/automation").Stack} stack */
async function runDestroy(stack) {
  let forgotten = 0;
  const diag = diagnostics();
  /** @param {import("@pulumi/pulumi/automation").EngineEvent} event */
  const onEvent = (event) => {
    diag.onDiagnostic(event);
    const done = event.resOutputsEvent?.metadata;
    if (done && done.type === OUR_TYPE && done.op === "delete") {
      forgotten++;
      say(`- ${nameOf(done.urn)} forgotten (no Graph call: provisioning cannot be undone)`);
    }
  };
  try {
    await stack.destroy({ onEvent, color: "never" });
  } catch (error) {
    const general = diag.byUrn.get("") ?? [];
    note(`pulumi destroy failed: ${general.join(" ") || /** @type {Error} */ (error).message}`);
    return 1;
  }
  /** @type {{ type: string }[]} */
  const resources = (await stack.exportStack()).deployment.resources ?? [];
  const left = resources.filter((r) => r.type === OUR_TYPE).length;
  say("");
  say(`Destroyed: ${forgotten} resource(s) forgotten; the stack now holds ${left}.`);
  return left === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      note(error instanceof UsageError ? `error: ${error.message}` : `error: ${error?.stack ?? error}`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}

module.exports = { readUsers, parseCsvRows, resourceName };
