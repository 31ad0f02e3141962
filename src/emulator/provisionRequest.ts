/**
 * What a provisionOnDemand request must look like before anything is provisioned: the body's shape,
 * Graph's limits (one group, at most 5 members), and whether the job can run it (target credentials
 * configured, rule present in its schema). Refusals become HTTP errors in graph.ts.
 */
import { z } from "zod";
import type { DirectoryState, StoredJob, StoredServicePrincipal } from "./state";

/** Most members one group subject may list. */
export const MAX_GROUP_MEMBERS = 5;

/** A request Graph refuses with an HTTP error. */
export interface ProvisionRequestError {
  /** The HTTP status. */
  readonly status: number;
  /** The Graph error code. */
  readonly code: string;
  /** The Graph error message. */
  readonly message: string;
}

/** A subject as the request body gives it. */
export interface SubjectInput {
  /** The directory object id (or distinguished name, or Workday id). */
  objectId: string;
  /** `User`, `user`, `Group` or `Worker`. */
  objectTypeName: string;
  /** For a group: the members to provision with it. */
  links?: { members: SubjectInput[] };
}

const subjectSchema: z.ZodType<SubjectInput> = z.lazy(() =>
  z.looseObject({
    objectId: z.string().min(1),
    objectTypeName: z.string().min(1),
    links: z.looseObject({ members: z.array(subjectSchema) }).optional(),
  }),
);

const bodySchema = z.looseObject({
  parameters: z.array(z.looseObject({ ruleId: z.string(), subjects: z.array(subjectSchema).min(1) })).min(1),
});

/** The parameters of a valid request body. */
export type ProvisionParameters = z.output<typeof bodySchema>["parameters"];

const SUBJECT_TYPES = new Set(["User", "user", "Group", "Worker"]);

function badRequest(message: string): ProvisionRequestError {
  return { status: 400, code: "BadRequest", message };
}

/** Checks the body's shape and Graph's limits (one group, at most 5 members); returns the parameters. */
export function parseProvisionBody(json: unknown): ProvisionParameters | ProvisionRequestError {
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join(".") : "body";
    return badRequest(`Invalid provisionOnDemand request: ${where}: ${issue.message}.`);
  }
  let groups = 0;
  for (const parameter of parsed.data.parameters)
    for (const subject of parameter.subjects) {
      if (!SUBJECT_TYPES.has(subject.objectTypeName))
        return badRequest(
          `Invalid objectTypeName '${subject.objectTypeName}': expected one of User, user, Group or Worker.`,
        );
      if (subject.objectTypeName === "Group") groups += 1;
      const members = subject.links?.members ?? [];
      if (members.length > 0 && subject.objectTypeName !== "Group")
        return badRequest(`Only a Group subject may list members (subject ${subject.objectId}).`);
      if (members.length > MAX_GROUP_MEMBERS)
        return badRequest(
          `A group can be provisioned on demand with at most ${MAX_GROUP_MEMBERS} members; ${members.length} were given.`,
        );
      for (const member of members)
        if (member.objectTypeName !== "User" || member.links)
          return badRequest(`Group members must be User subjects without links (member ${member.objectId}).`);
    }
  if (groups > 1)
    return badRequest(`Only one group can be provisioned on demand per request; ${groups} were given.`);
  return parsed.data.parameters;
}

/** Everything one provisionOnDemand call works on. */
export interface ProvisionJobContext {
  readonly state: DirectoryState;
  readonly servicePrincipal: StoredServicePrincipal;
  readonly job: StoredJob;
  readonly now: number;
}

/** Refuses the request when the job cannot run it: target credentials missing, or an unknown rule. */
export function checkJobAccepts(
  ctx: ProvisionJobContext,
  parameters: ProvisionParameters,
): ProvisionRequestError | undefined {
  if (!ctx.job.credentialsConfigured)
    return {
      status: 400,
      code: "CredentialsMissing",
      message: `The synchronization job ${ctx.job.id} has no target system credentials. Save the admin credentials of the provisioning configuration (for example BaseAddress and SecretToken), then retry.`,
    };
  for (const parameter of parameters)
    if (!ctx.job.schema.synchronizationRules.some((rule) => rule.id === parameter.ruleId))
      return {
        status: 400,
        code: "RequestParameterInvalid",
        message: `The request identified this synchronization job: ${ctx.job.id}.  The request also identified this synchronization rule: ${parameter.ruleId}.  However, the job does not include the rule.`,
      };
  return undefined;
}
