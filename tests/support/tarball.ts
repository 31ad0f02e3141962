/**
 * The package as users get it from npm: `npm pack` of this repository, installed from the tarball into
 * a fresh project (a real node_modules, no link to this repository). Used by the e2e suites that deploy
 * it (tests/e2e/package.test.ts, tests/e2e/programs.test.ts).
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../../scripts/lib/pulumiSandbox";

/** The name users install. */
export const PACKAGE_NAME = "pulumi-azuread-provision-on-demand";

/**
 * `npm pack` of this repository into `dir`; returns the tarball's file name. Packs dist/ as
 * `npm test` built it (scripts/test.js builds before jest starts): `--ignore-scripts` skips the
 * prepack build, so suites packing at the same time never rebuild dist/ under each other.
 */
export function packPackage(dir: string): string {
  return execFileSync("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", dir], {
    cwd: repoRoot,
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop()!;
}

/** The version of a package installed in this repository (the versions the tests pin users to). */
export function repoVersionOf(name: string): string {
  return JSON.parse(fs.readFileSync(path.join(repoRoot, "node_modules", name, "package.json"), "utf8"))
    .version;
}

/**
 * The dependencies a user's project declares: `@pulumi/pulumi` at this repository's version and this
 * package from `tarball` (a file name in the project's folder).
 */
export function tarballDependencies(tarball: string): Record<string, string> {
  return { "@pulumi/pulumi": repoVersionOf("@pulumi/pulumi"), [PACKAGE_NAME]: `file:./${tarball}` };
}

/** Writes `packageJson` as the project's package.json and runs `npm install` there. */
export function installProject(project: string, packageJson: object): Promise<void> {
  fs.writeFileSync(path.join(project, "package.json"), `${JSON.stringify(packageJson, null, 2)}\n`);
  return new Promise((resolve, reject) => {
    execFile(
      "npm",
      ["install", "--no-audit", "--no-fund", "--loglevel=error"],
      { cwd: project, timeout: 5 * 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`npm install in ${project} failed: ${error.message}\n${stdout}${stderr}`))
          : resolve(),
    );
  });
}
