/** Types of caTrust.js (trusting a CA in addition to what NODE_EXTRA_CA_CERTS already names). */

/** The PEM certificates in `text`, each normalised. */
export declare function pemCertificates(text: string): string[];

/**
 * The one file for NODE_EXTRA_CA_CERTS that trusts every certificate of `files`: one of them when it
 * holds all the others', else a bundle `ca-bundle-<hash>.pem` in `dir`. Unreadable or empty files are
 * left out with a line through `warn`; undefined when nothing is left.
 */
export declare function combinedCaFile(
  files: readonly (string | undefined)[],
  options?: { dir?: string; warn?: (line: string) => void },
): string | undefined;

/** `env` with NODE_EXTRA_CA_CERTS trusting what it named before and every file of `caFiles`. */
export declare function trustingEnv(
  env: NodeJS.ProcessEnv,
  caFiles: readonly string[],
  options?: { dir?: string; warn?: (line: string) => void },
): NodeJS.ProcessEnv;
