/**
 * Files the tests write and search: temporary folders, the client certificate in each file format the
 * provider reads, and a text search through a folder (the file backend's state on disk).
 */
import * as fsSync from "node:fs";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import forge from "node-forge";
import { CERTIFICATE_PASSWORD } from "./ids";
import { clientCertificate } from "./fixture";

/** A temporary folder, removed by the returned function. */
export async function temporaryFolder(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pod-test-"));
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** Writes the client certificate as PEM (certificate + key), PFX with password, and encrypted PEM. */
export async function writeCertificateFiles(
  dir: string,
): Promise<{ pem: string; pfx: string; encryptedPem: string }> {
  const key = forge.pki.privateKeyFromPem(clientCertificate.privateKeyPem);
  const cert = forge.pki.certificateFromPem(clientCertificate.certificatePem);
  const pfxDer = forge.asn1
    .toDer(forge.pkcs12.toPkcs12Asn1(key, [cert], CERTIFICATE_PASSWORD, { algorithm: "3des" }))
    .getBytes();
  const encryptedKey = forge.pki.encryptRsaPrivateKey(key, CERTIFICATE_PASSWORD, { algorithm: "aes256" });
  const files = {
    pem: path.join(dir, "client.pem"),
    pfx: path.join(dir, "client.pfx"),
    encryptedPem: path.join(dir, "client-encrypted.pem"),
  };
  await fs.writeFile(files.pem, clientCertificate.combinedPem);
  await fs.writeFile(files.pfx, Buffer.from(pfxDer, "binary"));
  await fs.writeFile(files.encryptedPem, clientCertificate.certificatePem + encryptedKey);
  return files;
}

/** Every file under `dir` (e.g. the file backend: the real state on disk) whose text contains `needle`. */
export function filesContaining(dir: string, needle: string | RegExp): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const entry of fsSync.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const text = fsSync.readFileSync(full, "utf8");
        if (typeof needle === "string" ? text.includes(needle) : needle.test(text)) hits.push(full);
      }
    }
  };
  walk(dir);
  return hits;
}
