/**
 * Stops the emulator when the process that started it goes away, so that `kill $!` on
 * `npx graph-emulator &` does not leave it running and holding its port.
 *
 * Why a watch: `npx` / `npm exec` / `npm run` start a bin as npm → `sh -c` → node. A signal sent to
 * npm's pid reaches npm (which passes it on to the shell at most), never the node process: npm and the
 * shell exit, and the emulator is re-parented (to init or a subreaper). Node has no "parent died"
 * signal, so the watch polls: the parent pid changed, or the parent is gone (`kill(pid, 0)`, the one
 * check that also works on Windows), and — when npm started it, on Linux — npm itself is gone while
 * the shell between them lives on (the shell's parent, read from /proc, changed).
 */
import { readFileSync } from "node:fs";

/** How often the watch looks, in ms. */
export const PARENT_WATCH_INTERVAL_MS = 500;

/** What the watch looks at; the defaults are the real process's. */
export interface ParentWatchOptions {
  /** Poll interval in ms; default {@link PARENT_WATCH_INTERVAL_MS}. */
  readonly intervalMs?: number;
  /** The current parent pid; default `process.ppid`. */
  readonly parentPid?: () => number;
  /** Whether a pid is alive; default `process.kill(pid, 0)` (EPERM counts as alive). */
  readonly isAlive?: (pid: number) => boolean;
  /** The parent of a pid, undefined when unknown; default: /proc/PID/stat on Linux. */
  readonly parentOf?: (pid: number) => number | undefined;
  /** Also watch the grandparent (npm, when npm runs the bin through a shell); default: under npm. */
  readonly watchGrandparent?: boolean;
  /**
   * The parent (and grandparent) to watch, as read when the process started: a parent that exits
   * while the emulator is still starting counts too. Default: read now.
   */
  readonly started?: { readonly parent: number; readonly grandparent?: number };
}

/** The parent and, when watched, the grandparent now: read this first thing, then pass it as `started`. */
export function currentAncestors(
  watchGrandparent = startedByNpm(),
  parentOf: (pid: number) => number | undefined = procParentOf,
): { parent: number; grandparent?: number } {
  const parent = process.ppid;
  return { parent, grandparent: watchGrandparent ? parentOf(parent) : undefined };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The parent pid of `pid` from /proc (Linux), undefined elsewhere or when the process is gone. */
export function procParentOf(pid: number): number | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** True when npm (npx, npm exec, npm run) started this process: npm sets these for what it runs. */
export function startedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.npm_command !== undefined || env.npm_lifecycle_event !== undefined;
}

/**
 * Calls `onGone` once, with the reason, when the parent (or, with `watchGrandparent`, npm above the
 * shell) goes away. Returns a function that stops watching. Does nothing when the parent is init
 * (pid ≤ 1: a container's main process, or already orphaned). The timer does not keep Node alive.
 */
export function watchParent(onGone: (reason: string) => void, options: ParentWatchOptions = {}): () => void {
  const parentPid = options.parentPid ?? (() => process.ppid);
  const alive = options.isAlive ?? isAlive;
  const parentOf = options.parentOf ?? procParentOf;
  const watchGrandparent = options.watchGrandparent ?? startedByNpm();
  const parent = options.started?.parent ?? parentPid();
  if (!(parent > 1)) return () => undefined;
  const grandparent = options.started
    ? options.started.grandparent
    : watchGrandparent
      ? parentOf(parent)
      : undefined;
  const check = (): string | undefined => {
    if (parentPid() !== parent || !alive(parent)) return `its parent process ${parent} exited`;
    if (grandparent !== undefined && grandparent > 1 && parentOf(parent) !== grandparent)
      return `process ${grandparent} (npm), which started it through process ${parent}, exited`;
    return undefined;
  };
  const timer = setInterval(() => {
    const reason = check();
    if (reason === undefined) return;
    clearInterval(timer);
    onGone(reason);
  }, options.intervalMs ?? PARENT_WATCH_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
