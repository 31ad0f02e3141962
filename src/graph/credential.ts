/**
 * Picks the credential, in Terraform's order: client certificate, client secret, OIDC token,
 * managed identity, Azure CLI; with none configured, `DefaultAzureCredential` (AZURE_* environment,
 * workload identity, managed identity, Azure CLI, …). @azure/identity is loaded lazily here.
 */
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import type { TokenCredential } from "@azure/core-auth";
import type { GraphSettings } from "./settings";

/** Which method a credential uses, for log lines and errors (never holds a secret). */
export type CredentialMethod =
  "clientCertificate" | "clientSecret" | "oidc" | "managedIdentity" | "azureCli" | "default";

/** A credential and the method it uses. */
export interface ResolvedCredential {
  /** The @azure/identity credential; it caches its token until near expiry. */
  readonly credential: TokenCredential;
  /** The method chosen. */
  readonly method: CredentialMethod;
}

function need(value: string | undefined, key: string, method: string): string {
  if (!value)
    throw new Error(
      `${method} authentication needs azuread:${key} (or ARM_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()})`,
    );
  return value;
}

/**
 * The certificate as @azure/identity takes it. A PEM file goes as a path, with its password when the
 * key is encrypted (identity decrypts it). A PKCS#12 (.pfx) file, which identity cannot read, is
 * converted to one PEM string (key + certificates) with node-forge, loaded only for that case.
 */
export function certificateOptions(
  path: string,
  password: string | undefined,
): { certificatePath: string; certificatePassword?: string } | { certificate: string } {
  const bytes = readFileSync(path);
  const text = bytes.toString("utf8");
  if (text.includes("-----BEGIN")) {
    const encrypted = text.includes("ENCRYPTED PRIVATE KEY") || text.includes("Proc-Type: 4,ENCRYPTED");
    if (encrypted && !password) {
      throw new Error(`the certificate ${path} has an encrypted key: set azuread:clientCertificatePassword`);
    }
    if (encrypted && !opensWith(text, password!)) {
      throw new Error(`the certificate ${path} could not be decrypted with the given password`);
    }
    return encrypted ? { certificatePath: path, certificatePassword: password } : { certificatePath: path };
  }
  return { certificate: pfxToPem(bytes, path, password) };
}

/** True when the PEM's encrypted key opens with `password` (checked here so the error is clear). */
function opensWith(pem: string, password: string): boolean {
  try {
    createPrivateKey({ key: pem, format: "pem", passphrase: password });
    return true;
  } catch {
    return false;
  }
}

/** Reads a PKCS#12 file into one PEM string: the private key, then every certificate. */
function pfxToPem(bytes: Buffer, path: string, password: string | undefined): string {
  const forge = require("node-forge") as typeof import("node-forge");
  let p12: import("node-forge").pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(bytes.toString("binary")), password ?? "");
  } catch {
    throw new Error(
      `the certificate ${path} is neither PEM nor a PKCS#12 file that opens with the given password`,
    );
  }
  const keyBag = p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[
    forge.pki.oids.pkcs8ShroudedKeyBag
  ]?.[0];
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [];
  if (!keyBag?.key || certBags.length === 0)
    throw new Error(`the certificate ${path} holds no private key and certificate`);
  return [
    forge.pki.privateKeyToPem(keyBag.key),
    ...certBags.map((b) => forge.pki.certificateToPem(b.cert!)),
  ].join("\n");
}

type Identity = typeof import("@azure/identity");
type IdentityOptions = {
  authorityHost: string;
  disableInstanceDiscovery: boolean;
  retryOptions: { maxRetries: number };
};

/** A client certificate credential: a PEM by path (with its password), or a PKCS#12 converted to PEM. */
function certificateCredential(identity: Identity, settings: GraphSettings, options: IdentityOptions) {
  const certificate = certificateOptions(settings.clientCertificatePath!, settings.clientCertificatePassword);
  const tenant = need(settings.tenantId, "tenantId", "Certificate");
  const client = need(settings.clientId, "clientId", "Certificate");
  return "certificate" in certificate
    ? new identity.ClientCertificateCredential(tenant, client, certificate, options)
    : new identity.ClientCertificateCredential(tenant, client, certificate, options);
}

