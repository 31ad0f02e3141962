/**
 * The emulator's CA is trusted in addition to, never instead of, what NODE_EXTRA_CA_CERTS already
 * named (a corporate proxy's CA, say). Two local HTTPS servers: the emulator (its own CA) and a
 * "proxy" signed by another CA that the pre-existing NODE_EXTRA_CA_CERTS names. A child process
 * started with the environment scripts/test.js gives jest (its `jestEnv`), the Pulumi sandbox's
 * environment, or the one a re-run on another Node gets, must reach both with Node's default TLS
 * checks. The environment of before (NODE_EXTRA_CA_CERTS replaced by the emulator's CA) is checked to
 * fail the proxy, so this test tells the two behaviours apart.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { createCertificateAuthority, createServerCertificate } from "../../src/emulator/certificates";
import { combinedCaFile, pemCertificates } from "../../scripts/lib/caTrust";
import { carriedEnv } from "../../scripts/lib/nodeRuntime";
import { createPulumiSandbox } from "../../scripts/lib/pulumiSandbox";

const { jestEnv } = require("../../scripts/test") as {
  jestEnv(ca: { caDir: string; caCertPath: string }, base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
};

jest.setTimeout(60_000);

/** What a child process says of each URL: `200` (or another status), or the TLS error's code. */
const PROBE = `
const https = require("node:https");
Promise.all(process.argv.slice(1).map((url) => new Promise((resolve) => {
  https.get(url, (res) => { res.resume(); resolve(String(res.statusCode)); })
    .on("error", (error) => resolve(error.code || error.message));
}))).then((answers) => process.stdout.write(JSON.stringify(answers)));
`;

/** Starts `node -e PROBE urls…` with `env` (as scripts/test.js starts jest: this Node, that env). */
function probe(env: NodeJS.ProcessEnv, ...urls: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", PROBE, ...urls], { env, timeout: 30_000 }, (error, stdout) =>
      error ? reject(error) : resolve(JSON.parse(stdout)),
    );
  });
}

describe("CA trust composes with an existing NODE_EXTRA_CA_CERTS", () => {
  let dir: string;
  let emulator: RunningEmulator;
  let proxy: https.Server;
  let emulatorUrl: string;
  let proxyUrl: string;
  let proxyCaPath: string;
  /** The environment before scripts/test.js: the proxy's CA already in NODE_EXTRA_CA_CERTS. */
  let base: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pod-ca-trust-"));
    emulator = await startEmulator({ caDir: path.join(dir, "emulator-ca") });
    emulatorUrl = `${emulator.url}/_emulator/info`;
    const proxyCa = createCertificateAuthority("Corporate TLS inspection CA (test)");
    proxyCaPath = path.join(dir, "corporate-ca.pem");
    fs.writeFileSync(proxyCaPath, proxyCa.certificatePem);
    const leaf = createServerCertificate(proxyCa);
    proxy = https.createServer({ cert: leaf.certificatePem, key: leaf.privateKeyPem }, (_req, res) =>
      res.end("proxied"),
    );
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyUrl = `https://localhost:${(proxy.address() as AddressInfo).port}/`;
    base = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_EXTRA_CA_CERTS: proxyCaPath };
  });

  afterAll(async () => {
    await emulator?.stop();
    await new Promise((resolve) => proxy?.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ca = () => ({ caDir: path.dirname(emulator.caCertPath), caCertPath: emulator.caCertPath });

  it("the servers are told apart: each CA alone reaches only its own server", async () => {
    expect(await probe({ ...base, NODE_EXTRA_CA_CERTS: emulator.caCertPath }, emulatorUrl, proxyUrl)).toEqual(
      ["200", expect.stringMatching(/CERT|SIGNATURE/)],
    );
    expect(await probe(base, emulatorUrl, proxyUrl)).toEqual([
      expect.stringMatching(/CERT|SIGNATURE/),
      "200",
    ]);
  });

  it("jest's environment from scripts/test.js trusts both (a bundle: the proxy's CA first, then the emulator's)", async () => {
    const env = jestEnv(ca(), base);
    expect(env.NODE_EXTRA_CA_CERTS).not.toBe(proxyCaPath);
    expect(env.NODE_EXTRA_CA_CERTS).not.toBe(emulator.caCertPath);
    expect(await probe(env, emulatorUrl, proxyUrl)).toEqual(["200", "200"]);
    const certificates = (file: string) => pemCertificates(fs.readFileSync(file, "utf8"));
    expect(certificates(env.NODE_EXTRA_CA_CERTS!)).toEqual([
      ...certificates(proxyCaPath),
      ...certificates(emulator.caCertPath),
    ]);
  });

  it("is idempotent: a bundle that already trusts the emulator is used as it is (npm test inside npm test)", () => {
    const once = jestEnv(ca(), base);
    expect(jestEnv(ca(), once).NODE_EXTRA_CA_CERTS).toBe(once.NODE_EXTRA_CA_CERTS);
    expect(jestEnv(ca(), base).NODE_EXTRA_CA_CERTS).toBe(once.NODE_EXTRA_CA_CERTS); // same content, same name
    expect(jestEnv(ca(), { ...base, NODE_EXTRA_CA_CERTS: undefined }).NODE_EXTRA_CA_CERTS).toBe(
      emulator.caCertPath,
    );
  });

  it("the Pulumi sandbox (e2e tests, demo, bench) gives the CLI's children both", async () => {
    const sandbox = createPulumiSandbox({
      bin: "/nonexistent",
      caCertPath: emulator.caCertPath,
      baseEnv: base,
    });
    try {
      expect(await probe(sandbox.env, emulatorUrl, proxyUrl)).toEqual(["200", "200"]);
      // Under npm test the caller's file already trusts the emulator: the sandbox names that same file.
      const underNpmTest = jestEnv(ca(), base);
      const inner = createPulumiSandbox({
        bin: "/nonexistent",
        caCertPath: emulator.caCertPath,
        baseEnv: underNpmTest,
      });
      expect(inner.vars.NODE_EXTRA_CA_CERTS).toBe(underNpmTest.NODE_EXTRA_CA_CERTS);
      inner.cleanup();
    } finally {
      sandbox.cleanup();
    }
  });

  it("a re-run on a downloaded Node carries npm's cafile into NODE_EXTRA_CA_CERTS", async () => {
    const env = carriedEnv({
      ...base,
      NODE_EXTRA_CA_CERTS: emulator.caCertPath,
      npm_config_cafile: proxyCaPath,
      npm_config_globalconfig: path.join(dir, "npmrc"),
      PULUMI_AZUREAD_POD_CACHE: path.join(dir, "cache"),
    });
    expect(await probe(env, emulatorUrl, proxyUrl)).toEqual(["200", "200"]);
  });

  it("an unreadable NODE_EXTRA_CA_CERTS is left out with a warning, as Node itself would", () => {
    const warnings: string[] = [];
    const missing = path.join(dir, "missing.pem");
    expect(combinedCaFile([missing, emulator.caCertPath], { dir, warn: (l) => warnings.push(l) })).toBe(
      emulator.caCertPath,
    );
    expect(warnings).toEqual([expect.stringContaining(`${missing} cannot be read (ENOENT)`)]);
  });
});
