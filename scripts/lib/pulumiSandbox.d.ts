/** Types of pulumiSandbox.js (the Pulumi sandbox shared by the demo, the benchmark and the e2e tests). */

/** The repository root. */
export declare const repoRoot: string;
/** The example project that the demo and the work-directory e2e tests deploy. */
export declare const basicExampleDir: string;

/** Finds or builds the Pulumi CLI (scripts/ensure-pulumi); returns its bin folder or throws. */
export declare function ensurePulumiBin(options?: {
  progress?: "inherit" | "ignore";
  timeoutMs?: number;
}): string;

/** The CLI's version as it prints it, e.g. "v3.274.1". */
export declare function pulumiVersion(bin: string): string;

/** A temporary PULUMI_HOME and file backend, and the environment to run the CLI with. */
export interface PulumiSandbox {
  /** The folder holding everything (home/, backend/, and whatever the caller adds). */
  readonly dir: string;
  /** The CLI's bin folder. */
  readonly bin: string;
  /** PULUMI_HOME. */
  readonly homeDir: string;
  /** The file backend's folder: the real state on disk. */
  readonly backendDir: string;
  /** The Pulumi install root (parent of bin/), for `PulumiCommand.get({ root })`. */
  readonly pulumiRoot: string;
  /** Only the variables the sandbox sets (PATH, PULUMI_*, NODE_EXTRA_CA_CERTS: the given CA and the caller's, combined). */
  readonly vars: Record<string, string>;
  /** The whole environment for the CLI and the Automation API. Callers may add variables. */
  readonly env: Record<string, string>;
  /** Removes `dir`. */
  cleanup(): void;
}

/** Makes a sandbox in `dir` (created if missing) or in a new temporary folder. */
export declare function createPulumiSandbox(options: {
  bin: string;
  caCertPath?: string;
  passphrase?: string;
  dir?: string;
  prefix?: string;
  baseEnv?: NodeJS.ProcessEnv;
}): PulumiSandbox;

/** Creates `dir` with node_modules linking @pulumi and this package (an inline program's workDir). */
export declare function linkWorkDir(dir: string): string;

/** What the config helpers read of a running emulator. */
export interface EmulatorEndpoints {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly graphUrl: string;
  readonly authorityHost: string;
  readonly fixture: {
    readonly servicePrincipalId: string;
    readonly jobId: string;
    readonly groupId: string;
    readonly userIds: readonly string[];
  };
}

/** The stack config that points the provider at `emulator` (fully qualified keys, plain values). */
export declare function emulatorStackConfig(emulator: EmulatorEndpoints): Record<string, string>;

/** Plain config as the Automation API's ConfigMap, the client secret marked secret; `undefined` drops a key. */
export declare function automationConfig(
  config: Record<string, string | undefined>,
): Record<string, { value: string; secret: boolean }>;

/** The `pulumi config set …` argument lists that point examples/basic at `emulator`. */
export declare function basicExampleConfig(
  emulator: EmulatorEndpoints,
  options?: { credentials?: boolean; memberIds?: readonly string[] },
): string[][];
