/**
 * Programs as users write them, each in a fresh project that installs the packed package (`npm pack`,
 * tests/support/tarball.ts) and deployed with the real CLI against the emulator:
 *
 * - an ES module TypeScript program: `"type": "module"`, `import { SynchronizationJobProvisionOnDemand }
 *   from "pulumi-azuread-provision-on-demand"`, top-level await, `import.meta`; ts-node in the project,
 *   as Pulumi's automatic ESM mode needs (@pulumi/pulumi's cmd/run registers ts-node's ESM hooks
 *   when the project is a module and `ts-node/esm` resolves). Its typings are checked by `tsc
 *   --noEmit` under `moduleResolution` node16, nodenext and bundler;
 * - ts-node type-checks it; without ts-node, Node's own type stripping runs it unchecked;
 * - a plain CommonJS JavaScript program (`require`).
 *
 * What runs the program is @pulumi/pulumi's cmd/run from the project's node_modules (the language host
 * only starts it), so the built language host (v3.68.0, docs/PULUMI-CLI.md) runs these programs as a
 * current CLI's does. docs/RUNTIMES.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { RunningEmulator } from "../../src/emulator";
import { basicExampleConfig } from "../../scripts/lib/pulumiSandbox";
import { pulumiCli, pulumiOk, runCommand } from "../support/commands";
import { graphCalls } from "../support/emulator";
import { describeWithPulumi, withEmulatorAndSandbox, type PulumiSandbox } from "../support/pulumi";
import { installProject, packPackage, repoVersionOf, tarballDependencies } from "../support/tarball";

jest.setTimeout(6 * 60_000);

/** ts-node for the ESM project: the release whose `ts-node/esm` Pulumi's automatic ESM mode loads. */
const TS_NODE_VERSION = "10.9.2";

const PULUMI_YAML = (name: string) => `name: ${name}\nruntime: nodejs\n`;

/** The ESM TypeScript program: the group and its members, ids from stack config. */
const ESM_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { SynchronizationJobProvisionOnDemand, type SubjectArgs } from "pulumi-azuread-provision-on-demand";

const config = new pulumi.Config();
// Top-level await: an ES module only.
const memberIds = await Promise.resolve(config.requireObject<string[]>("memberIds"));
const group: SubjectArgs = {
  objectId: config.require("groupId"),
  objectTypeName: "Group",
  links: { members: memberIds.map((objectId) => ({ objectId, objectTypeName: "User" as const })) },
};
// The package's own typings, not \`any\`: an unknown objectTypeName is a type error.
// @ts-expect-error "Team" is not a SubjectObjectTypeName
export const notAType: SubjectArgs["objectTypeName"] = "Team";

const provisioning = new SynchronizationJobProvisionOnDemand("esm", {
  servicePrincipalId: config.require("servicePrincipalId"),
  synchronizationJobId: config.require("synchronizationJobId"),
  parameters: [{ subjects: [group] }],
});

export const result = provisioning.result;
export const moduleUrl = import.meta.url;
`;

/** The CommonJS JavaScript program: one user, ids from stack config. */
const CJS_PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const { SynchronizationJobProvisionOnDemand } = require("pulumi-azuread-provision-on-demand");

const config = new pulumi.Config();
const provisioning = new SynchronizationJobProvisionOnDemand("cjs", {
  servicePrincipalId: config.require("servicePrincipalId"),
  synchronizationJobId: config.require("synchronizationJobId"),
  parameters: [{ subjects: [{ objectId: config.requireObject("memberIds")[0], objectTypeName: "User" }] }],
});

exports.result = provisioning.result;
exports.moduleSystem = typeof module === "object" && typeof require === "function" ? "commonjs" : "other";
`;

/** The ESM project's tsconfig: what `tsc --init` and Pulumi's ESM docs give (module nodenext). */
const ESM_TSCONFIG = {
  compilerOptions: {
    strict: true,
    target: "ES2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    skipLibCheck: true,
  },
  files: ["index.ts"],
};

/** The `module` that goes with each `moduleResolution` the typings are checked under. */
const RESOLUTIONS = [
  { moduleResolution: "node16", module: "node16" },
  { moduleResolution: "nodenext", module: "nodenext" },
  { moduleResolution: "bundler", module: "esnext" },
];

