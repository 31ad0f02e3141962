/**
 * Secrets never leave the provider: across succeeding and failing creates, no error (message, stack or
 * fields), stderr line or output holds the client secret, a certificate password, an OIDC assertion
 * or any token.
 */
import { inspect } from "node:util";
import type { RunningEmulator } from "../../src/emulator";
import * as provider from "../../src/provider";
import { StderrCapture } from "../support/capture";
import { startTestEmulator } from "../support/emulator";
import { JWT_PATTERN } from "../support/expectations";
import { temporaryFolder, writeCertificateFiles } from "../support/files";
import { federatedToken } from "../support/fixture";
import { CERTIFICATE_PASSWORD, CLIENT_SECRET, IDS } from "../support/ids";
import {
  checkAndCreate,
  configureRequest,
  emulatorConfig,
  inputsFor,
  type StackConfig,
} from "../support/provider";
import { user } from "../support/subjects";

jest.setTimeout(30_000);

const WRONG_SECRET = "Wr0ng~Secret.Qz8vN4mT6yH2";
const WRONG_PASSWORD = "Wr0ng-Pfx-Pa55word_7kP";

let emulator: RunningEmulator;
let folder: Awaited<ReturnType<typeof temporaryFolder>>;
let certificates: Awaited<ReturnType<typeof writeCertificateFiles>>;
const stderr = new StderrCapture();
/** Everything a user could see: error messages, stacks and fields, outputs, stderr. */
const seen: string[] = [];
/** The OIDC assertions handed to the provider. */
const assertions: string[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator({ rateLimit: "off" });
  folder = await temporaryFolder();
  certificates = await writeCertificateFiles(folder.dir);
  stderr.start();
});
afterAll(async () => {
  stderr.stop();
  await emulator.stop();
  await folder.remove();
});

/** Runs one create with `config` and records what the user would see; returns the outcome kind. */
async function observe(config: StackConfig, news: Record<string, unknown>): Promise<string> {
  await provider.configure(configureRequest(config));
  try {
    const { outs } = await checkAndCreate(provider, news);
    seen.push(JSON.stringify(outs));
    return `result ${outs.result}`;
  } catch (error) {
    seen.push(String((error as Error).message), String((error as Error).stack), inspect(error, { depth: 6 }));
    return (error as Error).name;
  }
}

const secretConfig = () => emulatorConfig(emulator);
const certificateConfig = (file: string, password?: string): StackConfig =>
  emulatorConfig(emulator, {
    "azuread:clientId": IDS.certificateClientId,
    "azuread:clientSecret": undefined,
    "azuread:clientCertificatePath": file,
    "azuread:clientCertificatePassword": password,
  });
const oidcConfig = (claims: Record<string, unknown> = {}): StackConfig => {
  const assertion = federatedToken(claims);
  assertions.push(assertion);
  return emulatorConfig(emulator, {
    "azuread:clientId": IDS.federatedClientId,
    "azuread:clientSecret": undefined,
    "azuread:useOidc": "true",
    "azuread:oidcToken": assertion,
  });
};
const aUser = (objectId: string = IDS.userIds[0], extra: Record<string, unknown> = {}) =>
  inputsFor(emulator, [user(objectId)], extra);

