/**
 * JSON Web Tokens: the access tokens the emulator issues (RS256, signed with its own key) and checks
 * on Graph calls — with a cache so that a token is verified once, not on every request — and the
 * client assertions callers present at the token endpoint (certificate-signed, or federated tokens
 * from a trusted external OIDC issuer).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  X509Certificate,
} from "node:crypto";
import type { KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import { ENTRA_REFUSALS } from "./entraErrors";
import type { EntraRefusal } from "./entraErrors";
import type { FixtureOidcIssuer } from "./fixture";
import type { StoredApplication } from "./state";

/** The audience of Microsoft Graph access tokens. */
export const GRAPH_AUDIENCE = "https://graph.microsoft.com";
/** Other audience values Graph accepts for itself (its app id, and the host without scheme). */
const GRAPH_AUDIENCE_ALIASES = [GRAPH_AUDIENCE, `${GRAPH_AUDIENCE}/`, "00000003-0000-0000-c000-000000000000"];
/** Lifetime of issued access tokens, in seconds (Entra answers `expires_in: 3599`). */
export const ACCESS_TOKEN_LIFETIME_SECONDS = 3599;
const VERIFIED_CACHE_LIMIT = 10_000;

/** The claims of an access token the emulator issued. */
export interface AccessTokenClaims {
  /** Audience: `https://graph.microsoft.com`. */
  readonly aud: string;
  /** Issuer: `https://sts.windows.net/{tenant}/`. */
  readonly iss: string;
  /** Tenant id. */
  readonly tid: string;
  /** Client id of the calling app. */
  readonly appid: string;
  /** Object id of the calling app's service principal (or its app id when it has none). */
  readonly oid: string;
  /** Graph application permissions granted to the app. */
  readonly roles: string[];
  /** Expiry, seconds since epoch. */
  readonly exp: number;
  /** Issued at, seconds since epoch. */
  readonly iat: number;
}

/** Why a bearer token was refused. */
export type TokenRejection = "missing" | "malformed" | "foreign" | "expired" | "audience";

/** What the emulator wants to put in an access token. */
export interface AccessTokenRequest {
  /** Tenant id. */
  readonly tenantId: string;
  /** Client id of the calling app. */
  readonly appId: string;
  /** Object id of the calling app's service principal. */
  readonly servicePrincipalId: string;
  /** Granted Graph application permissions. */
  readonly roles: string[];
  /** Audience; default Graph. */
  readonly audience?: string;
  /** Lifetime in seconds; default 3599, negative for an already expired token. */
  readonly lifetimeSeconds?: number;
}

/** Issues and verifies the emulator's access tokens. */
export class AccessTokenAuthority {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  /** The key id (`kid`) in issued tokens' headers and in the JWKS. */
  readonly keyId = randomUUID().replace(/-/g, "");
  private readonly verified = new Map<string, AccessTokenClaims>();

  /** @param keys the signing key pair (PEM); default a new one */
  constructor(keys?: { readonly publicKeyPem: string; readonly privateKeyPem: string }) {
    if (keys) {
      this.privateKey = createPrivateKey(keys.privateKeyPem);
      this.publicKey = createPublicKey(keys.publicKeyPem);
    } else {
      const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
      this.privateKey = pair.privateKey;
      this.publicKey = pair.publicKey;
    }
  }

