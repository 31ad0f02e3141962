// The inline programs the benchmark runs: N of our resources, each provisioning one distinct user;
// the same program with N no-op dynamic resources (the engine's floor) or N resources of the minimal
// hand-written reference provider (bench/reference/minimalProvider.js: what the same HTTP work costs
// at the least); and, for P6, one resource provisioning a group with its members listed.
"use strict";
const path = require("node:path");

const root = path.resolve(__dirname, "../..");
const pulumi = require(path.join(root, "node_modules/@pulumi/pulumi"));
const { referenceProvider } = require("../reference/minimalProvider");

/** The baseline's provider: returns its inputs, no I/O. Captures nothing, so it serialises small. */
const noopProvider = {
  async create(inputs) {
    return { id: `noop-${inputs.parameters[0].subjects[0].objectId}`, outs: inputs };
  },
};

class NoopResource extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(noopProvider, name, args, opts, "bench", "Noop");
  }
}

class ReferenceResource extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(referenceProvider, name, args, opts, "bench", "MinimalReference");
  }
}

/** The type tokens of the resources in state and engine events. */
const TYPES = {
  ours: "pulumi-nodejs:dynamic/azuread:SynchronizationJobProvisionOnDemand",
  noop: "pulumi-nodejs:dynamic/bench:Noop",
  reference: "pulumi-nodejs:dynamic/bench:MinimalReference",
};

/**
 * The inline program for `spec`:
 * - `{ kind: "ours" | "noop" | "reference", n, userIds, servicePrincipalId, jobId, ruleId? }`: N
 *   resources, resource i provisioning user i; with `ruleId` every resource gives it (P1: the
 *   reference cannot resolve one), without it ours resolves it from the job's schema (P3).
 * - `{ kind: "group", groupId, memberIds, servicePrincipalId, jobId, ruleId? }`: one of our
 *   resources provisioning the group with its members listed (P6).
 */
function programFor(getSpec) {
  return async () => {
    const spec = getSpec();
    const { SynchronizationJobProvisionOnDemand } = require(path.join(root, "dist/index.js"));
    const rule = spec.ruleId ? { ruleId: spec.ruleId } : {};
    if (spec.kind === "group") {
      const members = spec.memberIds.map((objectId) => ({ objectId, objectTypeName: "User" }));
      new SynchronizationJobProvisionOnDemand("group", {
        servicePrincipalId: spec.servicePrincipalId,
        synchronizationJobId: spec.jobId,
        parameters: [
          { ...rule, subjects: [{ objectId: spec.groupId, objectTypeName: "Group", links: { members } }] },
        ],
      });
      return { members: members.length };
    }
    const Resource = {
      ours: SynchronizationJobProvisionOnDemand,
      noop: NoopResource,
      reference: ReferenceResource,
    }[spec.kind];
    for (let i = 0; i < spec.n; i++) {
      new Resource(`subject-${String(i + 1).padStart(3, "0")}`, {
        servicePrincipalId: spec.servicePrincipalId,
        synchronizationJobId: spec.jobId,
        parameters: [{ ...rule, subjects: [{ objectId: spec.userIds[i], objectTypeName: "User" }] }],
      });
    }
    return { count: spec.n };
  };
}

module.exports = { programFor, TYPES };
