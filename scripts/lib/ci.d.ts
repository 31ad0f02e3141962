/** True when `CI` is set to anything but "", "false" or "0". */
export declare function isCi(env?: NodeJS.ProcessEnv): boolean;
