// Child processes of the benchmark, found through /proc (Linux): the descendants of this process,
// the peak resident memory (VmHWM) of the dynamic-provider process, and a clean kill on Ctrl-C.
"use strict";
const fs = require("node:fs");

/** Every live process as { pid, ppid }; empty off Linux. */
function processTable() {
  let names;
  try {
    names = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  const table = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      // Field 2 (comm) may hold spaces and parentheses: parse from the last ") ".
      const rest = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
      table.push({ pid: Number(name), ppid: Number(rest[1]) });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** The child pids of `pid` from /proc/PID/task/TID/children (a few small reads); undefined when unavailable. */
function childrenOf(pid) {
  let tasks;
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const kids = [];
  for (const task of tasks) {
    let text;
    try {
      text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, "utf8");
    } catch (error) {
      if (error.code === "ENOENT" && task === String(pid)) return undefined; // no CONFIG_PROC_CHILDREN
      continue;
    }
    for (const child of text.split(" ")) if (child.trim()) kids.push(Number(child));
  }
  return kids;
}

/**
 * The pids of every descendant of `root` (default: this process), children first. Walks
 * /proc/PID/task/*\/children when the kernel has it (a few reads, so polling every 100 ms costs the
 * measured processes next to nothing), else scans the whole process table.
 */
function descendants(root = process.pid) {
  const direct = childrenOf(root);
  if (direct !== undefined) {
    const found = [];
    const queue = [...direct];
    while (queue.length > 0) {
      const pid = queue.shift();
      found.push(pid);
      queue.push(...(childrenOf(pid) ?? []));
    }
    return found;
  }
  const table = processTable();
  const children = new Map();
  for (const { pid, ppid } of table) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(pid);
  }
  const found = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** The argv of a process, or undefined once it is gone. */
function argvOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return undefined;
  }
}

/** A field of /proc/PID/status in kB (VmHWM, VmRSS), or undefined. */
function statusKb(pid, field) {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
      fs.readFileSync(`/proc/${pid}/status`, "utf8"),
    );
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Is this the Node process that serves dynamic resources? The plugin `pulumi-resource-pulumi-nodejs`
 * is a shell script that first runs `node -e "…require.resolve('@pulumi/pulumi/cmd/dynamic-provider')"`
 * (short-lived, skipped here) and then `node …/cmd/dynamic-provider …`.
 */
function isDynamicProvider(argv) {
  return !!argv && !argv.includes("-e") && argv.some((a) => a.includes("dynamic-provider"));
}

/** Is this the benchmark's emulator (`dist/emulator/cli.js`)? */
function isEmulator(argv) {
  return !!argv && argv.some((a) => a.endsWith("emulator/cli.js"));
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc/PID/stat; undefined when gone. */
function cpuSecondsOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
    // Fields 14 and 15 (utime, stime) are rest[11] and rest[12], in clock ticks (100 per second on Linux).
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Is this the Pulumi CLI (the engine)? */
function isPulumiCli(argv) {
  return !!argv && argv.length > 0 && /(^|\/)pulumi$/.test(argv[0]);
}

/**
 * Polls this process's descendants every `intervalMs` and keeps the highest VmHWM (peak RSS) seen
 * for the dynamic-provider process(es) and for the Pulumi CLI, and the CPU time each used while
 * watched (the dynamic provider's and the CLI's from their start: they start after the watch;
 * the emulator's and this process's from the watch's start). `stop()` returns MiB figures and CPU
 * seconds (undefined when no such process was seen, e.g. off Linux).
 */
function watchPeakRss(intervalMs = 100) {
  const peaks = { provider: 0, cli: 0 };
  const cpu = new Map(); // pid -> { kind, first, last } CPU seconds
  const ownCpu = process.cpuUsage();
  const kinds = new Map(); // pid -> "provider" | "cli" | "emulator" | "other"
  const sample = () => {
    for (const pid of descendants()) {
      let kind = kinds.get(pid);
      if (!kind) {
        const argv = argvOf(pid);
        if (!argv) continue;
        kind = isDynamicProvider(argv)
          ? "provider"
          : isPulumiCli(argv)
            ? "cli"
            : isEmulator(argv)
              ? "emulator"
              : "other";
        // The shell wrapper execs nothing, but argv can change right after fork: decide only once
        // the process has run its own program (a node or pulumi argv).
        if (kind === "other" && argv[0] && /sh$/.test(argv[0])) continue;
        kinds.set(pid, kind);
      }
      if (kind === "other") continue;
      const seconds = cpuSecondsOf(pid);
      if (seconds !== undefined) {
        const seen = cpu.get(pid);
        // A process first seen now started during the watch, except the emulator (it runs throughout).
        if (seen) seen.last = seconds;
        else cpu.set(pid, { kind, first: kind === "emulator" ? seconds : 0, last: seconds });
      }
      if (kind === "emulator") continue;
      const hwm = statusKb(pid, "VmHWM");
      if (hwm !== undefined) peaks[kind] = Math.max(peaks[kind], hwm);
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      const mib = (kb) => (kb > 0 ? Math.round((kb / 1024) * 10) / 10 : undefined);
      const cpuSeconds = { provider: 0, cli: 0, emulator: 0 };
      for (const { kind, first, last } of cpu.values()) cpuSeconds[kind] += last - first;
      const own = process.cpuUsage(ownCpu);
      cpuSeconds.bench = (own.user + own.system) / 1e6;
      for (const k of Object.keys(cpuSeconds)) cpuSeconds[k] = Math.round(cpuSeconds[k] * 100) / 100;
      return { providerMiB: mib(peaks.provider), cliMiB: mib(peaks.cli), cpuSeconds };
    },
  };
}

/** Sends `sig` to `pid`; false when the process is gone. */
function signal(pid, sig) {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Resolves after `ms`. */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stops every descendant of this process except `keep` (pids): SIGINT first (the Pulumi CLI cancels
 * cleanly on it), SIGKILL whatever is still alive after `graceMs`.
 */
async function stopDescendants({ keep = [], graceMs = 8000 } = {}) {
  const targets = () => descendants().filter((pid) => !keep.includes(pid));
  for (const pid of targets()) signal(pid, "SIGINT");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && targets().length > 0) await sleep(200);
  for (const pid of targets()) signal(pid, "SIGKILL");
}

module.exports = { descendants, argvOf, watchPeakRss, stopDescendants, isDynamicProvider };
