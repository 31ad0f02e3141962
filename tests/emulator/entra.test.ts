/**
 * The Entra ID side of the emulator, driven by the real @azure/identity credentials (MSAL inside):
 * discovery, the client-credentials grant with a secret, a certificate or a federated token, and
 * Entra's own error format and AADSTS codes.
 */
import { createHash, X509Certificate } from "node:crypto";
import { ClientAssertionCredential, ClientCertificateCredential } from "@azure/identity";
import jwt from "jsonwebtoken";
import type { RunningEmulator } from "../../src/emulator";
import { startTestEmulator } from "../support/emulator";
import { clientCertificate, federatedToken, unregisteredCertificate } from "../support/fixture";
import { call, GRAPH_SCOPE, secretCredential, tokenFor } from "../support/http";
import { IDS } from "../support/ids";

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(() => emulator.stop());

const credentialOptions = () => ({ authorityHost: emulator.authorityHost, disableInstanceDiscovery: true });

function tokenForm(fields: Record<string, string>): { rawBody: string; headers: Record<string, string> } {
  return {
    rawBody: new URLSearchParams(fields).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  };
}

/** POSTs `form` to the tenant's token endpoint, form-encoded. */
function postToken(form: Record<string, string>) {
  return call(emulator, "POST", `/${emulator.tenantId}/oauth2/v2.0/token`, tokenForm(form));
}

function secretForm(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    grant_type: "client_credentials",
    client_id: emulator.clientId,
    client_secret: emulator.clientSecret,
    scope: GRAPH_SCOPE,
    ...overrides,
  };
}

