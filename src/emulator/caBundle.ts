/**
 * The file for `NODE_EXTRA_CA_CERTS` that trusts the emulator without dropping what the environment
 * already trusted. Node reads one file from that variable, so when one is already set (a corporate
 * proxy's CA, say), the emulator's CA and that file's certificates go into one bundle file.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { writePrivateFile } from "./shellEnv";

/** The file to trust, and a warning when the existing `NODE_EXTRA_CA_CERTS` could not be kept. */
export interface TrustedCaFile {
  /** The emulator's CA file, the existing file (when it holds the emulator's CA), or a bundle of both. */
  readonly path: string;
  /** The existing file that the bundle includes, when there is a bundle. */
  readonly includes?: string;
  /** True when the existing file already holds the emulator's CA and is used as it is. */
  readonly alreadyTrusted?: boolean;
  /** Why the existing file was left out (unreadable, no certificate in it). */
  readonly warning?: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The PEM certificates in `text`, each normalised (LF line ends, no trailing blanks). */
export function pemCertificates(text: string): string[] {
  return (text.replace(/\r/g, "").match(PEM_CERTIFICATE) ?? []).map((pem) =>
    pem
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "")
      .join("\n"),
  );
}

/**
 * The file `NODE_EXTRA_CA_CERTS` should name for a process that talks to the emulator and to whatever
 * `existing` (the variable's current value) already made it trust:
 *
 * - nothing set, the emulator's own file, or only certificates it already holds: the emulator's file;
 * - a file that already holds the emulator's CA (a bundle made earlier): that file, nothing written;
 * - otherwise a bundle `ca-bundle-<hash>.pem` beside the emulator's CA: the existing certificates
 *   first, then the emulator's, each once. Named by its content, so the same inputs give the same
 *   path at every start. (scripts/lib/caTrust.js makes the same file by the same rules.)
 * - an unreadable existing file, or one without a certificate: the emulator's file, with a warning.
 */
export async function trustedCaFile(
  emulatorCaPath: string,
  existing: string | undefined,
): Promise<TrustedCaFile> {
  if (!existing || path.resolve(existing) === path.resolve(emulatorCaPath)) return { path: emulatorCaPath };
  let existingText: string;
  try {
    existingText = await fs.readFile(existing, "utf8");
  } catch (error) {
    return {
      path: emulatorCaPath,
      warning: `NODE_EXTRA_CA_CERTS=${existing} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): trusting the emulator's CA only`,
    };
  }
  const kept = pemCertificates(existingText);
  if (kept.length === 0)
    return {
      path: emulatorCaPath,
      warning: `NODE_EXTRA_CA_CERTS=${existing} holds no PEM certificate: trusting the emulator's CA only`,
    };
  const emulatorCertificates = pemCertificates(await fs.readFile(emulatorCaPath, "utf8"));
  const all = [...new Set([...kept, ...emulatorCertificates])];
  if (all.length === emulatorCertificates.length) return { path: emulatorCaPath };
  if (all.length === new Set(kept).size) return { path: path.resolve(existing), alreadyTrusted: true };
  const text = `${all.join("\n")}\n`;
  const hash = createHash("sha256").update(text).digest("hex").slice(0, 16);
  const bundle = path.join(path.dirname(emulatorCaPath), `ca-bundle-${hash}.pem`);
  const current = await fs.readFile(bundle, "utf8").catch(() => undefined);
  if (current !== text) {
    await writePrivateFile(bundle, text);
    await fs.chmod(bundle, 0o644); // certificates only, nothing secret
  }
  return { path: bundle, includes: existing };
}
