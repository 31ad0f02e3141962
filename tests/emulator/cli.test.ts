/**
 * The `graph-emulator` command: what it prints for people and for scripts, its options, fixture
 * files, and a clean stop on SIGTERM (run as a real child process from the build).
 */
import { spawn } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "../../src/emulator/cli";
import type { RunningEmulator } from "../../src/emulator";
import { defaultFixture } from "../../src/emulator";
import { call, provision, tokenFor } from "../support/http";
import { user } from "../support/subjects";

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

let running: RunningEmulator | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

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

  it("prints the environment variables to export, and serves what it printed", async () => {
    const io = capture();
    running = await runCli(["--ca-dir", caDir(), "--shape", "docs", "--quiet"], io.output);
    const emulator = running as RunningEmulator;
    const text = io.out.join("\n");
    for (const [name, value] of [
      ["PROVISION_ON_DEMAND_GRAPH_URL", emulator.graphUrl],
      ["AZURE_AUTHORITY_HOST", emulator.authorityHost],
      ["NODE_EXTRA_CA_CERTS", emulator.caCertPath],
      ["ARM_TENANT_ID", emulator.tenantId],
      ["ARM_CLIENT_ID", emulator.clientId],
      ["ARM_CLIENT_SECRET", emulator.clientSecret],
    ])
      expect(text).toContain(`export ${name}=${value}`);
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
