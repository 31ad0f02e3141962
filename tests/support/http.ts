/**
 * Plain HTTPS to the emulator, as a client without our provider would talk to it: real
 * @azure/identity credentials and tokens, Graph paths, and fetch calls with the answer parsed.
 */
import { ClientSecretCredential } from "@azure/identity";
import type { ProvisioningReport, RunningEmulator } from "../../src/emulator";

/** The Graph scope every credential asks for. */
export const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

/** A ClientSecretCredential pointed at the emulator. */
export function secretCredential(
  emulator: RunningEmulator,
  clientId = emulator.clientId,
  secret = emulator.clientSecret,
  tenantId = emulator.tenantId,
): ClientSecretCredential {
  return new ClientSecretCredential(tenantId, clientId, secret, {
    authorityHost: emulator.authorityHost,
    disableInstanceDiscovery: true,
  });
}

/** An access token for an app, obtained with its client secret through the real token endpoint. */
export async function tokenFor(
  emulator: RunningEmulator,
  clientId = emulator.clientId,
  secret = emulator.clientSecret,
  tenantId = emulator.tenantId,
): Promise<string> {
  return (await secretCredential(emulator, clientId, secret, tenantId).getToken(GRAPH_SCOPE)).token;
}

/** An HTTPS answer, body parsed as JSON when possible. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly text: string;
}

/** A plain fetch to the emulator. */
export async function call(
  emulator: RunningEmulator,
  method: string,
  path: string,
  options: {
    token?: string;
    body?: unknown;
    rawBody?: string | Buffer;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Buffer | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const response = await fetch(`${emulator.url}${path}`, { method, headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

/** The Graph path of a job (or of one of its leaves). */
export function jobPath(
  emulator: RunningEmulator,
  leaf = "",
  {
    version = "beta",
    servicePrincipalId = emulator.fixture.servicePrincipalId,
    jobId = emulator.fixture.jobId,
  } = {},
): string {
  return `/${version}/servicePrincipals/${servicePrincipalId}/synchronization/jobs/${encodeURIComponent(jobId)}${leaf}`;
}

/** A provisionOnDemand body for some subjects through the fixture's rule. */
export function provisionBody(
  emulator: RunningEmulator,
  subjects: unknown[],
  ruleId = emulator.fixture.ruleId,
): unknown {
  return { parameters: [{ ruleId, subjects }] };
}

/** POSTs provisionOnDemand for the fixture's job. */
export function provision(
  emulator: RunningEmulator,
  token: string,
  subjects: unknown[],
  version = "beta",
): Promise<Answer> {
  return call(emulator, "POST", jobPath(emulator, "/provisionOnDemand", { version }), {
    token,
    body: provisionBody(emulator, subjects),
  });
}

/** The reports of a live-shape answer. */
export function liveReports(answer: Answer): ProvisioningReport[] {
  return JSON.parse(answer.json.value) as ProvisioningReport[];
}
