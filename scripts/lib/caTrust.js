// Trusting a CA in addition to, never instead of, what NODE_EXTRA_CA_CERTS already names.
//
// Node reads one file from NODE_EXTRA_CA_CERTS, once, when a process starts. A machine behind a
// TLS-inspecting proxy (this project's build machine is one) already points it at the proxy's CA
// bundle; setting it to the emulator's CA alone would make every `npm install`, `npm pack` and fetch
// of a child process fail with SELF_SIGNED_CERT_IN_CHAIN. So the test runner, the demo, the benchmark
// and the Pulumi sandbox name a file holding both: the existing certificates first, then the added
// ones, each once.
//
// Plain synchronous CommonJS, because it runs before the build (scripts/lib/nodeRuntime.js carries
// npm's CA over when it re-runs a script on a supported Node) and inside createPulumiSandbox, which is
// synchronous. The emulator CLI's `trustedCaFile` (src/emulator/caBundle.ts) makes the same file by the
// same rules (same content, same `ca-bundle-<hash>.pem` name), so either may find the other's bundle.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The PEM certificates in `text`, each normalised (LF line ends, no blank or padded lines). */
function pemCertificates(text) {
  return (text.replace(/\r/g, "").match(PEM_CERTIFICATE) ?? []).map((pem) =>
    pem
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "")
      .join("\n"),
  );
}

/** The certificates of `file`, or why there are none to use. */
function readCertificates(file) {
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    return { certificates: [], problem: `cannot be read (${error.code ?? error.message})` };
  }
  const certificates = pemCertificates(text);
  return certificates.length ? { certificates } : { certificates: [], problem: "holds no PEM certificate" };
}

/** Writes `text` to `file` whole (a new file beside it, then renamed), readable by everyone. */
function writeWhole(file, text) {
  const temporary = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  try {
    fs.writeFileSync(temporary, text, { mode: 0o644, flag: "wx" });
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * The one file for NODE_EXTRA_CA_CERTS that trusts every certificate of `files` (in order; empty
 * entries skipped):
 *
 * - when one of them already holds all the others' certificates (no file, the same file twice, a
 *   bundle made earlier), that file, and nothing is written;
 * - otherwise `dir/ca-bundle-<hash>.pem`, the certificates in order, each once, named by its content
 *   (the same inputs give the same path; it is rewritten only when missing or different).
 *
 * A file that cannot be read or holds no certificate is left out, with a line through `warn`
 * (Node itself would only warn and carry on without it). Returns undefined when nothing is left.
 */
function combinedCaFile(files, { dir, warn = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const named = [...new Set(files.filter(Boolean).map((file) => path.resolve(file)))];
  const read = [];
  for (const file of named) {
    const { certificates, problem } = readCertificates(file);
    if (problem) warn(`CA file ${file} ${problem}: it is left out of NODE_EXTRA_CA_CERTS`);
    else read.push({ file, certificates });
  }
  if (read.length === 0) return undefined;
  const all = [...new Set(read.flatMap((r) => r.certificates))];
  const whole = read.find((r) => new Set(r.certificates).size === all.length);
  if (whole) return whole.file;
  if (!dir) throw new Error("combinedCaFile: a bundle is needed, and no folder was given for it");
  const text = `${all.join("\n")}\n`;
  const hash = crypto.createHash("sha256").update(text).digest("hex").slice(0, 16);
  const bundle = path.join(dir, `ca-bundle-${hash}.pem`);
  let current;
  try {
    current = fs.readFileSync(bundle, "utf8");
  } catch {
    current = undefined;
  }
  if (current !== text) {
    fs.mkdirSync(dir, { recursive: true });
    writeWhole(bundle, text);
  }
  return bundle;
}

/**
 * `env` with NODE_EXTRA_CA_CERTS naming a file that trusts what it named before and every file of
 * `caFiles` too (see combinedCaFile; a bundle goes into `dir`).
 */
function trustingEnv(env, caFiles, options) {
  const file = combinedCaFile([env.NODE_EXTRA_CA_CERTS, ...caFiles], options);
  const result = { ...env };
  if (file) result.NODE_EXTRA_CA_CERTS = file;
  else delete result.NODE_EXTRA_CA_CERTS;
  return result;
}

module.exports = { pemCertificates, combinedCaFile, trustingEnv };
