/** Types of nodeRuntime.js (the supported Node.js lines, and re-running a script on one of them). */

/** Pulumi's supported Node.js lines. */
export declare const SUPPORTED_LINES: readonly number[];
/** The line an older Node hands over to. */
export declare const DEFAULT_LINE: number;
/** Set in the environment of a script re-run on a supported Node. */
export declare const REEXEC_MARK: string;

export declare function majorOf(version: string): number;
/** True when `version` (default: this process's) is older than every supported line. */
export declare function isOlderThanSupported(version?: string): boolean;
/** The per-user cache root shared with scripts/ensure-pulumi and scripts/ensure-node. */
export declare function cacheRoot(env?: NodeJS.ProcessEnv): string;
/** The bin folder of a Node of `line`, from scripts/ensure-node. */
export declare function ensureNodeBin(
  line: number | string,
  options?: { progress?: "inherit" | "ignore" },
): string;
/** The machine npm's global npmrc and `cafile`, when they exist. */
export declare function npmSettings(env?: NodeJS.ProcessEnv): { globalconfig?: string; cafile?: string };
/** `env` carrying npm's global npmrc and its `cafile` (in NODE_EXTRA_CA_CERTS) to a process on another Node. */
export declare function carriedEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
/** On an older Node: re-runs `script` on a supported one, exits with its code, and returns true. */
export declare function reexecOnSupportedNode(script: string, label: string): boolean;
