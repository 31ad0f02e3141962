/**
 * The Entra ID refusals the emulator gives at the token endpoint, one entry per case: HTTP status,
 * OAuth error, AADSTS number and message. Texts follow what Entra answers (see docs/EMULATOR.md for
 * which are observed and which are ours). HTTP lives in entra.ts; client assertions in tokens.ts.
 */

/** One refusal: what to answer, in Entra's terms. */
export interface EntraRefusal {
  /** The HTTP status. */
  readonly status: number;
  /** The OAuth error (`invalid_client`, `invalid_request`, …). */
  readonly error: string;
  /** The AADSTS number. */
  readonly aadsts: number;
  /** The human-readable part of `error_description`. */
  readonly message: string;
}

/** A federated token none of the app's federated credentials matches, by the claim that differs. */
const noFederatedMatch = (aadsts: number, claim: string, value: string): EntraRefusal =>
  invalidClient(
    aadsts,
    `No matching federated identity record found for presented assertion ${claim} '${value}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
  );

const invalidClient = (aadsts: number, message: string): EntraRefusal => ({
  status: 401,
  error: "invalid_client",
  aadsts,
  message,
});

const invalidRequest = (aadsts: number, message: string): EntraRefusal => ({
  status: 400,
  error: "invalid_request",
  aadsts,
  message,
});

/** The refusals of the token endpoint and discovery, by case. */
export const ENTRA_REFUSALS = {
  unknownTenant: (tenant: string): EntraRefusal => ({
    status: 400,
    error: "invalid_tenant",
    aadsts: 90002,
    message: `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  }),
  postOnly: (method: string): EntraRefusal =>
    invalidRequest(900561, `The endpoint only accepts POST requests. Received a ${method} request.`),
  bodyTooLarge: (): EntraRefusal => ({
    ...invalidRequest(90020, "The request body is too large."),
    status: 413,
  }),
  missingParameter: (name: string): EntraRefusal =>
    invalidRequest(900144, `The request body must contain the following parameter: '${name}'.`),
  unsupportedGrantType: (grantType: string): EntraRefusal => ({
    status: 400,
    error: "unsupported_grant_type",
    aadsts: 70003,
    message: `The app requested an unsupported grant type '${grantType}'.`,
  }),
  unknownResource: (resource: string, tenantName: string): EntraRefusal => ({
    status: 400,
    error: "invalid_resource",
    aadsts: 500011,
    message: `The resource principal named ${resource} was not found in the tenant named ${tenantName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. The emulator only issues tokens for Microsoft Graph.`,
  }),
  invalidScope: (scope: string): EntraRefusal => ({
    status: 400,
    error: "invalid_scope",
    aadsts: 1002012,
    message: `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
  }),
  unknownApplication: (clientId: string, tenantName: string): EntraRefusal => ({
    status: 400,
    error: "unauthorized_client",
    aadsts: 700016,
    message: `Application with identifier '${clientId}' was not found in the directory '${tenantName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  }),
  wrongSecret: (appId: string): EntraRefusal =>
    invalidClient(
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'.`,
    ),
  wrongAssertionType: (expected: string): EntraRefusal =>
    invalidRequest(90031, `The client_assertion_type must be '${expected}'.`),
  noCredential: (): EntraRefusal =>
    invalidClient(
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    ),
  malformedAssertion: (): EntraRefusal => invalidRequest(50027, "JWT token is invalid or malformed."),
  unregisteredCertificate: (thumbprintHex: string): EntraRefusal =>
    invalidClient(
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprintHex}']`,
    ),
  assertionOutOfTime: (): EntraRefusal =>
    invalidClient(700024, "Client assertion is not within its valid time range."),
  assertionAudience: (): EntraRefusal =>
    invalidClient(
      700212,
      "The audience claim of the client assertion is not the token endpoint of this tenant.",
    ),
  assertionIssuer: (): EntraRefusal =>
    invalidClient(
      700023,
      "Client assertion audience claim does not match Realm issuer: the iss and sub claims must be the client id.",
    ),
  assertionSignature: (): EntraRefusal =>
    invalidClient(700027, "Client assertion failed signature validation."),
  federatedIssuer: (issuer: string): EntraRefusal => noFederatedMatch(700211, "issuer", issuer),
  federatedSubject: (subject: string): EntraRefusal => noFederatedMatch(700213, "subject", subject),
  federatedAudience: (audiences: string): EntraRefusal => noFederatedMatch(700212, "audience", audiences),
  issuerWithoutKeys: (issuer: string): EntraRefusal =>
    invalidClient(
      50166,
      `Request to External OIDC endpoint failed: the issuer '${issuer}' has no signing keys registered in the emulator fixture (oidcIssuers).`,
    ),
  federatedSignature: (issuer: string): EntraRefusal =>
    invalidClient(
      5002738,
      `Invalid JWT token. The signature of the presented assertion could not be validated with the keys of issuer '${issuer}'.`,
    ),
} as const;
