/**
 * The `graph-emulator` command: what it prints for people and for scripts, its options, fixture
 * files, the env file (shell quoting, mode 0600, the combined CA bundle), the `env` and `target`
 * commands, and — run as real child processes from the build — a clean stop on SIGTERM and no
 * emulator left behind when the `npm exec` that started it is killed.
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, promises as fs, readFileSync } from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "../../src/emulator/cli";
import type { CliEmulator } from "../../src/emulator/cli";
import type { RunningEmulator } from "../../src/emulator";
import { createCertificateAuthority, createServerCertificate, defaultFixture } from "../../src/emulator";
import { pemCertificates, trustedCaFile } from "../../src/emulator/caBundle";
import { formatTarget } from "../../src/emulator/cliClient";
import { MAX_USER_IDS_IN_ENV } from "../../src/emulator/environment";
import { watchParent } from "../../src/emulator/parentWatch";
import { exportLines, parseExportLines, shellQuote, writePrivateFile } from "../../src/emulator/shellEnv";
import { repoRoot } from "../../scripts/lib/pulumiSandbox";
import { call, provision, tokenFor } from "../support/http";
import { group, user } from "../support/subjects";

const caDir = () => process.env.PROVISION_ON_DEMAND_TEST_CA_DIR as string;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    output: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) },
  };
}

let running: CliEmulator | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** A new empty folder under the OS temp dir, removed after the file's tests. */
const scratchDirs: string[] = [];
async function scratchDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pod-cli-test-"));
  scratchDirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of scratchDirs) await fs.rm(dir, { recursive: true, force: true });
});

/** The shells on this machine that read the env file: sh always, the others when installed. */
const SHELLS = ["sh", "dash", "bash", "zsh", "ksh"].filter(
  (shell) => spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0,
);

/** Sources `file` in `shell` (with `.`) and returns the values of `names` as the shell sees them. */
function sourcedValues(shell: string, file: string, names: string[]): string[] {
  const script = `. "$1" && printf '%s\\0' ${names.map((name) => `"$${name}"`).join(" ")}`;
  const out = execFileSync(shell, ["-c", script, "sh", file], {
    encoding: "utf8",
    env: { PATH: process.env.PATH },
  });
  return out.split("\0").slice(0, -1);
}

/**
 * Runs a program without blocking the event loop (the emulator under test runs in this process: a
 * spawnSync talking to it would wait forever); resolves with its stdout, never rejects.
 */
function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve) =>
    execFile(file, args, { env, encoding: "utf8" }, (_error, stdout) => resolve(stdout)),
  );
}

/** A port nobody listens on (one that was free a moment ago). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** True when `port` on 127.0.0.1 can be listened on again. */
async function portIsFree(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** True while `pid` runs: a zombie (exited, not yet reaped by whoever adopted it) counts as gone. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return process.platform !== "linux";
  }
}

