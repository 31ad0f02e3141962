/**
 * The README's "Try it offline in your own project", run as a new user runs it: its commands and files
 * are read from README.md and run as written in a fresh project (bash, `npx`, the real Pulumi CLI),
 * with one substitution: the package is installed from `npm pack` of this repository
 * (tests/support/tarball.ts) instead of from the registry. The emulator is the installed bin, started
 * with `--write-env`; the program reads its ids from the env file's variables; `graph-emulator target`
 * shows the group with its members. Then killing `npx` must stop the emulator, and the README's
 * one-terminal (CI) variant must work as well. The README keeps the state in the project
 * (`PULUMI_BACKEND_URL=file://$PWD`), and TMPDIR points into the sandbox, so that the emulator's default
 * CA folder is there too.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { createPulumiSandbox, repoRoot, type PulumiSandbox } from "../../scripts/lib/pulumiSandbox";
import { parseExportLines } from "../../src/emulator/shellEnv";
import type { TargetReport } from "../../src/emulator/cliClient";
import { runCommand, type CommandRun } from "../support/commands";
import { describeWithPulumi, pulumiBin } from "../support/pulumi";
import { installProject, packPackage, tarballDependencies } from "../support/tarball";

jest.setTimeout(4 * 60_000);

const SECTION_TITLE = "## Try it offline in your own project";

/** The README section's fenced blocks, in order: language and text. */
function readmeBlocks(): { lang: string; text: string }[] {
  const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const start = readme.indexOf(`\n${SECTION_TITLE}\n`);
  if (start < 0) throw new Error(`README.md has no "${SECTION_TITLE}" section`);
  const end = readme.indexOf("\n## ", start + SECTION_TITLE.length + 2);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], text: m[2] }));
}

const blocks = readmeBlocks();
const shellBlocks = blocks.filter((b) => b.lang === "sh").map((b) => b.text);
const [installBlock, emulatorBlock, deployBlock, ciBlock] = shellBlocks;
const README_INSTALL = "npm install pulumi-azuread-provision-on-demand @pulumi/pulumi";

/** A block of the README as one bash script that stops at the first failing command. */
const script = (block: string) => `set -e\n${block}`;

