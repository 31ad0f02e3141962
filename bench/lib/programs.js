// The two inline programs the benchmark compares: N of our resources, each provisioning one distinct
// user, and the same program with N no-op dynamic resources taking the same inputs (the baseline).
"use strict";
const path = require("node:path");

const root = path.resolve(__dirname, "../..");
const pulumi = require(path.join(root, "node_modules/@pulumi/pulumi"));

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

/** The type tokens of both resources in state and engine events. */
const TYPES = {
  ours: "pulumi-nodejs:dynamic/azuread:SynchronizationJobProvisionOnDemand",
  noop: "pulumi-nodejs:dynamic/bench:Noop",
};

/**
 * The inline program for `spec` = { kind: "ours" | "noop", n, userIds, servicePrincipalId, jobId }.
 * No ruleId: our provider resolves it from the job's schema, as most users let it.
 */
function programFor(getSpec) {
  return async () => {
    const spec = getSpec();
    const { SynchronizationJobProvisionOnDemand } = require(path.join(root, "dist/index.js"));
    const Resource = spec.kind === "ours" ? SynchronizationJobProvisionOnDemand : NoopResource;
    for (let i = 0; i < spec.n; i++) {
      new Resource(`subject-${String(i + 1).padStart(3, "0")}`, {
        servicePrincipalId: spec.servicePrincipalId,
        synchronizationJobId: spec.jobId,
        parameters: [{ subjects: [{ objectId: spec.userIds[i], objectTypeName: "User" }] }],
      });
    }
    return { count: spec.n };
  };
}

module.exports = { programFor, TYPES };