/** A federated (OIDC) token as client assertion: the token itself, or a file re-read at each request. */
function oidcCredential(identity: Identity, settings: GraphSettings, options: IdentityOptions) {
  const tokenFile = settings.oidcTokenFilePath ?? process.env.AZURE_FEDERATED_TOKEN_FILE;
  const token = settings.oidcToken;
  if (!token && !tokenFile) {
    throw new Error(
      "OIDC authentication needs azuread:oidcToken or azuread:oidcTokenFilePath (or ARM_OIDC_TOKEN / ARM_OIDC_TOKEN_FILE_PATH)",
    );
  }
  return new identity.ClientAssertionCredential(
    need(settings.tenantId, "tenantId", "OIDC"),
    need(settings.clientId, "clientId", "OIDC"),
    async () => token ?? readFileSync(tokenFile!, "utf8").trim(),
    options,
  );
}

/** A managed identity (user-assigned when a client id is set). */
function managedIdentityCredential(identity: Identity, settings: GraphSettings) {
  // The identity library reads the endpoint from the environment when the credential is built.
  if (settings.msiEndpoint) process.env.MSI_ENDPOINT = settings.msiEndpoint;
  return settings.clientId
    ? new identity.ManagedIdentityCredential({ clientId: settings.clientId })
    : new identity.ManagedIdentityCredential();
}

/** Builds the credential that `settings` asks for, in Terraform's order. Throws an Error naming the missing key. */
export function createCredential(settings: GraphSettings): ResolvedCredential {
  const identity = require("@azure/identity") as Identity;
  const options = {
    authorityHost: settings.authorityHost,
    disableInstanceDiscovery: settings.customAuthority,
    // Our retry loop owns retries, bounded by the create's deadline; identity's own would run outside it.
    retryOptions: { maxRetries: 0 },
  };
  const { tenantId, clientId } = settings;
  if (settings.clientCertificatePath) {
    return { method: "clientCertificate", credential: certificateCredential(identity, settings, options) };
  }
  if (settings.clientSecret) {
    return {
      method: "clientSecret",
      credential: new identity.ClientSecretCredential(
        need(tenantId, "tenantId", "Client secret"),
        need(clientId, "clientId", "Client secret"),
        settings.clientSecret,
        options,
      ),
    };
  }
  if (settings.useOidc || settings.oidcToken || settings.oidcTokenFilePath) {
    return { method: "oidc", credential: oidcCredential(identity, settings, options) };
  }
  if (settings.useMsi)
    return { method: "managedIdentity", credential: managedIdentityCredential(identity, settings) };
  if (settings.useCli)
    return { method: "azureCli", credential: new identity.AzureCliCredential({ tenantId }) };
  return { method: "default", credential: new identity.DefaultAzureCredential({ ...options, tenantId }) };
}

/** The settings each method reads its secret from, for the hint of a token error. */
const METHOD_SETTINGS: Partial<Record<CredentialMethod, readonly (keyof GraphSettings)[]>> = {
  clientSecret: ["clientSecret", "clientId", "tenantId"],
  clientCertificate: ["clientCertificatePath", "clientId", "tenantId"],
  oidc: ["oidcToken", "oidcTokenFilePath", "clientId", "tenantId"],
};

/**
 * Says where the failing credential's values came from (`client secret from ARM_CLIENT_SECRET, …`)
 * and, against a login host that is not Microsoft's (an emulator), that an emulator's secret is new
 * at every start unless its fixture pins it. Never includes a value.
 */
export function credentialHint(settings: GraphSettings, method: CredentialMethod): string | undefined {
  const names = METHOD_SETTINGS[method] ?? [];
  const from = names
    .filter((name) => settings.sources?.[name])
    .map((name) => `${name} from ${settings.sources![name]}`);
  const parts = from.length > 0 ? [`The credential's values came from: ${from.join(", ")}`] : [];
  if (settings.customAuthority && method === "clientSecret") {
    parts.push(
      "If this login host is the bundled graph-emulator: its client secret is new at every start unless its fixture pins one (see the emulator's printed exports)",
    );
  }
  return parts.length > 0 ? parts.join(". ") : undefined;
}