describe("discovery", () => {
  it("serves an OpenID configuration whose endpoints and issuer live on the emulator", async () => {
    const answer = await call(emulator, "GET", `/${emulator.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      issuer: `${emulator.url}/${emulator.tenantId}/v2.0`,
      token_endpoint: `${emulator.url}/${emulator.tenantId}/oauth2/v2.0/token`,
      authorization_endpoint: `${emulator.url}/${emulator.tenantId}/oauth2/v2.0/authorize`,
      jwks_uri: `${emulator.url}/${emulator.tenantId}/discovery/v2.0/keys`,
    });
  });

  it("answers for the tenant's domain name with the tenant id's endpoints", async () => {
    const answer = await call(
      emulator,
      "GET",
      "/emulator.onmicrosoft.com/v2.0/.well-known/openid-configuration",
    );
    expect(answer.status).toBe(200);
    expect(answer.json.token_endpoint).toBe(`${emulator.url}/${emulator.tenantId}/oauth2/v2.0/token`);
  });

  it("publishes the key that signs its access tokens", async () => {
    const keys = await call(emulator, "GET", `/${emulator.tenantId}/discovery/v2.0/keys`);
    const token = await tokenFor(emulator);
    const { header } = jwt.decode(token, { complete: true }) as jwt.Jwt;
    expect(keys.json.keys).toEqual([expect.objectContaining({ kty: "RSA", kid: header.kid, use: "sig" })]);
  });

  it("refuses an unknown tenant with AADSTS90002", async () => {
    const answer = await call(emulator, "GET", "/no-such-tenant/v2.0/.well-known/openid-configuration");
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error: "invalid_tenant", error_codes: [90002] });
    expect(answer.json.error_description).toMatch(/^AADSTS90002: Tenant 'no-such-tenant' not found/);
  });
});

describe("client secret", () => {
  it("gives ClientSecretCredential a Graph token carrying the app's tenant, id and roles", async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await tokenFor(emulator);
    const claims = jwt.decode(token) as jwt.JwtPayload;
    expect(claims).toMatchObject({
      aud: "https://graph.microsoft.com",
      tid: emulator.tenantId,
      appid: emulator.clientId,
      roles: ["Synchronization.ReadWrite.All", "GroupMember.Read.All"],
    });
    expect(claims.exp).toBeGreaterThanOrEqual(before + 3599);
    expect(claims.exp).toBeLessThanOrEqual(before + 3601);
    expect((jwt.decode(token, { complete: true }) as jwt.Jwt).header.alg).toBe("RS256");
  });

  it("answers the token request with Bearer and expires_in 3599", async () => {
    const answer = await postToken(secretForm());
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ token_type: "Bearer", expires_in: 3599 });
    expect(typeof answer.json.access_token).toBe("string");
  });

  it("accepts the secret in an HTTP Basic header too", async () => {
    const form = secretForm();
    const basic = Buffer.from(`${form.client_id}:${form.client_secret}`).toString("base64");
    const { client_secret: _secret, ...rest } = form;
    const answer = await call(emulator, "POST", `/${emulator.tenantId}/oauth2/v2.0/token`, {
      rawBody: new URLSearchParams(rest).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${basic}` },
    });
    expect(answer.status).toBe(200);
  });

  it("refuses a wrong secret with 401 invalid_client AADSTS7000215", async () => {
    await expect(
      secretCredential(emulator, emulator.clientId, "wrong").getToken(GRAPH_SCOPE),
    ).rejects.toThrow(/AADSTS7000215/);
    const answer = await postToken(secretForm({ client_secret: "wrong" }));
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ error: "invalid_client", error_codes: [7000215] });
    expect(answer.json.error_description).toMatch(/^AADSTS7000215: Invalid client secret provided/);
    expect(answer.json.trace_id).toBe(answer.headers.get("request-id"));
  });

  it("refuses an unknown app with AADSTS700016", async () => {
    const unknown = "00000000-1111-4000-8000-000000000000";
    await expect(secretCredential(emulator, unknown, "x").getToken(GRAPH_SCOPE)).rejects.toThrow(
      /AADSTS700016/,
    );
    const answer = await postToken(secretForm({ client_id: unknown }));
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error: "unauthorized_client", error_codes: [700016] });
  });

  it("refuses an app from another tenant as unknown in this one", async () => {
    const { appId, secret } = IDS.otherTenant;
    await expect(secretCredential(emulator, appId, secret).getToken(GRAPH_SCOPE)).rejects.toThrow(
      /AADSTS700016/,
    );
  });

  it("refuses an unknown tenant with AADSTS90002 (MSAL reports it as failed endpoint discovery)", async () => {
    const credential = secretCredential(emulator, emulator.clientId, emulator.clientSecret, "no-such-tenant");
    await expect(credential.getToken(GRAPH_SCOPE)).rejects.toThrow(/endpoints_resolution_error|AADSTS90002/);
    const answer = await call(emulator, "POST", "/no-such-tenant/oauth2/v2.0/token", tokenForm(secretForm()));
    expect(answer.json).toMatchObject({ error: "invalid_tenant", error_codes: [90002] });
  });

  it("refuses a grant other than client_credentials with unsupported_grant_type", async () => {
    const answer = await postToken(secretForm({ grant_type: "password" }));
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error: "unsupported_grant_type", error_codes: [70003] });
  });

  it("refuses a token for another resource, and a scope without /.default", async () => {
    await expect(
      secretCredential(emulator).getToken("https://management.azure.com/.default"),
    ).rejects.toThrow(/AADSTS500011/);
    const answer = await postToken(secretForm({ scope: "User.Read" }));
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error: "invalid_scope", error_codes: [1002012] });
  });

  it.each([
    ["grant_type", { grant_type: "" }],
    ["client_id", { client_id: "" }],
    ["scope", { scope: "" }],
  ])("names the missing parameter %s (AADSTS900144)", async (name, override) => {
    const form = Object.fromEntries(Object.entries(secretForm(override)).filter(([, value]) => value !== ""));
    const answer = await postToken(form);
    expect(answer.status).toBe(400);
    expect(answer.json.error_codes).toEqual([900144]);
    expect(answer.json.error_description).toContain(`'${name}'`);
  });

  it("refuses a request with neither secret nor assertion with AADSTS7000218", async () => {
    const { client_secret: _secret, ...form } = secretForm();
    const answer = await postToken(form);
    expect(answer.status).toBe(401);
    expect(answer.json.error_codes).toEqual([7000218]);
  });

  it("refuses GET on the token endpoint", async () => {
    const answer = await call(emulator, "GET", `/${emulator.tenantId}/oauth2/v2.0/token`);
    expect(answer.status).toBe(400);
    expect(answer.json.error_codes).toEqual([900561]);
  });
});