function fail(what: string, run: CommandRun): never {
  throw new Error(`${what} exited ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
}

async function portIsFree(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function eventually(condition: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/** The user's emulator log, for failure messages. */
const logOf = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "(no log)");

describeWithPulumi("README: try it offline in your own project", () => {
  let sandbox: PulumiSandbox;
  /** The user's shell environment: the sandbox's CLI and PULUMI_HOME, TMPDIR in it, no backend set. */
  let env: NodeJS.ProcessEnv;
  let project: string;
  let emulator: ChildProcess | undefined;
  let emulatorLog: string;

  beforeAll(() => {
    expect(shellBlocks).toHaveLength(4);
    sandbox = createPulumiSandbox({ bin: pulumiBin()!, prefix: "pod-offline-" });
    const tmp = path.join(sandbox.dir, "tmp");
    fs.mkdirSync(tmp);
    env = { ...sandbox.env, TMPDIR: tmp };
    // As a new user's shell has them: no backend chosen, no passphrase (the README sets both).
    delete env.PULUMI_BACKEND_URL;
    delete env.PULUMI_CONFIG_PASSPHRASE;
    emulatorLog = path.join(sandbox.dir, "emulator.log");
  });

  afterAll(async () => {
    if (emulator?.exitCode === null) emulator.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    sandbox?.cleanup();
  });

  it("installs the package into a new folder (from the packed tarball instead of the registry)", async () => {
    expect(installBlock).toContain(README_INSTALL);
    const made = await runCommand("bash", ["-c", script(installBlock.replace(README_INSTALL, "pwd"))], {
      cwd: sandbox.dir,
      env,
    });
    if (made.code !== 0) fail("the install block", made);
    project = made.stdout.trim();
    expect(path.basename(project)).toBe("offline-demo");
    await installProject(project, { dependencies: tarballDependencies(packPackage(project)) });
    expect(fs.existsSync(path.join(project, "node_modules/.bin/graph-emulator"))).toBe(true);
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), blocks.find((b) => b.lang === "yaml")!.text);
    fs.writeFileSync(path.join(project, "index.ts"), blocks.find((b) => b.lang === "ts")!.text);
  });

  it("starts the emulator with the README's command; it writes emulator.env, mode 0600", async () => {
    expect(emulatorBlock.trim()).toBe("npx graph-emulator --write-env emulator.env");
    const log = fs.openSync(emulatorLog, "w");
    // bash runs the one command in its own process: `emulator` is npx, as in the user's terminal.
    emulator = spawn("bash", ["-c", emulatorBlock.trim()], {
      cwd: project,
      env,
      stdio: ["ignore", log, log],
    });
    fs.closeSync(log);
    const envFile = path.join(project, "emulator.env");
    const ready = await eventually(() => fs.existsSync(envFile) || emulator?.exitCode !== null, 60_000);
    if (!ready || !fs.existsSync(envFile))
      throw new Error(`no emulator.env (npx exit ${emulator.exitCode}):\n${logOf(emulatorLog)}`);
    expect(fs.statSync(envFile).mode & 0o777).toBe(0o600);
    const vars = parseExportLines(fs.readFileSync(envFile, "utf8"));
    // The sandbox's NODE_EXTRA_CA_CERTS (the machine's, e.g. a proxy's CA) is kept: a bundle of both.
    expect(vars.NODE_EXTRA_CA_CERTS).toMatch(/graph-emulator-ca\/ca-bundle-[0-9a-f]+\.pem$/);
    expect(vars.NODE_EXTRA_CA_CERTS.startsWith(env.TMPDIR!)).toBe(true);
  });

  it("deploys the README's program with pulumi up, and graph-emulator target shows what it holds", async () => {
    const run = await runCommand("bash", ["-c", script(deployBlock)], { cwd: project, env });
    if (run.code !== 0) fail(`the deploy block (emulator log:\n${logOf(emulatorLog)})`, run);
    expect(run.stdout).toContain('result: "Success"');
    expect(fs.existsSync(path.join(project, ".pulumi/stacks/offline-demo/dev.json"))).toBe(true);
    // The README shows the table as it comes out, but for the port.
    const shown = blocks.find((b) => b.lang === "text")!.text.trimEnd();
    const printed = run.stdout.slice(run.stdout.indexOf("Target system of")).trimEnd();
    expect(printed.replace(/localhost:\d+/, "localhost:PORT")).toBe(shown);

    const json = await runCommand("bash", ["-c", ". ./emulator.env && npx graph-emulator target --json"], {
      cwd: project,
      env,
    });
    if (json.code !== 0) fail("graph-emulator target --json", json);
    const report = JSON.parse(json.stdout) as TargetReport;
    const vars = parseExportLines(fs.readFileSync(path.join(project, "emulator.env"), "utf8"));
    const userIds = vars.POD_USER_IDS.split(",");
    expect(report.servicePrincipalId).toBe(vars.POD_SERVICE_PRINCIPAL_ID);
    expect(report.counts).toEqual({ users: 3, groups: 1, exports: 4 });
    expect(report.objects.find((o) => o.objectId === vars.POD_GROUP_ID)).toMatchObject({
      objectTypeName: "Group",
      displayName: "example",
      members: userIds,
      lastAction: "Create",
    });
    for (const id of userIds)
      expect(report.objects.find((o) => o.objectId === id)).toMatchObject({
        objectTypeName: "User",
        exportCount: 1,
      });
  });

  it("stops when npx is killed: the port is free and emulator.env is gone", async () => {
    const envFile = path.join(project, "emulator.env");
    const port = Number(
      new URL(parseExportLines(fs.readFileSync(envFile, "utf8")).PROVISION_ON_DEMAND_GRAPH_URL).port,
    );
    const killed = Date.now();
    emulator!.kill("SIGTERM");
    expect(await eventually(async () => !fs.existsSync(envFile) && (await portIsFree(port)), 5000)).toBe(
      true,
    );
    expect(Date.now() - killed).toBeLessThan(5000);
    expect(logOf(emulatorLog)).toMatch(/graph-emulator: its parent process \d+ exited, stopping/);
  });

  it("the one-terminal variant: background emulator, eval of graph-emulator env, kill $!", async () => {
    // "with the backend, passphrase and stack set as above": a new stack, so that pulumi up provisions
    // again (a CI job starts from nothing).
    const setUp = [
      'export PULUMI_BACKEND_URL="file://$PWD"',
      "export PULUMI_CONFIG_PASSPHRASE=offline",
      "pulumi stack init ci",
      "",
    ].join("\n");
    const run = await runCommand("bash", ["-c", script(setUp + ciBlock)], { cwd: project, env });
    if (run.code !== 0) fail("the one-terminal block", run);
    const line = run.stdout.split("\n").find((l) => l.startsWith('{"url":'));
    if (!line) fail("the one-terminal block printed no target JSON", run);
    const report = JSON.parse(line) as TargetReport;
    expect(report.counts).toEqual({ users: 3, groups: 1, exports: 4 });
    // runCommand returned once the output pipes closed: the emulator, which held them, has exited.
    expect(await portIsFree(Number(new URL(report.url).port))).toBe(true);
    expect(fs.existsSync(path.join(project, "emulator.env"))).toBe(false);
  });
});