/** Polls `condition` every 50 ms for up to `ms`; resolves with its last value. */
async function eventually(condition: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("graph-emulator", () => {
  it("with --json prints one JSON object first: URLs, CA, credentials and the fixture ids", async () => {
    const io = capture();
    running = await runCli(["--json", "--ca-dir", caDir(), "--rate-limit", "off"], io.output);
    const details = JSON.parse(io.out[0]);
    expect(details).toMatchObject({
      graphUrl: running?.graphUrl,
      authorityHost: running?.authorityHost,
      caCertPath: path.join(caDir(), "ca.pem"),
      tenantId: "8f1a2b3c-0000-4000-8000-000000000001",
      clientId: "8f1a2b3c-0000-4000-8000-000000000010",
      clientSecret: expect.stringMatching(/.{30,}/),
      fixture: {
        servicePrincipalId: "8f1a2b3c-0000-4000-8000-000000000021",
        jobId: "dataBricks.5f0d3c2b9a8e4f7d8c6b5a4f3e2d1c0b.8f1a2b3c-0000-4000-8000-000000000001",
        ruleId: "03f7d90d-bf71-41b1-bda6-aaf0ddbee5d8#V2",
        groupId: "8f1a2b3c-0000-4000-8000-000000000100",
        userIds: expect.arrayContaining(["8f1a2b3c-0000-4000-8000-000000000101"]),
        unassignedUserId: "8f1a2b3c-0000-4000-8000-000000000104",
      },
    });
    expect(io.out).toHaveLength(1);
  });

  it("logs one line per request (to stderr with --json)", async () => {
    const io = capture();
    running = await runCli(["--json", "--ca-dir", caDir()], io.output);
    const emulator = running as RunningEmulator;
    await call(emulator, "GET", "/nothing");
    expect(io.err).toEqual([expect.stringMatching(/GET\s+404 .* other\s+\/nothing request-id=/)]);
  });

  it("prints the environment variables to export, shell-quoted, and serves what it printed", async () => {
    const io = capture();
    running = await runCli(["--ca-dir", caDir(), "--shape", "docs", "--quiet"], io.output, {});
    const emulator = running as RunningEmulator;
    const text = io.out.join("\n");
    for (const [name, value] of [
      ["PROVISION_ON_DEMAND_GRAPH_URL", emulator.graphUrl],
      ["AZURE_AUTHORITY_HOST", emulator.authorityHost],
      ["NODE_EXTRA_CA_CERTS", emulator.caCertPath],
      ["ARM_TENANT_ID", emulator.tenantId],
      ["ARM_CLIENT_ID", emulator.clientId],
      ["ARM_CLIENT_SECRET", emulator.clientSecret],
      ["POD_SERVICE_PRINCIPAL_ID", emulator.fixture.servicePrincipalId],
      ["POD_JOB_ID", emulator.fixture.jobId],
      ["POD_GROUP_ID", emulator.fixture.groupId],
      ["POD_USER_IDS", emulator.fixture.userIds.join(",")],
    ])
      expect(text).toContain(`export ${name}='${value}'`);
    expect(text).toContain("client secret random, new at every start (pin it with --client-secret VALUE)");
    const answer = await provision(emulator, await tokenFor(emulator), [user(emulator.fixture.userIds[0])]);
    expect(JSON.parse(answer.json.key).result).toBe("Success");
  });

  it("applies --rate-limit and --replication-lag", async () => {
    running = await runCli(
      ["--ca-dir", caDir(), "--quiet", "--rate-limit", "3/2s", "--replication-lag", "2s"],
      capture().output,
    );
    expect(await running?.admin.settings()).toEqual({
      rateLimit: "3/2s",
      directoryReadRateLimit: "off",
      replicationLagMs: 2000,
      shape: "live",
    });
  });

  it("loads --fixture from a JSON file and reports its ids", async () => {
    const file = path.join(os.tmpdir(), `emulator-fixture-${process.pid}.json`);
    const fixture = { ...defaultFixture(), summary: undefined };
    await fs.writeFile(file, JSON.stringify(fixture));
    try {
      const io = capture();
      running = await runCli(["--json", "--quiet", "--ca-dir", caDir(), "--fixture", file], io.output);
      expect(JSON.parse(io.out[0]).fixture).toEqual(defaultFixture().summary);
    } finally {
      await fs.rm(file, { force: true });
    }
  });

  it.each([
    [["--bogus"], /Unknown option/],
    [["--port", "http"], /Invalid port/],
    [["--shape", "pretty"], /Invalid shape/],
    [["--rate-limit", "lots"], /--rate-limit "lots" is not of the form COUNT\/DURATION/],
    [["--rate-limit", "5/10"], /--rate-limit "5\/10" is not of the form COUNT\/DURATION/],
    [["--replication-lag", "soon"], /--replication-lag "soon" is not a duration/],
    [["--replication-lag", "500"], /--replication-lag "500" is not a duration.*needs a unit/],
    [["--fixture", "/no/such/fixture.json"], /Cannot read emulator fixture/],
  ])("refuses %j", async (args, message) => {
    await expect(runCli([...args, "--ca-dir", caDir()], capture().output)).rejects.toThrow(message);
  });

  it("refuses a fixture that does not validate, naming the problem", async () => {
    const file = path.join(os.tmpdir(), `emulator-bad-fixture-${process.pid}.json`);
    await fs.writeFile(file, JSON.stringify({ tenants: [{ id: "t" }], users: [{ id: "u" }] }));
    try {
      await expect(runCli(["--fixture", file, "--ca-dir", caDir()], capture().output)).rejects.toThrow(
        /users\.0\.displayName/,
      );
    } finally {
      await fs.rm(file, { force: true });
    }
  });

  it("--help prints usage and starts nothing", async () => {
    const io = capture();
    expect(await runCli(["--help"], io.output)).toBeUndefined();
    expect(io.out.join("\n")).toContain("--rate-limit");
  });
});

describe("graph-emulator --write-env", () => {
  it("writes the environment once it serves, mode 0600, readable by sh; removes it on stop", async () => {
    const file = path.join(await scratchDir(), "emulator.env");
    const io = capture();
    running = await runCli(["--ca-dir", caDir(), "--quiet", "--write-env", file], io.output, {});
    const emulator = running as CliEmulator;
    expect(emulator.envFile).toBe(file);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const names = [
      "PROVISION_ON_DEMAND_GRAPH_URL",
      "NODE_EXTRA_CA_CERTS",
      "ARM_CLIENT_SECRET",
      "POD_USER_IDS",
    ];
    expect(sourcedValues("sh", file, names)).toEqual([
      emulator.graphUrl,
      emulator.caCertPath,
      emulator.clientSecret,
      emulator.fixture.userIds.join(","),
    ]);
    const text = await fs.readFile(file, "utf8");
    expect(text).toMatch(new RegExp(`^# graph-emulator at ${emulator.url} \\(pid ${process.pid}\\)`));
    expect(text).toContain("# ARM_CLIENT_SECRET: random, new at every start");
    expect(io.out.join("\n")).toContain(`written to ${file}`);
    expect(io.out.join("\n")).not.toContain(emulator.clientSecret); // on disk, not in the terminal
    await emulator.stop();
    running = undefined;
    expect(existsSync(file)).toBe(false);
  });

  it("with --client-secret serves that secret, says it stays, and gives a token for it", async () => {
    const secret = "Pinned~Secret.$HOME'quote";
    const file = path.join(await scratchDir(), "emulator.env");
    const io = capture();
    running = await runCli(
      ["--ca-dir", caDir(), "--quiet", "--client-secret", secret, "--write-env", file],
      io.output,
    );
    expect(running?.clientSecret).toBe(secret);
    expect(sourcedValues("sh", file, ["ARM_CLIENT_SECRET"])).toEqual([secret]);
    expect(await fs.readFile(file, "utf8")).toContain(
      "# ARM_CLIENT_SECRET: set by --client-secret, the same at every start",
    );
    expect(io.out.join("\n")).toContain("client secret set by --client-secret, the same at every start");
    expect(await tokenFor(running as RunningEmulator)).toMatch(/^ey/);
  });

  it("says when the fixture pins the secret", async () => {
    const file = path.join(await scratchDir(), "fixture.json");
    const fixture = defaultFixture();
    fixture.applications![0].clientSecrets = [{ value: "from-the-fixture" }];
    await fs.writeFile(file, JSON.stringify(fixture));
    const io = capture();
    running = await runCli(["--ca-dir", caDir(), "--quiet", "--json", "--fixture", file], io.output);
    expect(JSON.parse(io.out[0])).toMatchObject({
      clientSecret: "from-the-fixture",
      clientSecretSource: "fixture",
      env: { ARM_CLIENT_SECRET: "from-the-fixture" },
    });
  });

  it("leaves POD_USER_IDS out when the group is too large for one variable, and says why", async () => {
    const file = path.join(await scratchDir(), "emulator.env");
    running = await runCli(
      [
        "--ca-dir",
        caDir(),
        "--quiet",
        "--group-members",
        String(MAX_USER_IDS_IN_ENV + 1),
        "--write-env",
        file,
      ],
      capture().output,
    );
    const vars = parseExportLines(await fs.readFile(file, "utf8"));
    expect(vars.POD_USER_IDS).toBeUndefined();
    expect(vars.POD_GROUP_ID).toBe(running?.fixture.groupId);
    expect(await fs.readFile(file, "utf8")).toContain(
      `# POD_USER_IDS left out: ${MAX_USER_IDS_IN_ENV + 1} ids`,
    );
  });

  it.each([
    [["--client-secret", "has space"], /Invalid --client-secret/],
    [["--client-secret", ""], /Invalid --client-secret/],
    [["--write-env", ""], /--write-env needs a file name/],
  ])("refuses %j", async (args, message) => {
    await expect(runCli([...args, "--ca-dir", caDir()], capture().output)).rejects.toThrow(message);
  });
});

describe("env file quoting", () => {
  const nasty = [
    "it's",
    "$HOME and ${PATH}",
    "`id` $(id)",
    'back\\slash \\n and "double"',
    "  spaces  around ",
    "!history !! ^x",
    "two\nlines",
    "ünïcødé ✓ 日本",
    "",
    "'",
    "''\\''",
    "; rm -rf / #",
    "* ? [a] ~ ~root",
  ];
  const vars = Object.fromEntries(nasty.map((value, i) => [`V${i}`, value]));

  it.each(SHELLS)("%s reads back every value exactly", async (shell) => {
    const file = path.join(await scratchDir(), "values.env");
    await fs.writeFile(file, exportLines(vars, ["a comment with 'quotes' and $x"]));
    expect(sourcedValues(shell, file, Object.keys(vars))).toEqual(nasty);
  });

  it("bash reads the same through source and eval", async () => {
    const file = path.join(await scratchDir(), "values.env");
    await fs.writeFile(file, exportLines(vars));
    const names = Object.keys(vars);
    const print = `printf '%s\\0' ${names.map((n) => `"$${n}"`).join(" ")}`;
    for (const load of ['source "$1"', 'eval "$(cat "$1")"']) {
      const out = execFileSync("bash", ["-c", `${load} && ${print}`, "bash", file], { encoding: "utf8" });
      expect(out.split("\0").slice(0, -1)).toEqual(nasty);
    }
  });

  it("single-quotes every value and escapes a quote as '\\''", () => {
    expect(shellQuote("a'b")).toBe("'a'\\''b'");
    expect(exportLines({ A: "x" }, ["note"])).toBe("# note\nexport A='x'\n");
    expect(() => exportLines({ "BAD-NAME": "x" })).toThrow(/not a shell variable name/);
    expect(() => shellQuote("nul\0")).toThrow(/NUL/);
  });

  it("parseExportLines reads what exportLines writes, and the plain forms people write", () => {
    expect(parseExportLines(exportLines(vars, ["comment"]))).toEqual(vars);
    expect(
      parseExportLines(
        [
          "# comment",
          "",
          "PLAIN=value",
          '  export DQ="a \\"b\\" \\$c"  # trailing',
          "MIXED=one'two'\"three\"\\ four",
          "echo not an assignment",
        ].join("\n"),
      ),
    ).toEqual({ PLAIN: "value", DQ: 'a "b" $c', MIXED: "onetwothree four" });
    expect(() => parseExportLines("X='open")).toThrow(/Unterminated/);
  });

  it("writePrivateFile leaves a file of mode 0600, also over a file that was world-readable", async () => {
    const file = path.join(await scratchDir(), "secret.env");
    await fs.writeFile(file, "old", { mode: 0o644 });
    await writePrivateFile(file, "new");
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(file, "utf8")).toBe("new");
    expect((await fs.readdir(path.dirname(file))).sort()).toEqual(["secret.env"]);
  });
});

