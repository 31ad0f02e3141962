/**
 * The package as users get it from npm: `npm pack`, installed into a fresh TypeScript project (a real
 * node_modules, no symlink to this repo), deployed with `pulumi up`, credentials and endpoints from
 * ARM_* / PROVISION_ON_DEMAND_* / AZURE_AUTHORITY_HOST environment variables instead of stack config.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { RunningEmulator } from "../../src/emulator";
import { environmentFor } from "../../src/emulator/cli";
import { basicExampleConfig, basicExampleDir } from "../../scripts/lib/pulumiSandbox";
import { pulumiOk } from "../support/commands";
import { graphCalls } from "../support/emulator";
import { filesContaining } from "../support/files";
import { describeWithPulumi, withEmulatorAndSandbox, type PulumiSandbox } from "../support/pulumi";
import { installProject, packPackage, tarballDependencies } from "../support/tarball";

jest.setTimeout(6 * 60_000);

describeWithPulumi("the npm package installed from its tarball", () => {
  let emulator: RunningEmulator;
  let sandbox: PulumiSandbox;
  let project: string;

  withEmulatorAndSandbox(async (started, made) => {
    emulator = started;
    sandbox = made;
    project = path.join(sandbox.dir, "project");
    fs.mkdirSync(project);
    const tarball = packPackage(project);
    for (const file of ["Pulumi.yaml", "index.ts", "tsconfig.json"]) {
      fs.copyFileSync(path.join(basicExampleDir, file), path.join(project, file));
    }
    await installProject(project, {
      name: "tarball-user",
      private: true,
      main: "index.ts",
      dependencies: tarballDependencies(tarball),
    });
    // Credentials and endpoints the way CI systems pass them: environment variables, no stack config.
    // What `graph-emulator --json` prints under "env": ARM_*, the Graph URL, the authority host, the CA.
    Object.assign(sandbox.env, environmentFor(emulator));
    await pulumiOk(sandbox, project, ["stack", "init", "dev"]);
    for (const args of basicExampleConfig(emulator, { credentials: false })) {
      await pulumiOk(sandbox, project, args);
    }
  });

  it("is a real install, not a link to this repository", () => {
    const installed = path.join(project, "node_modules/pulumi-azuread-provision-on-demand");
    expect(fs.lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(fs.existsSync(path.join(installed, "dist/provider/index.js"))).toBe(true);
    expect(fs.existsSync(path.join(installed, "src"))).toBe(false);
  });

  it("deploys with credentials from ARM_* variables and keeps the secret out of state", async () => {
    await emulator.admin.clearRequests();
    await pulumiOk(sandbox, project, ["up", "--yes", "--skip-preview"]);
    const outputs = JSON.parse((await pulumiOk(sandbox, project, ["stack", "output", "--json"])).stdout);
    expect(outputs.result).toBe("Success");
    expect(await graphCalls(emulator)).toMatchObject({ token: 1, schema: 1, post: 1 });
    const backend = sandbox.env.PULUMI_BACKEND_URL.replace("file://", "");
    expect(filesContaining(backend, emulator.clientSecret)).toEqual([]);
    await pulumiOk(sandbox, project, ["destroy", "--yes", "--skip-preview"]);
  });
});