describeWithPulumi("programs as users write them, installing the packed package", () => {
  let emulator: RunningEmulator;
  let sandbox: PulumiSandbox;
  let esm: string;
  let cjs: string;

  withEmulatorAndSandbox(async (started, made) => {
    emulator = started;
    sandbox = made;
    esm = path.join(sandbox.dir, "esm-ts");
    cjs = path.join(sandbox.dir, "cjs-js");
    fs.mkdirSync(esm);
    fs.mkdirSync(cjs);
    const tarball = packPackage(esm);
    fs.copyFileSync(path.join(esm, tarball), path.join(cjs, tarball));
    fs.writeFileSync(path.join(esm, "Pulumi.yaml"), PULUMI_YAML("esm-ts"));
    fs.writeFileSync(path.join(esm, "index.ts"), ESM_PROGRAM);
    fs.writeFileSync(path.join(esm, "tsconfig.json"), `${JSON.stringify(ESM_TSCONFIG, null, 2)}\n`);
    fs.writeFileSync(path.join(cjs, "Pulumi.yaml"), PULUMI_YAML("cjs-js"));
    fs.writeFileSync(path.join(cjs, "index.js"), CJS_PROGRAM);
    await Promise.all([
      installProject(esm, {
        name: "esm-ts",
        private: true,
        type: "module",
        main: "index.ts",
        dependencies: tarballDependencies(tarball),
        devDependencies: {
          typescript: repoVersionOf("typescript"),
          "ts-node": TS_NODE_VERSION,
          "@types/node": repoVersionOf("@types/node"),
        },
      }),
      installProject(cjs, {
        name: "cjs-js",
        private: true,
        main: "index.js",
        dependencies: tarballDependencies(tarball),
      }),
    ]);
    for (const dir of [esm, cjs]) {
      await pulumiOk(sandbox, dir, ["stack", "init", "dev"]);
      for (const args of basicExampleConfig(emulator)) await pulumiOk(sandbox, dir, args);
    }
  });

  it("an ES module TypeScript program deploys the packed package (ts-node's ESM hooks)", async () => {
    await emulator.admin.reset(); // an empty target system: each program's subjects are new to it
    await pulumiOk(sandbox, esm, ["up", "--yes", "--skip-preview"]);
    const outputs = JSON.parse((await pulumiOk(sandbox, esm, ["stack", "output", "--json"])).stdout);
    expect(outputs.result).toBe("Success");
    expect(outputs.moduleUrl).toBe(`file://${path.join(fs.realpathSync(esm), "index.ts")}`);
    expect(await graphCalls(emulator)).toMatchObject({ token: 1, schema: 1, post: 1 });
    await pulumiOk(sandbox, esm, ["destroy", "--yes", "--skip-preview"]);
  });

  it.each(RESOLUTIONS)(
    "its typings resolve under moduleResolution $moduleResolution (tsc --noEmit)",
    async ({ moduleResolution, module }) => {
      const config = `tsconfig.${moduleResolution}.json`;
      fs.writeFileSync(
        path.join(esm, config),
        JSON.stringify({
          extends: "./tsconfig.json",
          compilerOptions: { module, moduleResolution, noEmit: true },
        }),
      );
      const tsc = path.join(esm, "node_modules/typescript/bin/tsc");
      const run = await runCommand(process.execPath, [tsc, "-p", config], { cwd: esm, env: sandbox.env });
      expect(`${run.stdout}${run.stderr}`).toBe("");
      expect(run.code).toBe(0);
    },
  );

  it("ts-node type-checks the ESM program; without it, Node's type stripping runs it unchecked", async () => {
    const program = path.join(esm, "index.ts");
    const tsNode = path.join(esm, "node_modules/ts-node");
    const hidden = path.join(esm, "ts-node.hidden");
    fs.appendFileSync(program, 'export const typeError: number = "not a number";\n');
    try {
      const checked = await pulumiCli(sandbox, esm, ["preview"]);
      expect(checked.code).not.toBe(0);
      expect(checked.stdout).toMatch(/TS2322: Type 'string' is not assignable to type 'number'/);
      fs.renameSync(tsNode, hidden);
      const stripped = await pulumiCli(sandbox, esm, ["preview"]);
      expect(stripped.code).toBe(0);
      expect(stripped.stdout).toMatch(/\+ 2 to create|2 to create/);
    } finally {
      if (fs.existsSync(hidden)) fs.renameSync(hidden, tsNode);
      fs.writeFileSync(program, ESM_PROGRAM);
    }
  });

  it("a CommonJS JavaScript program deploys the packed package", async () => {
    await emulator.admin.reset();
    await pulumiOk(sandbox, cjs, ["up", "--yes", "--skip-preview"]);
    const outputs = JSON.parse((await pulumiOk(sandbox, cjs, ["stack", "output", "--json"])).stdout);
    expect(outputs).toMatchObject({ result: "Success", moduleSystem: "commonjs" });
    expect(await graphCalls(emulator)).toMatchObject({ token: 1, schema: 1, post: 1 });
    await pulumiOk(sandbox, cjs, ["destroy", "--yes", "--skip-preview"]);
  });
});
