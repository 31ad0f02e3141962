/**
 * An offline Microsoft Graph + Entra ID emulator for the synchronization (provisionOnDemand) API.
 * `startEmulator()` runs it in-process and returns its URLs, CA file and credentials; the
 * `graph-emulator` CLI runs it standalone.
 */
import { promises as fs } from "node:fs";
import { EmulatorAdmin } from "./adminClient";
import type { EmulatorInfo } from "./admin";
import {
  createServerCertificate,
  ensureCertificateAuthority,
  generateRsaKeyPair,
  newTemporaryCaDir,
  readCertificateAuthority,
} from "./certificates";
import type { CertificateAndKey, CertificateAuthorityFiles } from "./certificates";
import type { EmulatorCore, ResponseShape } from "./core";
import { defaultFixture } from "./defaultFixture";
import { CancellableTimers, FaultInjector } from "./faults";
import { loadFixtureFile, parseFixture } from "./fixture";
import type { EmulatorFixture, ValidatedFixture } from "./fixture";
import { parseRateLimit } from "../duration";
import { DEFAULT_DIRECTORY_READ_RATE_LIMIT, DEFAULT_RATE_LIMIT, TenantRateLimiter } from "./rateLimit";
import { withGroupMembers } from "./largeGroup";
import { RequestLog } from "./requestLog";
import type { RequestLogEntry } from "./requestLog";
import { startServer } from "./server";
import { DirectoryState, materializeFixture } from "./state";
import type { FixtureSummary } from "./state";
import { AccessTokenAuthority } from "./tokens";

export { EmulatorAdmin, EmulatorAdminError } from "./adminClient";
export type { GroupMembershipChange, MintTokenRequest, TargetSystemObject } from "./adminClient";
export type { EmulatorInfo } from "./admin";
export {
  createCertificateAuthority,
  createClientCertificate,
  createServerCertificate,
  ensureCertificateAuthority,
  generateRsaKeyPair,
} from "./certificates";
export type { CertificateAndKey, CertificateAuthorityFiles, RsaKeyPair } from "./certificates";
export type { EmulatorSettings, ResponseShape } from "./core";
export { DEFAULT_IDS, databricksScimSchema, defaultFixture } from "./defaultFixture";
export type { Fault, FaultSpec } from "./faults";
export { FixtureError, loadFixtureFile, parseFixture } from "./fixture";
export type { EmulatorFixture, EmulatorObjects } from "./fixture";
export { generatedMemberId, MAX_GENERATED_GROUP_MEMBERS } from "./largeGroup";
export { LIVE_SHAPE_KEY } from "./provisioningReport";
export { MAX_GROUP_MEMBERS } from "./provisionRequest";
export type { ProvisioningReport } from "./provisioningReport";
export { parseRateLimit } from "../duration";
export type { RateLimit } from "../duration";
export { DEFAULT_DIRECTORY_READ_RATE_LIMIT, DEFAULT_RATE_LIMIT } from "./rateLimit";
export { formatLogLine } from "./requestLog";
export type { RequestKind, RequestLogEntry } from "./requestLog";
export type { FixtureSummary } from "./state";
export { ACCESS_TOKEN_LIFETIME_SECONDS, GRAPH_AUDIENCE } from "./tokens";
export type { AccessTokenClaims } from "./tokens";

/** How to start the emulator. */
export interface StartEmulatorOptions {
  /** TCP port; default 0 = a free port. */
  port?: number;
  /** Listen address; default `127.0.0.1`. URLs always use `localhost`. */
  host?: string;
  /** The fixture: an object, or the path of a JSON file; default the built-in fixture. */
  fixture?: EmulatorFixture | string;
  /** provisionOnDemand rate limit per tenant: `"5/10s"` (default), `"2/1s"`, `"10/500ms"`, or `"off"`. */
  rateLimit?: string;
  /** Directory-read (group members) rate limit per tenant, same grammar; default `"off"`. */
  directoryReadRateLimit?: string;
  /** Gives the fixture's headline group exactly this many direct user members (generated after its own). */
  groupMembers?: number;
  /** How long objects added at run time answer 404, in ms; default 0. */
  replicationLagMs?: number;
  /** provisionOnDemand answer shape; default `"live"`. */
  shape?: ResponseShape;
  /** Reuse (or create) `ca.pem` + `ca-key.pem` in this folder; default a fresh CA in a temp folder. */
  caDir?: string;
  /** Called after each request (admin requests included, with kind `admin`). */
  onRequest?: (entry: RequestLogEntry) => void;
}

/** A running emulator. */
export interface RunningEmulator {
  /** `https://localhost:PORT`. */
  readonly url: string;
  /** Graph base URL without version (= url); clients append `/beta` or `/v1.0`. */
  readonly graphUrl: string;
  /** Entra login host (= url); the tenant path follows. */
  readonly authorityHost: string;
  /** PEM file of the CA, for `NODE_EXTRA_CA_CERTS` or an `https.Agent`'s `ca`. */
  readonly caCertPath: string;
  /** The port listened on. */
  readonly port: number;
  /** The default tenant. */
  readonly tenantId: string;
  /** The default caller app's client id. */
  readonly clientId: string;
  /** The default caller app's client secret. */
  readonly clientSecret: string;
  /** The fixture's headline ids. */
  readonly fixture: FixtureSummary;
  /** A typed client of the admin API. */
  readonly admin: EmulatorAdmin;
  /** Closes the server and every open connection (hung requests included). */
  stop(): Promise<void>;
}