describe("no secret or token reaches an error, a log line or an output", () => {
  /** Each case: its name, its stack config, its inputs, and the outcome it must have. */
  const cases: [string, () => StackConfig, () => Record<string, unknown>, string][] = [
    [
      "a success with a client secret",
      () => secretConfig(),
      () => aUser(IDS.burstUserIds[0]),
      "result Success",
    ],
    ["a Skipped outcome", () => secretConfig(), () => aUser(IDS.unassignedUserId), "result Skipped"],
    [
      "a Failure outcome",
      () => secretConfig(),
      () => aUser("0dead000-0000-4000-8000-000000000001"),
      "ProvisioningFailedError",
    ],
    [
      "a Graph 400 (wrong ruleId)",
      () => secretConfig(),
      () => inputsFor(emulator, [user(IDS.userIds[0])], {}, { ruleId: "no-such-rule" }),
      "GraphRequestError",
    ],
    [
      "a Graph 403 after retries (no permission, short window)",
      () =>
        emulatorConfig(emulator, {
          "azuread:clientId": IDS.noPermissionClientId,
          "azuread:clientSecret": IDS.noPermissionSecret,
          "provisionOnDemand:replicationWindowSeconds": "1",
        }),
      () => aUser(),
      "GraphRequestError",
    ],
    [
      "a timeout after retried 503s",
      () => secretConfig(),
      () => aUser(IDS.burstUserIds[1], { createTimeoutSeconds: 1.5 }),
      "TimeoutExceededError",
    ],
    [
      "a rule that cannot be resolved",
      () => secretConfig(),
      () => ({
        servicePrincipalId: IDS.ambiguousServicePrincipalId,
        synchronizationJobId: IDS.ambiguousJobId,
        parameters: [{ subjects: [user(IDS.userIds[0])] }],
      }),
      "RuleResolutionError",
    ],
    [
      "a wrong client secret",
      () => emulatorConfig(emulator, { "azuread:clientSecret": WRONG_SECRET }),
      () => aUser(),
      "TokenRequestError",
    ],
    [
      "a success with a PFX certificate and its password",
      () => certificateConfig(certificates.pfx, CERTIFICATE_PASSWORD),
      () => aUser(IDS.burstUserIds[2]),
      "result Success",
    ],
    [
      "a Graph 400 with a PFX certificate and its password",
      () => certificateConfig(certificates.pfx, CERTIFICATE_PASSWORD),
      () => inputsFor(emulator, [user(IDS.userIds[0])], {}, { ruleId: "no-such-rule" }),
      "GraphRequestError",
    ],
    [
      "a PFX certificate with a wrong password",
      () => certificateConfig(certificates.pfx, WRONG_PASSWORD),
      () => aUser(),
      "Error",
    ],
    [
      "an encrypted PEM certificate with a wrong password",
      () => certificateConfig(certificates.encryptedPem, WRONG_PASSWORD),
      () => aUser(),
      "Error",
    ],
    ["a success with an OIDC token", () => oidcConfig(), () => aUser(IDS.burstUserIds[3]), "result Success"],
    [
      "an OIDC token for another subject",
      () => oidcConfig({ sub: "repo:someone/else:ref:refs/heads/main" }),
      () => aUser(),
      "TokenRequestError",
    ],
  ];
  /** The cases run so far in this file (by name), so that the scan below can run the others itself. */
  const ran = new Set<string>();

  /** Runs one case on a reset emulator; returns its outcome (and `observe` records what was seen). */
  async function runCase([name, config, news]: (typeof cases)[number]): Promise<string> {
    await emulator.admin.reset();
    if (name.startsWith("a timeout"))
      await emulator.admin.addFault({ path: "provisionOnDemand$", method: "POST", status: 503, count: 20 });
    ran.add(name);
    return observe(config(), news());
  }

  it.each(cases)("%s", async (...testCase) => {
    expect(await runCase(testCase)).toBe(testCase[3]);
  });

  it("…and in all of the above, nothing seen holds a secret, a password, an assertion or a JWT", async () => {
    // Run alone (-t), this test runs the cases itself: it scans what all of them showed.
    for (const testCase of cases) if (!ran.has(testCase[0])) await runCase(testCase);
    const everything = [...seen, stderr.text].join("\n");
    // The cases above did produce messages and retry lines to scan.
    expect(seen.length).toBeGreaterThanOrEqual(14);
    expect(stderr.text).toContain("retrying");
    for (const secret of [
      CLIENT_SECRET,
      WRONG_SECRET,
      IDS.noPermissionSecret,
      CERTIFICATE_PASSWORD,
      WRONG_PASSWORD,
    ])
      expect(everything).not.toContain(secret);
    for (const assertion of assertions) expect(everything).not.toContain(assertion.split(".")[1]);
    expect(everything).not.toMatch(JWT_PATTERN);
  });
});

describe("a secret that an upstream answer echoes is redacted", () => {
  it.each([
    ["the client secret", () => secretConfig(), CLIENT_SECRET],
    [
      "the certificate password",
      () => certificateConfig(certificates.pfx, CERTIFICATE_PASSWORD),
      CERTIFICATE_PASSWORD,
    ],
    ["the OIDC assertion", () => oidcConfig(), "assertion"],
  ])("%s, echoed in a Graph error message, is shown as ***", async (_, config, echoed) => {
    await emulator.admin.reset();
    const settings = config();
    const secret = echoed === "assertion" ? (settings["azuread:oidcToken"] as string) : echoed;
    await emulator.admin.addFault({
      path: "provisionOnDemand$",
      method: "POST",
      status: 400,
      code: "BadRequest",
      message: `the proxy saw credential ${secret} and bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl here`,
    });
    expect(await observe(settings, aUser())).toBe("GraphRequestError");
    const [message, stack, fields] = seen.slice(-3);
    expect(message).toContain("the proxy saw credential *** and bearer *** here");
    for (const text of [message, stack, fields]) {
      expect(text).not.toContain(secret);
      expect(text).not.toMatch(JWT_PATTERN);
    }
  });
});

describe("redaction reaches every string that leaves the provider, however deep", () => {
  it("a secret echoed in a retried 503 stays out of the retry line, and of the timeout error's cause chain", async () => {
    await emulator.admin.reset();
    await emulator.admin.addFault({
      path: "provisionOnDemand$",
      method: "POST",
      status: 503,
      code: "ServiceUnavailable",
      message: `upstream echoed ${CLIENT_SECRET}`,
      count: 50,
    });
    const lines = stderr.lines.length;
    await provider.configure(configureRequest(secretConfig()));
    const error = await checkAndCreate(provider, aUser(IDS.userIds[0], { createTimeoutSeconds: 2 })).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: Error & { serverMessage?: string; cause?: unknown } },
    );
    expect(error?.name).toBe("TimeoutExceededError");
    // The echo reached the error: redacted, not dropped.
    expect(error?.cause?.serverMessage).toBe("upstream echoed ***");
    const everything = [inspect(error, { depth: 10 }), ...stderr.lines.slice(lines)].join("\n");
    expect(everything).toContain("upstream echoed ***");
    expect(everything).not.toContain(CLIENT_SECRET);
    expect(stderr.lines.slice(lines).some((l) => l.includes("attempt 1 failed"))).toBe(true);
  });
});
