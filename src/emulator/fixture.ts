/**
 * The emulator's seed data: the JSON format of a fixture, its validation, and loading from a file.
 * A fixture describes tenants, app registrations (with their credentials and Graph permissions),
 * service principals, synchronization jobs with schemas, users, groups and app assignments.
 */
import { promises as fs } from "node:fs";
import { z } from "zod";

const id = z.string().trim().min(1);

/** An object mapping of a synchronization rule (which source object type flows to which target type). */
const objectMappingSchema = z.looseObject({
  enabled: z.boolean(),
  sourceObjectName: z.string(),
  targetObjectName: z.string(),
  name: z.string().optional(),
});

/** A synchronization rule as Graph's schema endpoint returns it; extra fields are kept and returned. */
const synchronizationRuleSchema = z.looseObject({
  id,
  name: z.string(),
  sourceDirectoryName: z.string(),
  targetDirectoryName: z.string(),
  objectMappings: z.array(objectMappingSchema),
});

/** A job's synchronization schema; extra fields (directories, version…) are kept and returned. */
const synchronizationSchemaSchema = z.looseObject({
  synchronizationRules: z.array(synchronizationRuleSchema),
});

const tenantSchema = z.strictObject({
  id,
  displayName: z.string().optional(),
  /** Extra names the tenant answers to in Entra URLs, e.g. `contoso.onmicrosoft.com`. */
  domains: z.array(z.string()).default([]),
});

const clientSecretSchema = z.strictObject({
  /** The secret's value; omitted means "generate a random one when the emulator starts". */
  value: z.string().min(1).optional(),
  displayName: z.string().optional(),
});

const certificateCredentialSchema = z.strictObject({
  /** The public certificate, PEM; its SHA-1 and SHA-256 thumbprints identify it in client assertions. */
  certificatePem: z.string().includes("BEGIN CERTIFICATE"),
  displayName: z.string().optional(),
});

const federatedCredentialSchema = z.strictObject({
  name: z.string().optional(),
  issuer: z.string().min(1),
  subject: z.string().min(1),
  audiences: z.array(z.string()).default(["api://AzureADTokenExchange"]),
});

const applicationSchema = z.strictObject({
  /** The application (client) id. */
  appId: id,
  /** The tenant the app registration lives in; default: the first tenant. */
  tenantId: id.optional(),
  displayName: z.string(),
  clientSecrets: z.array(clientSecretSchema).default([]),
  certificates: z.array(certificateCredentialSchema).default([]),
  federatedCredentials: z.array(federatedCredentialSchema).default([]),
  /** Microsoft Graph application permissions granted (with admin consent), e.g. `Synchronization.ReadWrite.All`. */
  permissions: z.array(z.string()).default([]),
});

const servicePrincipalSchema = z.strictObject({
  id,
  appId: id,
  tenantId: id.optional(),
  displayName: z.string(),
  /** Owners: object ids of owning service principals/users, or app (client) ids of owning apps. */
  owners: z.array(z.string()).default([]),
});

const jobSchema = z.strictObject({
  id,
  servicePrincipalId: id,
  templateId: z.string().optional(),
  /** Whether the target system's credentials (`BaseAddress`, `SecretToken`) are configured. */
  credentialsConfigured: z.boolean().default(true),
  /** The job's schema; default: the built-in Databricks-like SCIM schema. */
  schema: synchronizationSchemaSchema.optional(),
});

const userSchema = z.strictObject({
  id,
  tenantId: id.optional(),
  displayName: z.string(),
  userPrincipalName: z.string(),
  mail: z.string().optional(),
  accountEnabled: z.boolean().default(true),
});

const groupSchema = z.strictObject({
  id,
  tenantId: id.optional(),
  displayName: z.string(),
  securityEnabled: z.boolean().default(true),
  /** Object ids of the direct members: users, or groups (nested; they give their members no access). */
  members: z.array(z.string()).default([]),
});

const assignmentSchema = z.strictObject({
  /** The enterprise app (service principal) the principal is assigned to. */
  servicePrincipalId: id,
  /** The assigned user or group. */
  principalId: id,
});

const oidcIssuerSchema = z
  .strictObject({
    /** The `iss` of the external tokens (e.g. `https://token.actions.githubusercontent.com`). */
    issuer: z.string().min(1),
    /** A PEM public key (`BEGIN PUBLIC KEY`) that signs the issuer's tokens… */
    publicKeyPem: z.string().optional(),
    /** …or a PEM certificate carrying it. */
    certificatePem: z.string().optional(),
  })
  .refine((issuer) => issuer.publicKeyPem || issuer.certificatePem, {
    message: "an OIDC issuer needs publicKeyPem or certificatePem",
  });

/** Ids of the fixture's headline objects, as returned by `startEmulator` (derived when omitted). */
const summarySchema = z.strictObject({
  servicePrincipalId: z.string().optional(),
  jobId: z.string().optional(),
  ruleId: z.string().optional(),
  groupId: z.string().optional(),
  userIds: z.array(z.string()).optional(),
  unassignedUserId: z.string().optional(),
});

/** The objects the admin API's `POST /_emulator/objects` accepts (all fixture shapes, all optional). */
export const runtimeObjectsSchema = z.strictObject({
  applications: z.array(applicationSchema).default([]),
  servicePrincipals: z.array(servicePrincipalSchema).default([]),
  jobs: z.array(jobSchema).default([]),
  users: z.array(userSchema).default([]),
  groups: z.array(groupSchema).default([]),
  assignments: z.array(assignmentSchema).default([]),
});

