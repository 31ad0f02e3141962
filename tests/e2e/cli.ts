/**
 * Runs the `pulumi` CLI as users do, in a work-directory program, and returns what it printed.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot, type PulumiSandbox } from "./harness";

/** What one CLI run printed. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `pulumi ARGS` in `cwd`; resolves with the exit code and output (never rejects on exit code). */
export function pulumiCli(
  sandbox: PulumiSandbox,
  cwd: string,
  args: string[],
  timeoutMs = 4 * 60_000,
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      "pulumi",
      [...args, "--non-interactive"],
      { cwd, env: sandbox.env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Like `pulumiCli`, but throws with the output when the exit code is not 0. */
export async function pulumiOk(sandbox: PulumiSandbox, cwd: string, args: string[]): Promise<CliRun> {
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

/**
 * Copies examples/basic into the sandbox (so the test writes no Pulumi.<stack>.yaml into the repo)
 * and links its installed node_modules (installing them first when missing).
 */
export function copyBasicExample(sandbox: PulumiSandbox, name: string): string {
  const example = path.join(repoRoot, "examples/basic");
  const modules = path.join(example, "node_modules");
  if (!fs.existsSync(path.join(modules, "pulumi-azuread-provision-on-demand"))) {
    require("node:child_process").execFileSync("npm", ["install", "--no-audit", "--no-fund"], {
      cwd: example,
      stdio: "inherit",
    });
  }
  const dir = path.join(sandbox.dir, name);
  fs.mkdirSync(dir);
  for (const file of ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json"]) {
    fs.copyFileSync(path.join(example, file), path.join(dir, file));
  }
  fs.symlinkSync(modules, path.join(dir, "node_modules"));
  return dir;
}
