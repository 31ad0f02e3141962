/**
 * Picks the credential, in Terraform's order: client certificate, client secret, OIDC token,
 * managed identity, Azure CLI; with none configured, `DefaultAzureCredential` (AZURE_* environment,
 * workload identity, managed identity, Azure CLI, …). @azure/identity is loaded lazily here.
 */
import { readFileSync } from "node:fs";
import type { TokenCredential } from "@azure/core-auth";
import type { ProviderSettings } from "../provider/settings";

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

/** Reads a PEM or PKCS#12 certificate file into one PEM string (certificate + private key). */
export function loadCertificatePem(path: string, password: string | undefined): string {
  const bytes = readFileSync(path);
  const text = bytes.toString("utf8");
  if (
    text.includes("-----BEGIN") &&
    !text.includes("ENCRYPTED PRIVATE KEY") &&
    !text.includes("Proc-Type: 4,ENCRYPTED")
  ) {
    return text; // a plain PEM: @azure/identity reads it as it is
  }
  const forge = require("node-forge") as typeof import("node-forge");
  if (text.includes("-----BEGIN")) {
    if (!password)
      throw new Error(`the certificate ${path} has an encrypted key: set azuread:clientCertificatePassword`);
    // forge reads only the first PEM block, and files usually start with the certificate.
    const keyBlock =
      /-----BEGIN (ENCRYPTED PRIVATE KEY|RSA PRIVATE KEY)-----[\s\S]+?-----END \1-----/.exec(text)?.[0] ??
      text;
    const key = forge.pki.decryptRsaPrivateKey(keyBlock, password);
    if (!key) throw new Error(`the certificate ${path} could not be decrypted with the given password`);
    const certs = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    return [forge.pki.privateKeyToPem(key), ...certs].join("\n");
  }
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

/** Builds the credential that `settings` asks for. Throws an Error naming the missing key. */
export function createCredential(settings: ProviderSettings): ResolvedCredential {
  const identity = require("@azure/identity") as typeof import("@azure/identity");
  const options = {
    authorityHost: settings.authorityHost,
    disableInstanceDiscovery: settings.customAuthority,
  };
  const { tenantId, clientId } = settings;
  if (settings.clientCertificatePath) {
    const pem = loadCertificatePem(settings.clientCertificatePath, settings.clientCertificatePassword);
    return {
      method: "clientCertificate",
      credential: new identity.ClientCertificateCredential(
        need(tenantId, "tenantId", "Certificate"),
        need(clientId, "clientId", "Certificate"),
        { certificate: pem },
        options,
      ),
    };
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
    const tokenFile = settings.oidcTokenFilePath ?? process.env.AZURE_FEDERATED_TOKEN_FILE;
    const token = settings.oidcToken;
    if (!token && !tokenFile) {
      throw new Error(
        "OIDC authentication needs azuread:oidcToken or azuread:oidcTokenFilePath (or ARM_OIDC_TOKEN / ARM_OIDC_TOKEN_FILE_PATH)",
      );
    }
    return {
      method: "oidc",
      credential: new identity.ClientAssertionCredential(
        need(tenantId, "tenantId", "OIDC"),
        need(clientId, "clientId", "OIDC"),
        async () => token ?? readFileSync(tokenFile!, "utf8").trim(),
        options,
      ),
    };
  }
  if (settings.useMsi) {
    // The identity library reads the endpoint from the environment when the credential is built.
    if (settings.msiEndpoint) process.env.MSI_ENDPOINT = settings.msiEndpoint;
    return {
      method: "managedIdentity",
      credential: clientId
        ? new identity.ManagedIdentityCredential({ clientId })
        : new identity.ManagedIdentityCredential(),
    };
  }
  if (settings.useCli) {
    return { method: "azureCli", credential: new identity.AzureCliCredential({ tenantId }) };
  }
  return { method: "default", credential: new identity.DefaultAzureCredential({ ...options, tenantId }) };
}