  /** Signs an access token. */
  issue(request: AccessTokenRequest): { token: string; claims: AccessTokenClaims } {
    const now = Math.floor(Date.now() / 1000);
    const claims: AccessTokenClaims & Record<string, unknown> = {
      aud: request.audience ?? GRAPH_AUDIENCE,
      iss: `https://sts.windows.net/${request.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + (request.lifetimeSeconds ?? ACCESS_TOKEN_LIFETIME_SECONDS),
      tid: request.tenantId,
      appid: request.appId,
      azp: request.appId,
      oid: request.servicePrincipalId,
      sub: request.servicePrincipalId,
      idtyp: "app",
      ver: "1.0",
      roles: [...request.roles],
      uti: randomUUID().replace(/-/g, ""),
    };
    const token = jwt.sign(claims, this.privateKey, {
      algorithm: "RS256",
      keyid: this.keyId,
      header: { alg: "RS256", typ: "JWT" },
    });
    return { token, claims };
  }

  /**
   * Checks a bearer token: signed by this emulator, unexpired, for Graph. Verified tokens are cached
   * until they expire, so the signature is checked once per token.
   */
  verify(token: string | undefined): { claims: AccessTokenClaims } | { rejection: TokenRejection } {
    if (!token) return { rejection: "missing" };
    const cached = this.verified.get(token);
    if (cached) {
      if (cached.exp * 1000 > Date.now()) return { claims: cached };
      this.verified.delete(token);
      return { rejection: "expired" };
    }
    let claims: AccessTokenClaims;
    try {
      claims = jwt.verify(token, this.publicKey, { algorithms: ["RS256"] }) as AccessTokenClaims;
    } catch (error) {
      const name = (error as Error).name;
      if (name === "TokenExpiredError") return { rejection: "expired" };
      if ((error as Error).message === "jwt malformed") return { rejection: "malformed" };
      return { rejection: "foreign" };
    }
    if (!GRAPH_AUDIENCE_ALIASES.includes(claims.aud)) return { rejection: "audience" };
    if (this.verified.size >= VERIFIED_CACHE_LIMIT) this.verified.clear();
    this.verified.set(token, claims);
    return { claims };
  }

  /** The public signing key as a JSON Web Key Set (served at the `jwks_uri`). */
  jwks(): { keys: Record<string, unknown>[] } {
    const jwk = this.publicKey.export({ format: "jwk" });
    return { keys: [{ ...jwk, kty: "RSA", use: "sig", kid: this.keyId, alg: "RS256" }] };
  }
}

function base64UrlThumbprint(algorithm: "sha1" | "sha256", pem: string): string | undefined {
  try {
    return createHash(algorithm).update(new X509Certificate(pem).raw).digest("base64url");
  } catch {
    return undefined;
  }
}

function normalizeThumbprint(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  // Some clients send hex thumbprints instead of base64url; accept both.
  if (/^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$/.test(value))
    return Buffer.from(value, "hex").toString("base64url");
  return value.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

function issuerKey(issuer: FixtureOidcIssuer): KeyObject {
  return issuer.publicKeyPem
    ? createPublicKey(issuer.publicKeyPem)
    : new X509Certificate(issuer.certificatePem ?? "").publicKey;
}

/** Where a client assertion must be addressed, and who may present it. */
export interface AssertionContext {
  /** The app named by `client_id`. */
  readonly application: StoredApplication;
  /** Accepted `aud` values for certificate assertions (the token endpoint, the issuer). */
  readonly audiences: string[];
  /** Looks up a trusted external OIDC issuer. */
  readonly findIssuer: (issuer: string) => FixtureOidcIssuer | undefined;
}

/**
 * Verifies a `client_assertion`: a JWT signed by a certificate registered on the app (identified by
 * its `x5t` or `x5t#S256` thumbprint header), or a federated token whose issuer, subject and audience
 * match one of the app's federated credentials and whose signature verifies with the issuer's key.
 * Returns the refusal, or undefined when the assertion is good.
 */
export function verifyClientAssertion(
  assertion: string,
  context: AssertionContext,
): EntraRefusal | undefined {
  const decoded = jwt.decode(assertion, { complete: true });
  if (!decoded || typeof decoded.payload === "string") return ENTRA_REFUSALS.malformedAssertion();
  const header = decoded.header as jwt.JwtHeader & Record<string, unknown>;
  const x5t = normalizeThumbprint(header["x5t#S256"]) ?? normalizeThumbprint(header.x5t);
  if (x5t === undefined) return verifyFederatedAssertion(assertion, decoded.payload, context);
  const algorithm = header["x5t#S256"] !== undefined ? "sha256" : "sha1";
  return verifyCertificateAssertion(assertion, { algorithm, thumbprint: x5t }, context);
}

/** A certificate assertion: signed with the key of a certificate registered on the app. */
function verifyCertificateAssertion(
  assertion: string,
  signer: { readonly algorithm: "sha1" | "sha256"; readonly thumbprint: string },
  context: AssertionContext,
): EntraRefusal | undefined {
  const app = context.application;
  const certificate = app.certificates.find(
    (c) => base64UrlThumbprint(signer.algorithm, c.certificatePem) === signer.thumbprint,
  );
  if (!certificate)
    return ENTRA_REFUSALS.unregisteredCertificate(
      Buffer.from(signer.thumbprint, "base64url").toString("hex").toUpperCase(),
    );
  try {
    jwt.verify(assertion, new X509Certificate(certificate.certificatePem).publicKey, {
      algorithms: ["RS256", "PS256"],
      audience: context.audiences as [string, ...string[]],
      issuer: app.appId,
      subject: app.appId,
      clockTolerance: 300,
    });
  } catch (error) {
    return certificateAssertionFailure(error as Error);
  }
  return undefined;
}

/** A federated assertion: a token of a trusted external issuer matching a federated credential. */
function verifyFederatedAssertion(
  assertion: string,
  payload: jwt.JwtPayload,
  context: AssertionContext,
): EntraRefusal | undefined {
  const iss = typeof payload.iss === "string" ? payload.iss : "";
  const sub = typeof payload.sub === "string" ? payload.sub : "";
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud ?? ""];
  const byIssuer = context.application.federatedCredentials.filter((c) => c.issuer === iss);
  if (byIssuer.length === 0) return ENTRA_REFUSALS.federatedIssuer(iss);
  const bySubject = byIssuer.filter((c) => c.subject === sub);
  if (bySubject.length === 0) return ENTRA_REFUSALS.federatedSubject(sub);
  if (!bySubject.some((c) => c.audiences.some((aud) => audiences.includes(aud))))
    return ENTRA_REFUSALS.federatedAudience(audiences.join(","));
  const trusted = context.findIssuer(iss);
  if (!trusted) return ENTRA_REFUSALS.issuerWithoutKeys(iss);
  try {
    jwt.verify(assertion, issuerKey(trusted), {
      algorithms: ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"],
    });
  } catch (error) {
    if ((error as Error).name === "TokenExpiredError") return ENTRA_REFUSALS.assertionOutOfTime();
    return ENTRA_REFUSALS.federatedSignature(iss);
  }
  return undefined;
}

function certificateAssertionFailure(error: Error): EntraRefusal {
  if (error.name === "TokenExpiredError" || error.name === "NotBeforeError")
    return ENTRA_REFUSALS.assertionOutOfTime();
  if (error.message.startsWith("jwt audience invalid")) return ENTRA_REFUSALS.assertionAudience();
  if (error.message.startsWith("jwt issuer invalid") || error.message.startsWith("jwt subject invalid"))
    return ENTRA_REFUSALS.assertionIssuer();
  return ENTRA_REFUSALS.assertionSignature();
}
