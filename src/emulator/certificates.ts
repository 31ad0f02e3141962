/**
 * The emulator's TLS material: a certificate authority (kept in a folder so that `NODE_EXTRA_CA_CERTS`
 * can point at it before Node starts) and a short-lived leaf certificate for `localhost`/`127.0.0.1`
 * signed by it. Keys come from node:crypto (fast, native); certificates are built with node-forge.
 */
import { generateKeyPair, generateKeyPairSync, randomBytes, sign, X509Certificate } from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import forge from "node-forge";

/** Where a certificate authority lives on disk. */
export interface CertificateAuthorityFiles {
  /** PEM of the CA certificate: the file to give to `NODE_EXTRA_CA_CERTS`. */
  readonly caCertPath: string;
  /** PEM of the CA's private key (PKCS#8). */
  readonly caKeyPath: string;
}

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  /** The certificate, PEM. */
  readonly certificatePem: string;
  /** The private key, PEM (PKCS#8). */
  readonly privateKeyPem: string;
}

const CA_CERT_FILE = "ca.pem";
const CA_KEY_FILE = "ca-key.pem";
const CA_VALIDITY_YEARS = 5;
const LEAF_VALIDITY_DAYS = 30;
const WAIT_FOR_PEER_MS = 15_000;

/** An RSA key pair, both halves PEM (SPKI public, PKCS#8 private). */
export interface RsaKeyPair {
  /** The public key, PEM. */
  readonly publicKeyPem: string;
  /** The private key, PEM. */
  readonly privateKeyPem: string;
}

/** Generates a 2048-bit RSA key pair off the main thread (several run in parallel). */
export function generateRsaKeyPair(): Promise<RsaKeyPair> {
  return new Promise((resolve, reject) =>
    generateKeyPair(
      "rsa",
      {
        modulusLength: 2048,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
      },
      (error, publicKeyPem, privateKeyPem) =>
        error ? reject(error) : resolve({ publicKeyPem, privateKeyPem }),
    ),
  );
}

function newRsaKeyPair(): RsaKeyPair {
  const pair = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { publicKeyPem: pair.publicKey, privateKeyPem: pair.privateKey };
}

function positiveSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f; // a positive ASN.1 integer
  return bytes.toString("hex");
}

function newCertificate(publicKeyPem: string, validFrom: Date, validTo: Date): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = positiveSerialNumber();
  cert.validity.notBefore = validFrom;
  cert.validity.notAfter = validTo;
  return cert;
}

/**
 * Signs `cert` (sha256WithRSAEncryption) as forge's `cert.sign` does, but with node:crypto. forge's
 * pure-JavaScript RSA picks another multiply routine (jsbn `am1`) where a `navigator` global exists,
 * as it does from Node 21 on, and inside jest's sandbox that routine ran 20-40 times slower than the
 * one forge picks on Node 20: about 3 s per 2048-bit signature on Node 22-26, so that four racing CA
 * generations outran a 5 s test timeout (docs/RUNTIMES.md).
 */
function signWithSha256(cert: forge.pki.Certificate, privateKeyPem: string): void {
  cert.md = forge.md.sha256.create();
  cert.signatureOid = cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption;
  // getTBSCertificate is in forge (x509.js), not in its typings.
  const pki = forge.pki as typeof forge.pki & {
    getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1;
  };
  cert.tbsCertificate = pki.getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), "binary");
  cert.signature = sign("sha256", tbs, privateKeyPem).toString("binary");
}

/** Creates a self-signed certificate authority (basicConstraints CA:TRUE, keyCertSign). */
export function createCertificateAuthority(commonName = "Graph emulator local CA"): CertificateAndKey {
  const keys = newRsaKeyPair();
  const now = Date.now();
  const cert = newCertificate(
    keys.publicKeyPem,
    new Date(now - 60 * 60 * 1000),
    new Date(now + CA_VALIDITY_YEARS * 365 * 24 * 60 * 60 * 1000),
  );
  const subject = [
    { name: "commonName", value: commonName },
    { name: "organizationName", value: "pulumi-azuread-provision-on-demand emulator" },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  signWithSha256(cert, keys.privateKeyPem);
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem: keys.privateKeyPem };
}

/**
 * Issues a TLS server certificate for `localhost` and `127.0.0.1` (and `::1`), signed by the given CA,
 * for the given key pair (default: a new one).
 */
export function createServerCertificate(
  ca: CertificateAndKey,
  keys: RsaKeyPair = newRsaKeyPair(),
): CertificateAndKey {
  const caCert = forge.pki.certificateFromPem(ca.certificatePem);
  const now = Date.now();
  const cert = newCertificate(
    keys.publicKeyPem,
    new Date(now - 60 * 60 * 1000),
    new Date(now + LEAF_VALIDITY_DAYS * 24 * 60 * 60 * 1000),
  );
  cert.setSubject([{ name: "commonName", value: "localhost" }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      altNames: [
        { type: 2, value: "localhost" },
        { type: 7, ip: "127.0.0.1" },
        { type: 7, ip: "::1" },
      ],
    },
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  signWithSha256(cert, ca.privateKeyPem);
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem: keys.privateKeyPem };
}

