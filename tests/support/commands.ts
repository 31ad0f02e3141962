/**
 * Commands as users run them: any program with its exit code and output, the `pulumi` CLI in a
 * sandbox, and the examples' npm installs.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { basicExampleDir, type PulumiSandbox } from "../../scripts/lib/pulumiSandbox";

/** What one command run printed. */
export interface CommandRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command ARGS` in `cwd`; resolves with the exit code and output (never rejects on the exit code). */
export function runCommand(
  command: string,
  args: string[],
  { cwd, env, timeoutMs = 5 * 60_000 }: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CommandRun> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `pulumi ARGS --non-interactive` in `cwd` with the sandbox's environment. */
export function pulumiCli(
  sandbox: PulumiSandbox,
  cwd: string,
  args: string[],
  timeoutMs = 4 * 60_000,
): Promise<CommandRun> {
  return runCommand("pulumi", [...args, "--non-interactive"], { cwd, env: sandbox.env, timeoutMs });
}

/** Like `pulumiCli`, but throws with the output when the exit code is not 0. */
export async function pulumiOk(sandbox: PulumiSandbox, cwd: string, args: string[]): Promise<CommandRun> {
  const run = await pulumiCli(sandbox, cwd, args);
  if (run.code !== 0)
    throw new Error(`pulumi ${args.join(" ")} exited ${run.code}\n${run.stdout}\n${run.stderr}`);
  return run;
}

/** Starts `pulumi ARGS` in its own process group, for tests that kill it. */
export function spawnPulumi(sandbox: PulumiSandbox, cwd: string, args: string[]): ChildProcess {
  return spawn("pulumi", [...args, "--non-interactive"], {
    cwd,
    env: sandbox.env,
    detached: true,
    stdio: "ignore",
  });
}

/** Installs an example's dependencies (`npm install`) when any of `deps` is missing from its node_modules. */
export function ensureInstalled(dir: string, deps: string[]): void {
  if (deps.every((dep) => fs.existsSync(path.join(dir, "node_modules", dep, "package.json")))) return;
  execFileSync("npm", ["install", "--no-audit", "--no-fund"], {
    cwd: dir,
    stdio: "inherit",
    timeout: 5 * 60_000,
  });
}

/**
 * Copies examples/basic into the sandbox (so the test writes no Pulumi.<stack>.yaml into the repo)
 * and links its installed node_modules (installing them first when missing).
 */
export function copyBasicExample(sandbox: PulumiSandbox, name: string): string {
  ensureInstalled(basicExampleDir, ["@pulumi/pulumi", "pulumi-azuread-provision-on-demand"]);
  const dir = path.join(sandbox.dir, name);
  fs.mkdirSync(dir);
  for (const file of ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json"]) {
    fs.copyFileSync(path.join(basicExampleDir, file), path.join(dir, file));
  }
  fs.symlinkSync(path.join(basicExampleDir, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}
