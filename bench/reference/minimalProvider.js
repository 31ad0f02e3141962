// THE REFERENCE ARM OF P1 — not part of the package, never shipped (package.json `files` is dist/).
//
// The smallest provisionOnDemand provider one could write by hand, to measure our provider against
// what any dynamic provider doing the same HTTP work costs (docs/BENCHMARKS.md, P1): a shell that
// captures nothing but this file's path, an @azure/identity ClientSecretCredential token, one global
// `fetch` POST per resource, outputs = inputs + result + requestId. No validation, no pacing, no
// retries, no schema lookup (the program gives the ruleId), no error mapping. Do not "improve" it: its
// value is in being the floor.
"use strict";

const IMPLEMENTATION = __filename;

/** The serialised shell: like ours, it loads the implementation at run time (here by path). */
const referenceProvider = {
  async configure(req) {
    return require(IMPLEMENTATION).configureImpl(req);
  },
  async create(inputs) {
    return require(IMPLEMENTATION).createImpl(inputs);
  },
};

let config;
let credential;

/** Reads the same stack config our provider reads (emulator URLs and the client secret). */
async function configureImpl(req) {
  const get = (key) => req.config.get(key);
  config = {
    tenantId: get("azuread:tenantId"),
    clientId: get("azuread:clientId"),
    clientSecret: get("azuread:clientSecret"),
    graphUrl: get("provisionOnDemand:graphUrl"),
    authorityHost: get("provisionOnDemand:authorityHost"),
  };
}

/** One token (cached by the credential), one POST, the first report's status. */
async function createImpl(inputs) {
  const { ClientSecretCredential } = require("@azure/identity");
  credential ??= new ClientSecretCredential(config.tenantId, config.clientId, config.clientSecret, {
    authorityHost: config.authorityHost,
    disableInstanceDiscovery: true,
  });
  const token = await credential.getToken("https://graph.microsoft.com/.default");
  const url =
    `${config.graphUrl}/beta/servicePrincipals/${inputs.servicePrincipalId}` +
    `/synchronization/jobs/${encodeURIComponent(inputs.synchronizationJobId)}/provisionOnDemand`;
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token.token}`, "content-type": "application/json" },
    body: JSON.stringify({ parameters: inputs.parameters }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`provisionOnDemand: HTTP ${response.status}: ${body?.error?.message}`);
  const value = typeof body.value === "string" ? JSON.parse(body.value) : body.value;
  const report = Array.isArray(value) ? value[0] : value;
  const { __provider: _, ...outs } = inputs;
  return {
    id: response.headers.get("request-id") ?? String(Date.now()),
    outs: {
      ...outs,
      result: String(report?.statusInfo?.status ?? "unknown"),
      requestId: response.headers.get("request-id") ?? "",
    },
  };
}

module.exports = { referenceProvider, configureImpl, createImpl };