describe("NODE_EXTRA_CA_CERTS combined with the one already set", () => {
  /** A CA folder holding the test CA (so the emulator reuses it), and a "corporate" CA file. */
  async function folders() {
    const dir = await scratchDir();
    const emulatorCaDir = path.join(dir, "ca");
    await fs.mkdir(emulatorCaDir);
    for (const file of ["ca.pem", "ca-key.pem"])
      await fs.copyFile(path.join(caDir(), file), path.join(emulatorCaDir, file));
    const corporate = createCertificateAuthority("Corporate proxy CA");
    const corporateFile = path.join(dir, "corporate.pem");
    await fs.writeFile(corporateFile, corporate.certificatePem.replace(/\n/g, "\r\n")); // as Windows tools write it
    return { dir, emulatorCaDir, emulatorCa: path.join(emulatorCaDir, "ca.pem"), corporate, corporateFile };
  }

  it("bundles both, under a name that stays the same for the same inputs", async () => {
    const { emulatorCa, corporate, corporateFile } = await folders();
    const first = await trustedCaFile(emulatorCa, corporateFile);
    expect(first.path).toMatch(/ca-bundle-[0-9a-f]{16}\.pem$/);
    expect(first.includes).toBe(corporateFile);
    const bundled = pemCertificates(await fs.readFile(first.path, "utf8"));
    expect(bundled).toEqual([
      ...pemCertificates(corporate.certificatePem),
      ...pemCertificates(await fs.readFile(emulatorCa, "utf8")),
    ]);
    expect((await trustedCaFile(emulatorCa, corporateFile)).path).toBe(first.path);
    // Started again from a shell that sourced the env file: the bundle already trusts both.
    expect(await trustedCaFile(emulatorCa, first.path)).toEqual({ path: first.path, alreadyTrusted: true });
  });

  it("uses a file set before as it is when it already holds the emulator's CA (a proxy bundle made for it)", async () => {
    const { dir, emulatorCa, corporate } = await folders();
    const both = path.join(dir, "both.pem");
    await fs.writeFile(both, `${await fs.readFile(emulatorCa, "utf8")}\n${corporate.certificatePem}`);
    expect(await trustedCaFile(emulatorCa, both)).toEqual({ path: both, alreadyTrusted: true });
    expect((await fs.readdir(path.dirname(emulatorCa))).sort()).toEqual(["ca-key.pem", "ca.pem"]);
  });

  it("is the emulator's own file when nothing, it, or only its certificate was set", async () => {
    const { dir, emulatorCa } = await folders();
    const copy = path.join(dir, "copy-of-ca.pem");
    await fs.copyFile(emulatorCa, copy);
    for (const existing of [undefined, "", emulatorCa, copy])
      expect(await trustedCaFile(emulatorCa, existing)).toEqual({ path: emulatorCa });
  });

  it("warns and trusts the emulator's CA only when the file set cannot be used", async () => {
    const { dir, emulatorCa } = await folders();
    const missing = await trustedCaFile(emulatorCa, path.join(dir, "missing.pem"));
    expect(missing).toEqual({
      path: emulatorCa,
      warning: expect.stringMatching(/cannot be read \(ENOENT\)/),
    });
    const empty = path.join(dir, "empty.pem");
    await fs.writeFile(empty, "not a certificate");
    expect((await trustedCaFile(emulatorCa, empty)).warning).toMatch(/holds no PEM certificate/);
  });

  it("the env file's bundle lets a new Node process trust both the emulator and the corporate server", async () => {
    const { dir, emulatorCaDir, corporate, corporateFile } = await folders();
    const leaf = createServerCertificate(corporate);
    const server = https.createServer({ cert: leaf.certificatePem, key: leaf.privateKeyPem }, (_req, res) =>
      res.end("corporate"),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const file = path.join(dir, "emulator.env");
      const io = capture();
      running = await runCli(["--ca-dir", emulatorCaDir, "--quiet", "--write-env", file], io.output, {
        NODE_EXTRA_CA_CERTS: corporateFile,
      });
      const vars = parseExportLines(await fs.readFile(file, "utf8"));
      expect(vars.NODE_EXTRA_CA_CERTS).toMatch(/ca-bundle-/);
      expect(io.out.join("\n")).toContain(
        `the emulator's CA and the certificates of ${corporateFile} (set before)`,
      );
      const corporateUrl = `https://localhost:${(server.address() as net.AddressInfo).port}/`;
      const script = `Promise.all(process.argv.slice(1).map((u) => fetch(u).then((r) => r.status)))
        .then((s) => console.log(s.join(" ")), (e) => { console.log(e.cause?.code ?? e.message); process.exit(1); })`;
      const probe = async (ca: string) =>
        (
          await run(process.execPath, ["-e", script, `${running?.url}/_emulator/info`, corporateUrl], {
            PATH: process.env.PATH,
            NODE_EXTRA_CA_CERTS: ca,
          })
        ).trim();
      expect(await probe(vars.NODE_EXTRA_CA_CERTS)).toBe("200 200");
      expect(await probe(path.join(emulatorCaDir, "ca.pem"))).toMatch(
        /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED/,
      );
    } finally {
      server.close();
    }
  });
});