/**
 * Creates a self-signed client certificate, the kind registered on an app registration for
 * certificate credentials. `combinedPem` (certificate + key) is what `ClientCertificateCredential`
 * and `ARM_CLIENT_CERTIFICATE_PATH` expect.
 */
export function createClientCertificate(
  commonName = "graph-emulator-client",
): CertificateAndKey & { readonly combinedPem: string } {
  const keys = newRsaKeyPair();
  const now = Date.now();
  const cert = newCertificate(
    keys.publicKeyPem,
    new Date(now - 60 * 60 * 1000),
    new Date(now + 365 * 24 * 60 * 60 * 1000),
  );
  const subject = [{ name: "commonName", value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([{ name: "basicConstraints", cA: false }]);
  signWithSha256(cert, keys.privateKeyPem);
  const certificatePem = forge.pki.certificateToPem(cert);
  return {
    certificatePem,
    privateKeyPem: keys.privateKeyPem,
    combinedPem: certificatePem + keys.privateKeyPem,
  };
}

async function fileExists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

function isUsableCertificate(pem: string): boolean {
  try {
    const cert = new X509Certificate(pem);
    return cert.ca && new Date(cert.validTo).getTime() > Date.now() + 24 * 60 * 60 * 1000;
  } catch {
    return false;
  }
}

/** Publishes `content` at `target` only if nothing is there yet (atomic; false when another writer won). */
async function publishIfAbsent(target: string, content: string): Promise<boolean> {
  const temporary = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await fs.writeFile(temporary, content, { mode: 0o600 });
  try {
    await fs.link(temporary, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await fs.rm(temporary, { force: true });
  }
}

async function waitForFile(file: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fileExists(file))) {
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${file} to be written by another process`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Creates the certificate authority in `dir` (`ca.pem`, `ca-key.pem`), or reuses the one already there
 * if it is valid for at least another day. Safe when several processes call it at once on the same
 * folder: exactly one CA is written and every caller gets it.
 */
export function ensureCertificateAuthority(dir: string): Promise<CertificateAuthorityFiles> {
  // Callers in one process share one attempt: generating a CA key is seconds of CPU, and racing
  // callers would each generate one only to find another's published. Other processes still race
  // safely through publishIfAbsent.
  const key = path.resolve(dir);
  let attempt = attempts.get(key);
  if (!attempt) {
    attempt = ensureOnce(dir).finally(() => attempts.delete(key));
    attempts.set(key, attempt);
  }
  return attempt;
}

/** The CA attempts under way in this process, by folder. */
const attempts = new Map<string, Promise<CertificateAuthorityFiles>>();

async function ensureOnce(dir: string): Promise<CertificateAuthorityFiles> {
  await fs.mkdir(dir, { recursive: true });
  const caCertPath = path.join(dir, CA_CERT_FILE);
  const caKeyPath = path.join(dir, CA_KEY_FILE);
  if (await fileExists(caCertPath)) {
    await waitForFile(caKeyPath, WAIT_FOR_PEER_MS);
    if (isUsableCertificate(await fs.readFile(caCertPath, "utf8"))) return { caCertPath, caKeyPath };
    // Expired or damaged: replace it. (Not race-safe, but an expiring CA is a once-in-years event.)
    await fs.rm(caCertPath, { force: true });
    await fs.rm(caKeyPath, { force: true });
  }
  const ca = createCertificateAuthority();
  // The key is published first; whoever publishes it also publishes the certificate, so a reader that
  // sees `ca.pem` always finds the matching key.
  if (await publishIfAbsent(caKeyPath, ca.privateKeyPem)) {
    await publishIfAbsent(caCertPath, ca.certificatePem);
  } else {
    await waitForFile(caCertPath, WAIT_FOR_PEER_MS);
  }
  return { caCertPath, caKeyPath };
}

/** Reads a certificate authority written by {@link ensureCertificateAuthority}. */
export async function readCertificateAuthority(files: CertificateAuthorityFiles): Promise<CertificateAndKey> {
  const [certificatePem, privateKeyPem] = await Promise.all([
    fs.readFile(files.caCertPath, "utf8"),
    fs.readFile(files.caKeyPath, "utf8"),
  ]);
  return { certificatePem, privateKeyPem };
}

/** Creates a fresh folder under the OS temp dir for a throw-away CA. */
export async function newTemporaryCaDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), "graph-emulator-ca-"));
}