/** A ClientCertificateCredential of the certificate app, presenting `certificate`. */
function certificateCredential(
  certificate: { combinedPem: string },
  options: { sendCertificateChain?: boolean } = {},
): ClientCertificateCredential {
  return new ClientCertificateCredential(
    emulator.tenantId,
    IDS.certificateClientId,
    { certificate: certificate.combinedPem },
    { ...credentialOptions(), ...options },
  );
}

describe("certificate", () => {
  it("gives ClientCertificateCredential a token when the certificate is registered on the app", async () => {
    const credential = certificateCredential(clientCertificate);
    const token = await credential.getToken(GRAPH_SCOPE);
    expect(jwt.decode(token.token)).toMatchObject({
      appid: IDS.certificateClientId,
      tid: emulator.tenantId,
    });
  });

  it("also accepts the certificate chain in the x5c header", async () => {
    const credential = certificateCredential(clientCertificate, { sendCertificateChain: true });
    await expect(credential.getToken(GRAPH_SCOPE)).resolves.toHaveProperty("token");
  });

  it("refuses a certificate that is not registered on the app with AADSTS700027", async () => {
    const credential = certificateCredential(unregisteredCertificate);
    await expect(credential.getToken(GRAPH_SCOPE)).rejects.toThrow(/AADSTS700027/);
  });

  it("refuses an assertion signed by another key than the certificate's (AADSTS700027)", async () => {
    // The header names the registered certificate, but the signature is made with another key.
    const x5t = createHash("sha1")
      .update(new X509Certificate(clientCertificate.certificatePem).raw)
      .digest("base64url");
    const endpoint = `${emulator.url}/${emulator.tenantId}/oauth2/v2.0/token`;
    const forged = jwt.sign(
      { aud: endpoint, iss: IDS.certificateClientId, sub: IDS.certificateClientId },
      unregisteredCertificate.privateKeyPem,
      { algorithm: "RS256", expiresIn: 300, header: { alg: "RS256", x5t } },
    );
    const answer = await postToken({
      grant_type: "client_credentials",
      client_id: IDS.certificateClientId,
      scope: GRAPH_SCOPE,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: forged,
    });
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ error: "invalid_client", error_codes: [700027] });
    expect(answer.json.error_description).toContain("signature validation");
  });
});

describe("federated credential", () => {
  const assertionCredential = (assertion: () => string) =>
    new ClientAssertionCredential(
      emulator.tenantId,
      IDS.federatedClientId,
      async () => assertion(),
      credentialOptions(),
    );

  it("gives ClientAssertionCredential a token for a CI token matching the app's federated credential", async () => {
    const token = await assertionCredential(() => federatedToken()).getToken(GRAPH_SCOPE);
    expect(jwt.decode(token.token)).toMatchObject({
      appid: IDS.federatedClientId,
      roles: ["Synchronization.ReadWrite.All"],
    });
  });

  it.each([
    ["an unknown issuer", { iss: "https://elsewhere.example" }, 700211],
    ["another subject", { sub: "repo:example/infra:pull_request" }, 700213],
    ["another audience", { aud: "api://something-else" }, 700212],
  ])("refuses a token from %s", async (_name, claims, code) => {
    await expect(assertionCredential(() => federatedToken(claims)).getToken(GRAPH_SCOPE)).rejects.toThrow(
      new RegExp(`AADSTS${code}`),
    );
  });

  it("refuses a token not signed by the issuer's registered key", async () => {
    const forged = federatedToken({}, unregisteredCertificate.privateKeyPem);
    await expect(assertionCredential(() => forged).getToken(GRAPH_SCOPE)).rejects.toThrow(/AADSTS5002738/);
  });

  it("refuses an expired federated token with AADSTS700024", async () => {
    const expired = federatedToken({ exp: Math.floor(Date.now() / 1000) - 60 });
    await expect(assertionCredential(() => expired).getToken(GRAPH_SCOPE)).rejects.toThrow(/AADSTS700024/);
  });

  it("refuses a client assertion that is not a JWT", async () => {
    const answer = await postToken({
      grant_type: "client_credentials",
      client_id: IDS.federatedClientId,
      scope: GRAPH_SCOPE,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: "not-a-jwt",
    });
    expect(answer.status).toBe(400);
    expect(answer.json.error_codes).toEqual([50027]);
  });
});