/**
 * Server certificates already issued in this process, per CA certificate: emulators started one after
 * another (tests) reuse the leaf instead of paying for a key pair and a signature each time.
 */
const issuedServerCertificates = new Map<string, Promise<CertificateAndKey & { caCertificatePem: string }>>();

async function serverCertificateFor(
  files: CertificateAuthorityFiles,
): Promise<CertificateAndKey & { caCertificatePem: string }> {
  const ca = await readCertificateAuthority(files);
  let issued = issuedServerCertificates.get(ca.certificatePem);
  if (!issued) {
    issued = generateRsaKeyPair().then((keys) => ({
      ...createServerCertificate(ca, keys),
      caCertificatePem: ca.certificatePem,
    }));
    issuedServerCertificates.set(ca.certificatePem, issued);
    issued.catch(() => issuedServerCertificates.delete(ca.certificatePem));
  }
  return issued;
}

function checkShape(shape: string): ResponseShape {
  if (shape !== "live" && shape !== "docs")
    throw new RangeError(`Invalid shape "${shape}": use "live" or "docs"`);
  return shape;
}

/** The start settings the options ask for, checked. */
function startSettings(options: StartEmulatorOptions): EmulatorCore["initial"] {
  const replicationLagMs = options.replicationLagMs ?? 0;
  if (!(replicationLagMs >= 0)) throw new RangeError(`Invalid replicationLagMs ${replicationLagMs}`);
  return {
    rateLimit: parseRateLimit(options.rateLimit ?? DEFAULT_RATE_LIMIT, "rateLimit"),
    directoryReadRateLimit: parseRateLimit(
      options.directoryReadRateLimit ?? DEFAULT_DIRECTORY_READ_RATE_LIMIT,
      "directoryReadRateLimit",
    ),
    replicationLagMs,
    shape: checkShape(options.shape ?? "live"),
  };
}

/**
 * The fixture the options name (object, file, or the default one), validated, its headline group
 * grown to `groupMembers`, secrets generated.
 */
async function startFixture(options: StartEmulatorOptions): Promise<ValidatedFixture> {
  const fixture =
    typeof options.fixture === "string"
      ? await loadFixtureFile(options.fixture)
      : parseFixture(options.fixture ?? defaultFixture());
  return materializeFixture(
    options.groupMembers === undefined ? fixture : withGroupMembers(fixture, options.groupMembers),
  );
}

/** The shared state of every route, at the start settings. */
function createCore(
  fixture: ValidatedFixture,
  initial: EmulatorCore["initial"],
  signingKeys: { readonly publicKeyPem: string; readonly privateKeyPem: string },
): EmulatorCore {
  return {
    state: new DirectoryState(fixture),
    tokens: new AccessTokenAuthority(signingKeys),
    rateLimiter: new TenantRateLimiter(initial.rateLimit),
    directoryReadLimiter: new TenantRateLimiter(initial.directoryReadRateLimit),
    faults: new FaultInjector(),
    timers: new CancellableTimers(),
    log: new RequestLog(),
    replicationLagMs: initial.replicationLagMs,
    shape: initial.shape,
    initial,
    baseUrl: "",
  };
}

/** Starts an emulator. Rejects on an invalid fixture or option, or when the port is taken. */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const initial = startSettings(options);
  const fixture = await startFixture(options);
  const temporaryCaDir = options.caDir === undefined ? await newTemporaryCaDir() : undefined;
  const caFiles = await ensureCertificateAuthority(options.caDir ?? (temporaryCaDir as string));
  const [leaf, signingKeys] = await Promise.all([serverCertificateFor(caFiles), generateRsaKeyPair()]);
  const core = createCore(fixture, initial, signingKeys);
  const { state } = core;
  const credentials = state.defaultCredentials();
  const info = (): EmulatorInfo => ({
    graphUrl: core.baseUrl,
    authorityHost: core.baseUrl,
    caCertPath: caFiles.caCertPath,
    ...credentials,
    fixture: state.summary(),
  });
  const server = await startServer({
    port: options.port ?? 0,
    host: options.host ?? "127.0.0.1",
    certificatePem: leaf.certificatePem,
    privateKeyPem: leaf.privateKeyPem,
    core,
    info,
    onRequest: options.onRequest,
  });
  core.baseUrl = `https://localhost:${server.port}`;
  const admin = new EmulatorAdmin(core.baseUrl, leaf.caCertificatePem);
  return {
    url: core.baseUrl,
    graphUrl: core.baseUrl,
    authorityHost: core.baseUrl,
    caCertPath: caFiles.caCertPath,
    port: server.port,
    ...credentials,
    fixture: state.summary(),
    admin,
    async stop() {
      admin.close();
      await server.stop();
      if (temporaryCaDir) await fs.rm(temporaryCaDir, { recursive: true, force: true });
    },
  };
}
