/**
 * The provider shell is serialised into Pulumi state twice per resource (docs/ARCHITECTURE.md). It must
 * stay small, carry no secret and no path of this machine, and load wherever the package is installed.
 *
 * The shell is taken from the BUILT package (`npm test` builds before jest runs): ts-jest output or
 * coverage instrumentation would change the serialised text. Run this suite without --coverage.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { GROUP_ID } from "../support/ids";
import { validInputs } from "../support/subjects";

const requireFromString = require("require-from-string") as (code: string, filename?: string) => unknown;

const REPO_ROOT = path.resolve(__dirname, "../..");
const SECRET = "serialisation-canary-cs~9fQ2xv";
const PROVIDER_METHODS = ["check", "configure", "create", "diff", "update"];

let text: string;
let provider: pulumi.dynamic.ResourceProvider;
const savedSecret = process.env.ARM_CLIENT_SECRET;

beforeAll(async () => {
  process.env.ARM_CLIENT_SECRET = SECRET;
  provider = require(path.join(REPO_ROOT, "dist/index.js")).provisionOnDemandProvider;
  const serialised = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  expect(serialised.exportName).toBe("handler");
  expect(serialised.containsSecrets).toBe(false);
  text = serialised.text;
});

afterAll(() => {
  if (savedSecret === undefined) delete process.env.ARM_CLIENT_SECRET;
  else process.env.ARM_CLIENT_SECRET = savedSecret;
});

describe("what the provider writes into state", () => {
  it("is at most 2 KB", () => {
    expect(Buffer.byteLength(text, "utf8")).toBeLessThanOrEqual(2048);
  });

  it("holds no secret from the environment", () => {
    expect(text).not.toContain(SECRET);
  });

  it("holds no absolute path of this machine", () => {
    for (const local of [REPO_ROOT, "/work", os.tmpdir(), os.homedir()]) expect(text).not.toContain(local);
  });

  it("loads its implementation by package name at run time", () => {
    expect(text).toContain('require("pulumi-azuread-provision-on-demand/provider")');
  });

  it("has exactly configure, check, diff, create and update: no read or delete, whose engine defaults make no Graph call", () => {
    expect(Object.keys(provider).sort()).toEqual(PROVIDER_METHODS);
    expect(provider.read).toBeUndefined();
    expect(provider.delete).toBeUndefined();
  });
});

describe("the serialised provider runs from a directory outside the repo where the package is installed", () => {
  let workDir: string;
  let loaded: pulumi.dynamic.ResourceProvider;
  const savedCwd = process.cwd();

  beforeAll(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "pod-serialisation-"));
    expect(path.relative(REPO_ROOT, workDir).startsWith("..")).toBe(true);
    fs.mkdirSync(path.join(workDir, "node_modules"));
    fs.symlinkSync(
      REPO_ROOT,
      path.join(workDir, "node_modules", "pulumi-azuread-provision-on-demand"),
      "dir",
    );
    process.chdir(workDir);
    // As the engine's dynamic-provider host does: require-from-string without a file name, so
    // bare package names resolve from the working directory.
    const module = requireFromString(text) as { handler: () => pulumi.dynamic.ResourceProvider };
    loaded = module.handler();
  });

  afterAll(() => {
    process.chdir(savedCwd);
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it("rebuilds the same five methods", () => {
    expect(Object.keys(loaded).sort()).toEqual(PROVIDER_METHODS);
  });

  it("checks a valid input with no failures", async () => {
    const result = await loaded.check!({}, validInputs());
    expect(result.failures).toBeUndefined();
    expect(result.inputs).toMatchObject({ apiVersion: "beta", failOnProvisioningError: true });
  });

  it("rejects a bad input naming the property", async () => {
    const bad = {
      ...validInputs(),
      parameters: [{ subjects: [{ objectId: GROUP_ID, objectTypeName: "group" }] }],
    };
    const result = await loaded.check!({}, bad);
    expect(result.failures).toEqual([
      {
        property: "parameters[0].subjects[0].objectTypeName",
        reason: 'must be one of "User", "user", "Group", "Worker"',
      },
    ]);
  });
});
