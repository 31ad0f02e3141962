/**
 * Node's module compile cache for the dynamic-provider process (Node 22.1+, `module.enableCompileCache`;
 * nothing on older Nodes). `./provider` imports this module first, so that what it loads next — zod,
 * then @azure/identity and MSAL at the first create — is compiled from V8's cached code instead of
 * from source at every `pulumi up`. Compiling them was about half of their load time: ~50 ms of
 * zod's ~100 ms and ~40 ms of identity's ~200 ms of CPU on the critical path of the first check and
 * create (docs/BENCHMARKS.md, "Where the time went"); TypeScript's `tsc` turns the same cache on.
 *
 * Only in the dynamic-provider host (`…/cmd/dynamic-provider`): a program, a test runner or a script
 * that imports the package is left alone. The cache lives where Node puts it (`NODE_COMPILE_CACHE`, else
 * `<tmpdir>/node-compile-cache`), is keyed by each file's content, and `NODE_DISABLE_COMPILE_CACHE=1`
 * turns it off. The engine ends the provider with SIGINT, which skips the flush Node does at exit,
 * so `flushCompileCache()` writes it after the first create.
 */
import * as nodeModule from "node:module";

const compileCache = nodeModule as {
  enableCompileCache?: () => unknown;
  flushCompileCache?: () => void;
};

/** True in the process the engine starts for dynamic providers (`node …/cmd/dynamic-provider …`). */
function isDynamicProviderHost(): boolean {
  return /[\\/]cmd[\\/]dynamic-provider([\\/]|$)/.test(process.argv[1] ?? "");
}

const enabled = isDynamicProviderHost() && compileCache.enableCompileCache !== undefined;
if (enabled) {
  try {
    compileCache.enableCompileCache!();
  } catch {
    // An unwritable cache folder only costs the speed-up.
  }
}

let flushed = false;

/** Writes the cache once, soon after the call (never while an answer waits). No-op outside the host. */
export function flushCompileCache(): void {
  if (!enabled || flushed || !compileCache.flushCompileCache) return;
  flushed = true;
  setImmediate(() => {
    try {
      compileCache.flushCompileCache!();
    } catch {
      // as above
    }
  });
}