describe("graph-emulator env and target (for a running emulator)", () => {
  it("env prints the export lines of the env file; --print-env is the same; eval in bash sets them", async () => {
    const file = path.join(await scratchDir(), "emulator.env");
    const environment = { NODE_EXTRA_CA_CERTS: path.join(caDir(), "ca.pem") };
    running = await runCli(
      ["--ca-dir", caDir(), "--quiet", "--client-secret", "s3cret'x", "--write-env", file],
      capture().output,
      environment,
    );
    const written = parseExportLines(await fs.readFile(file, "utf8"));
    for (const argv of [
      ["env", "--port", String(running?.port)],
      ["env", "--url", `${running?.url}/beta`],
      ["env", "--from", file],
      ["--print-env", "--port", String(running?.port)],
    ]) {
      const io = capture();
      expect(await runCli(argv, io.output, environment)).toBeUndefined();
      expect(parseExportLines(io.out.join("\n"))).toEqual(written);
    }
    const io = capture();
    await runCli(["env", "--json"], io.output, {
      ...environment,
      PROVISION_ON_DEMAND_GRAPH_URL: running!.url,
    });
    expect(JSON.parse(io.out[0])).toEqual(written);
    const bin = path.join(repoRoot, "dist/emulator/cli.js");
    const shell = await run(
      "bash",
      [
        "-c",
        `eval "$("${process.execPath}" "${bin}" env --port ${running?.port})" && printf %s "$ARM_CLIENT_SECRET"`,
      ],
      { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: environment.NODE_EXTRA_CA_CERTS },
    );
    expect(shell).toBe("s3cret'x");
  });

  it("env --wait waits for an emulator that is still starting", async () => {
    const port = await freePort();
    const io = capture();
    const waiting = runCli(
      ["env", "--port", String(port), "--wait", "15s", "--ca-dir", caDir()],
      io.output,
      {},
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    running = await runCli(["--ca-dir", caDir(), "--quiet", "--port", String(port)], capture().output);
    await waiting;
    expect(parseExportLines(io.out.join("\n")).ARM_CLIENT_SECRET).toBe(running?.clientSecret);
  });

  it("target prints the users and the group with its members, as a table and as JSON", async () => {
    running = await runCli(["--ca-dir", caDir(), "--quiet", "--rate-limit", "off"], capture().output);
    const emulator = running as RunningEmulator;
    const members = emulator.fixture.userIds.map((id) => user(id));
    const answer = await provision(emulator, await tokenFor(emulator), [
      group(members, emulator.fixture.groupId),
    ]);
    expect(answer.status).toBe(200);
    const environment = {
      PROVISION_ON_DEMAND_GRAPH_URL: emulator.graphUrl,
      NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
    };
    const table = capture();
    await runCli(["target"], table.output, environment);
    expect(table.out).toEqual([
      `Target system of service principal ${emulator.fixture.servicePrincipalId} (${emulator.url})`,
      "1 group, 3 users, 4 exports",
      "",
      "Type   Display name   Object id                             Exports  Last action  Members",
      `Group  example        ${emulator.fixture.groupId}        1  Create             3`,
      `User   Alice Example  ${emulator.fixture.userIds[0]}        1  Create`,
      `User   Bob Example    ${emulator.fixture.userIds[1]}        1  Create`,
      `User   Carol Example  ${emulator.fixture.userIds[2]}        1  Create`,
      "",
      "Members of example (3): Alice Example, Bob Example, Carol Example",
    ]);
    const json = capture();
    await runCli(["target", emulator.fixture.servicePrincipalId, "--json"], json.output, environment);
    const report = JSON.parse(json.out[0]);
    expect(report).toMatchObject({
      url: emulator.url,
      servicePrincipalId: emulator.fixture.servicePrincipalId,
      counts: { users: 3, groups: 1, exports: 4 },
    });
    expect(report.objects).toContainEqual(
      expect.objectContaining({ objectId: emulator.fixture.groupId, members: emulator.fixture.userIds }),
    );
  });

  it("target of another service principal says that nothing is there, and which one the fixture has", () => {
    const lines = formatTarget(
      {
        url: "https://localhost:1",
        servicePrincipalId: "other",
        counts: { users: 0, groups: 0, exports: 0 },
        objects: [],
      },
      "8f1a2b3c-0000-4000-8000-000000000021",
    );
    expect(lines[1]).toBe(
      "Nothing provisioned yet (the fixture's service principal is 8f1a2b3c-0000-4000-8000-000000000021).",
    );
  });

  it("lists at most ten member names of a group, and how many more", () => {
    const ids = Array.from({ length: 12 }, (_, i) => `id-${i}`);
    const lines = formatTarget({
      url: "u",
      servicePrincipalId: "sp",
      counts: { users: 0, groups: 1, exports: 1 },
      objects: [
        {
          objectId: "g",
          objectTypeName: "Group",
          displayName: "big",
          members: ids,
          exportCount: 1,
          lastAction: "Create",
          targetId: "t",
        },
      ],
    });
    expect(lines.at(-1)).toBe(
      `Members of big (12): ${ids.slice(0, 10).join(", ")}, … and 2 more (--json lists all)`,
    );
  });

  it.each([
    [["target"], {}, /Which emulator\?/],
    [["env", "--port", "1", "--url", "https://localhost:1"], {}, /Give one of --url, --port and --from/],
    [["target", "a", "b", "--port", "1"], {}, /unexpected argument "b"/],
    [["env", "--wait", "5"], {}, /--wait "5" is not a duration/],
    [["env", "--bogus"], {}, /Unknown option/],
  ])("refuses %j", async (argv, environment, message) => {
    await expect(runCli(argv, capture().output, environment)).rejects.toThrow(message);
  });

  it("says so when no emulator answers, when the env file is missing, and when the CA is unknown", async () => {
    const port = await freePort();
    await expect(runCli(["target", "--port", String(port)], capture().output, {})).rejects.toThrow(
      `No emulator answers at https://localhost:${port} (ECONNREFUSED)`,
    );
    const missing = path.join(await scratchDir(), "none.env");
    await expect(runCli(["env", "--from", missing], capture().output, {})).rejects.toThrow(
      /does not exist: start the emulator with "graph-emulator --write-env/,
    );
    const otherCaDir = await scratchDir();
    running = await runCli(["--ca-dir", otherCaDir, "--quiet"], capture().output, {});
    await expect(
      runCli(["target", "--port", String(running?.port), "--ca-dir", caDir()], capture().output, {}),
    ).rejects.toThrow(/presents a certificate that none of .* signed/);
    const io = capture();
    await runCli(["target", "--port", String(running?.port), "--ca-dir", otherCaDir], io.output, {});
    expect(io.out[1]).toBe("Nothing provisioned yet.");
  });
});

describe("the parent watch", () => {
  const tick = 10;
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it("calls back once when the parent pid changes (re-parented)", async () => {
    let ppid = 4242;
    const reasons: string[] = [];
    const stop = watchParent((reason) => reasons.push(reason), {
      intervalMs: tick,
      parentPid: () => ppid,
      isAlive: () => true,
      watchGrandparent: false,
    });
    await wait(5 * tick);
    expect(reasons).toEqual([]);
    ppid = 1;
    await wait(5 * tick);
    stop();
    expect(reasons).toEqual(["its parent process 4242 exited"]);
  });

  it("calls back when the parent is no longer alive, and when npm above the shell is gone", async () => {
    const gone: string[] = [];
    watchParent((reason) => gone.push(reason), {
      intervalMs: tick,
      parentPid: () => 4242,
      isAlive: () => false,
      watchGrandparent: false,
    });
    let shellParent = 4000;
    watchParent((reason) => gone.push(reason), {
      intervalMs: tick,
      started: { parent: 4242, grandparent: 4000 },
      parentPid: () => 4242,
      isAlive: () => true,
      parentOf: () => shellParent,
    });
    await wait(5 * tick);
    expect(gone).toEqual(["its parent process 4242 exited"]);
    shellParent = 1;
    await wait(5 * tick);
    expect(gone).toEqual([
      "its parent process 4242 exited",
      "process 4000 (npm), which started it through process 4242, exited",
    ]);
  });

  it("watches nothing when started by init (pid 1)", async () => {
    const gone: string[] = [];
    watchParent((reason) => gone.push(reason), {
      intervalMs: tick,
      parentPid: () => 1,
      isAlive: () => false,
    });
    await wait(5 * tick);
    expect(gone).toEqual([]);
  });
});

describe("the built bin", () => {
  const bin = path.resolve(__dirname, "../../dist/emulator/cli.js");

  it("prints the JSON line first and exits 0 on SIGTERM", async () => {
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run the tests through npm test (it builds first)`);
    const child = spawn(process.execPath, [bin, "--json", "--ca-dir", caDir()], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    const firstLine = await new Promise<string>((resolve, reject) => {
      let buffered = "";
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        if (buffered.includes("\n")) resolve(buffered.split("\n")[0]);
      });
      child.on("exit", (code) => reject(new Error(`exited early with ${code}`)));
    });
    child.stderr.resume();
    const details = JSON.parse(firstLine);
    const answer = await fetch(
      `${details.graphUrl}/${details.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    expect(answer.status).toBe(200);
    const exitCode = await new Promise<number | null>((resolve) => {
      child.on("exit", (code) => resolve(code));
      child.kill("SIGTERM");
    });
    expect(exitCode).toBe(0);
  });
});

describe("started through npm exec (npx), the wrapper killed", () => {
  jest.setTimeout(30_000); // npm takes a second or two to start
  let project: string;

  beforeAll(async () => {
    // A project with this package installed the way npm links it: node_modules/<name> and .bin.
    project = await scratchDir();
    await fs.writeFile(
      path.join(project, "package.json"),
      JSON.stringify({ name: "npx-user", private: true }),
    );
    await fs.mkdir(path.join(project, "node_modules/.bin"), { recursive: true });
    await fs.symlink(repoRoot, path.join(project, "node_modules/pulumi-azuread-provision-on-demand"));
    await fs.symlink(
      "../pulumi-azuread-provision-on-demand/dist/emulator/cli.js",
      path.join(project, "node_modules/.bin/graph-emulator"),
    );
    if (!existsSync(path.join(repoRoot, "dist/emulator/cli.js")))
      throw new Error("dist/emulator/cli.js is missing: run the tests through npm test (it builds first)");
    // npm makes a bin executable when it links it; tsc writes it without the bit (a fresh clone).
    await fs.chmod(path.join(repoRoot, "dist/emulator/cli.js"), 0o755);
  });

  /** `npm exec --offline -- graph-emulator …` in the project; resolves once the env file is there. */
  async function startThroughNpm(): Promise<{
    npm: ChildProcess;
    pid: number;
    port: number;
    envFile: string;
  }> {
    const envFile = path.join(project, `emulator-${Date.now()}.env`);
    const npm = spawn(
      "npm",
      ["exec", "--offline", "--", "graph-emulator", "--quiet", "--ca-dir", caDir(), "--write-env", envFile],
      { cwd: project, stdio: "ignore", env: { ...process.env, NODE_OPTIONS: "" } },
    );
    let gone = false;
    const exited = new Promise<never>((_, reject) =>
      npm.once("exit", (code) => {
        gone = true;
        reject(new Error(`npm exec exited early with ${code}`));
      }),
    );
    exited.catch(() => undefined);
    const ready = (async () => {
      // Polls until the file is there, or npm is gone (then `exited` has already said why).
      while (!existsSync(envFile) && !gone) await new Promise((resolve) => setTimeout(resolve, 50));
      return fs.readFile(envFile, "utf8");
    })();
    ready.catch(() => undefined);
    const text = await Promise.race([ready, exited]);
    const pid = Number(/\(pid (\d+)\)/.exec(text)?.[1]);
    const port = Number(new URL(parseExportLines(text).PROVISION_ON_DEMAND_GRAPH_URL).port);
    expect(pid).not.toBe(npm.pid); // the emulator is npm's grandchild, not npm itself
    return { npm, pid, port, envFile };
  }

  it.each(["SIGTERM", "SIGHUP"] as const)(
    "%s to npm stops the emulator: no process left, port free, env file removed",
    async (signal) => {
      const { npm, pid, port, envFile } = await startThroughNpm();
      const killedAt = Date.now();
      npm.kill(signal);
      try {
        expect(await eventually(() => !isAlive(pid))).toBe(true);
        expect(Date.now() - killedAt).toBeLessThan(5000);
        expect(await portIsFree(port)).toBe(true);
        expect(existsSync(envFile)).toBe(false);
      } finally {
        if (isAlive(pid)) process.kill(pid, "SIGKILL");
      }
    },
  );

  it("SIGINT to npm leaves no orphan: the emulator never outlives npm", async () => {
    // npm passes SIGINT to the shell that runs the bin; a dash /bin/sh waits for its child then, so
    // npm and the emulator may both keep running (a terminal's Ctrl-C reaches all three). What must
    // not happen is npm gone and the emulator still there.
    const { npm, pid, port } = await startThroughNpm();
    npm.kill("SIGINT");
    try {
      await eventually(() => !isAlive(pid), 2000);
      if (isAlive(pid)) {
        expect(npm.exitCode).toBeNull();
        npm.kill("SIGTERM");
        expect(await eventually(() => !isAlive(pid))).toBe(true);
      }
      expect(await eventually(() => portIsFree(port))).toBe(true);
    } finally {
      if (isAlive(pid)) process.kill(pid, "SIGKILL");
    }
  });
});