/** The whole fixture. */
export const fixtureSchema = z.strictObject({
  tenants: z.array(tenantSchema).min(1),
  applications: z.array(applicationSchema).default([]),
  servicePrincipals: z.array(servicePrincipalSchema).default([]),
  jobs: z.array(jobSchema).default([]),
  users: z.array(userSchema).default([]),
  groups: z.array(groupSchema).default([]),
  assignments: z.array(assignmentSchema).default([]),
  oidcIssuers: z.array(oidcIssuerSchema).default([]),
  /** The app whose credentials `startEmulator` returns; default: the first app with a client secret. */
  defaultClientId: z.string().optional(),
  summary: summarySchema.optional(),
});

/** A fixture as written in JSON (defaults may be omitted). */
export type EmulatorFixture = z.input<typeof fixtureSchema>;
/** A fixture after validation, with defaults filled in. */
export type ValidatedFixture = z.output<typeof fixtureSchema>;
/** Objects to add while running, as written (admin API). */
export type EmulatorObjects = z.input<typeof runtimeObjectsSchema>;
/** Objects to add while running, validated. */
export type ValidatedObjects = z.output<typeof runtimeObjectsSchema>;
/** A synchronization schema as stored and served. */
export type SynchronizationSchema = z.output<typeof synchronizationSchemaSchema>;
/** A synchronization rule as stored and served. */
export type SynchronizationRule = z.output<typeof synchronizationRuleSchema>;
/** A tenant as stored. */
export type FixtureTenant = z.output<typeof tenantSchema>;
/** An app registration as stored. */
export type FixtureApplication = z.output<typeof applicationSchema>;
/** A service principal as stored. */
export type FixtureServicePrincipal = z.output<typeof servicePrincipalSchema>;
/** A synchronization job as stored. */
export type FixtureJob = z.output<typeof jobSchema>;
/** A user as stored. */
export type FixtureUser = z.output<typeof userSchema>;
/** A group as stored. */
export type FixtureGroup = z.output<typeof groupSchema>;
/** An app role assignment as stored. */
export type FixtureAssignment = z.output<typeof assignmentSchema>;
/** An external OIDC issuer whose tokens federated credentials trust. */
export type FixtureOidcIssuer = z.output<typeof oidcIssuerSchema>;

/** A fixture that failed validation; `message` lists each problem with its JSON path. */
export class FixtureError extends Error {
  override readonly name = "FixtureError";
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("; ");
}

/** Validates objects for the admin API; throws {@link FixtureError} naming each problem. */
export function parseRuntimeObjects(input: unknown): ValidatedObjects {
  const parsed = runtimeObjectsSchema.safeParse(input ?? {});
  if (!parsed.success) throw new FixtureError(describeIssues(parsed.error));
  return parsed.data;
}

/** Validates a fixture, including references between its objects; throws {@link FixtureError}. */
export function parseFixture(input: unknown): ValidatedFixture {
  const parsed = fixtureSchema.safeParse(input);
  if (!parsed.success) throw new FixtureError(`Invalid emulator fixture: ${describeIssues(parsed.error)}`);
  const fixture = parsed.data;
  const problems: string[] = [];
  const tenantIds = new Set(fixture.tenants.map((tenant) => tenant.id.toLowerCase()));
  const checkTenant = (where: string, tenantId: string | undefined) => {
    if (tenantId !== undefined && !tenantIds.has(tenantId.toLowerCase()))
      problems.push(`${where}: unknown tenant ${tenantId}`);
  };
  fixture.applications.forEach((app, i) => checkTenant(`applications.${i}`, app.tenantId));
  fixture.servicePrincipals.forEach((sp, i) => checkTenant(`servicePrincipals.${i}`, sp.tenantId));
  fixture.users.forEach((user, i) => checkTenant(`users.${i}`, user.tenantId));
  fixture.groups.forEach((group, i) => checkTenant(`groups.${i}`, group.tenantId));
  const spIds = new Set(fixture.servicePrincipals.map((sp) => sp.id.toLowerCase()));
  fixture.jobs.forEach((job, i) => {
    if (!spIds.has(job.servicePrincipalId.toLowerCase()))
      problems.push(`jobs.${i}: unknown servicePrincipalId ${job.servicePrincipalId}`);
  });
  fixture.assignments.forEach((assignment, i) => {
    if (!spIds.has(assignment.servicePrincipalId.toLowerCase()))
      problems.push(`assignments.${i}: unknown servicePrincipalId ${assignment.servicePrincipalId}`);
  });
  if (
    fixture.defaultClientId !== undefined &&
    !fixture.applications.some((app) => app.appId.toLowerCase() === fixture.defaultClientId?.toLowerCase())
  )
    problems.push(`defaultClientId: no application has appId ${fixture.defaultClientId}`);
  if (problems.length) throw new FixtureError(`Invalid emulator fixture: ${problems.join("; ")}`);
  return fixture;
}

/**
 * The fixture's headline group: the one its `summary` names, else the first group assigned directly
 * to the app of its first job (or of the summary's service principal).
 */
export function headlineGroup(fixture: ValidatedFixture): FixtureGroup | undefined {
  const key = (id: string) => id.toLowerCase();
  const wanted = fixture.summary?.groupId;
  if (wanted !== undefined) return fixture.groups.find((group) => key(group.id) === key(wanted));
  const spId = fixture.summary?.servicePrincipalId ?? fixture.jobs[0]?.servicePrincipalId;
  const assigned = new Set(
    fixture.assignments
      .filter((a) => spId !== undefined && key(a.servicePrincipalId) === key(spId))
      .map((a) => key(a.principalId)),
  );
  return fixture.groups.find((group) => assigned.has(key(group.id)));
}

/** Reads and validates a fixture JSON file. */
export async function loadFixtureFile(file: string): Promise<ValidatedFixture> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    throw new FixtureError(`Cannot read emulator fixture ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FixtureError(`Emulator fixture ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseFixture(json);
}
