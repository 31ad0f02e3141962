/**
 * The serialised shell has two functions (src/provisionOnDemand.ts): configure, check, diff and
 * create all go through `dispatch`, which tells them apart by their arguments as the engine's
 * dynamic-provider host passes them. Each call must reach the method it stands for.
 */
import * as provider from "../../src/provider";
import { provisionOnDemandProvider as shell } from "../../src/provisionOnDemand";
import { configureRequest } from "../support/provider";
import { validInputs } from "../support/subjects";

describe("the shell's dispatch reaches the method each call stands for", () => {
  it("check(olds, news) is check: the same normalised inputs", async () => {
    expect(await shell.check!({}, validInputs())).toEqual(await provider.check({}, validInputs()));
  });

  it("diff(id, olds, news) is diff: a changed trigger asks for a replacement", async () => {
    const olds = (await provider.check({}, validInputs())).inputs;
    const news = (await provider.check({}, { ...validInputs(), triggers: { round: "2" } })).inputs;
    const viaShell = await shell.diff!("id-1", olds, news);
    expect(viaShell).toEqual(await provider.diff("id-1", olds, news));
    expect(viaShell.replaces).toEqual(["triggers"]);
  });

  it("configure({ config }) is configure: it resolves without a result and makes later calls use the config", async () => {
    await expect(shell.configure!(configureRequest({}))).resolves.toBeUndefined();
  });

  it("create(inputs) is create: inputs that do not check are refused as create refuses them", async () => {
    await expect(shell.create({ servicePrincipalId: "not-a-guid" })).rejects.toThrow(/^invalid inputs: /);
  });

  it("update stays its own function", () => {
    expect(shell.update).not.toBe(shell.create);
    expect(new Set([shell.configure, shell.check, shell.diff, shell.create]).size).toBe(1);
  });
});
