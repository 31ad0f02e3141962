/**
 * The emulator's TLS material: a real CA that Node can trust through NODE_EXTRA_CA_CERTS, reused
 * across runs and safe to create from several processes at once, and a leaf valid for localhost.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  createCertificateAuthority,
  createServerCertificate,
  ensureCertificateAuthority,
  startEmulator,
} from "../../src/emulator";

// Each case generates RSA keys: seconds of CPU on a busy 2-core machine. A safety net, not a target.
jest.setTimeout(30_000);

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "emulator-ca-test-"));
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

describe("certificate authority", () => {
  it("is a CA certificate (CA:TRUE) with its key next to it", async () => {
    const files = await ensureCertificateAuthority(dir);
    expect(files).toEqual({ caCertPath: path.join(dir, "ca.pem"), caKeyPath: path.join(dir, "ca-key.pem") });
    const ca = new X509Certificate(await fs.readFile(files.caCertPath));
    expect(ca.ca).toBe(true);
    expect(ca.checkPrivateKey(createPrivateKey(await fs.readFile(files.caKeyPath)))).toBe(true);
  });

  it("is reused when it already exists", async () => {
    const first = await fs.readFile((await ensureCertificateAuthority(dir)).caCertPath, "utf8");
    const second = await fs.readFile((await ensureCertificateAuthority(dir)).caCertPath, "utf8");
    expect(second).toBe(first);
  });

  it("is created once when several callers race for the same folder", async () => {
    await Promise.all(Array.from({ length: 4 }, () => ensureCertificateAuthority(dir)));
    const cert = new X509Certificate(await fs.readFile(path.join(dir, "ca.pem")));
    const key = createPrivateKey(await fs.readFile(path.join(dir, "ca-key.pem")));
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect((await fs.readdir(dir)).sort()).toEqual(["ca-key.pem", "ca.pem"]);
  });

  it("is replaced when the file there is not a usable CA", async () => {
    await fs.writeFile(path.join(dir, "ca.pem"), "not a certificate");
    await fs.writeFile(path.join(dir, "ca-key.pem"), "not a key");
    const files = await ensureCertificateAuthority(dir);
    expect(new X509Certificate(await fs.readFile(files.caCertPath)).ca).toBe(true);
  });
});

describe("server certificate", () => {
  it("is issued by the CA for localhost and 127.0.0.1, and is not a CA itself", () => {
    const ca = createCertificateAuthority();
    const leaf = new X509Certificate(createServerCertificate(ca).certificatePem);
    const caCert = new X509Certificate(ca.certificatePem);
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.subjectAltName).toContain("DNS:localhost");
    expect(leaf.subjectAltName).toContain("IP Address:127.0.0.1");
    expect(leaf.checkHost("localhost")).toBe("localhost");
    expect(leaf.checkIP("127.0.0.1")).toBe("127.0.0.1");
  });
});

describe("startEmulator without caDir", () => {
  it("makes a throw-away CA and removes it on stop", async () => {
    const emulator = await startEmulator();
    await expect(fs.access(emulator.caCertPath)).resolves.toBeUndefined();
    await emulator.stop();
    await expect(fs.access(emulator.caCertPath)).rejects.toThrow();
  });
});
