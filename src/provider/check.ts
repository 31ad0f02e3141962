/**
 * `check`: validates and normalises the resource's inputs before anything else runs. It makes no
 * HTTP call. Values the engine does not know yet (during preview) are accepted unvalidated.
 */
import { z } from "zod";
import { GRAPH_API_VERSIONS } from "../graph/model";
import {
  CONTROL_CHARACTERS,
  MAX_ID_LENGTH,
  MAX_LISTED_MEMBERS,
  MAX_OBJECT_ID_LENGTH,
  MAX_PARAMETERS,
  MAX_SUBJECTS_PER_PARAMETER,
  MAX_TRIGGER_KEY_LENGTH,
  MAX_TRIGGER_VALUE_LENGTH,
  MAX_TRIGGERS,
  RESERVED_KEYS,
} from "./limits";
import type { ProvisionOnDemandInputs } from "./state";

/** The engine's placeholder for a value that is not known yet (an output of a resource not yet created). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The default bound of the whole create, retries included: 15 minutes, as Terraform's. */
export const DEFAULT_CREATE_TIMEOUT_SECONDS = 15 * 60;

/** One rejected input: the property path and what is allowed instead. */
export interface CheckFailure {
  /** The property that failed validation, e.g. `parameters[0].subjects[1].objectTypeName`. */
  readonly property: string;
  /** Why it failed, and what is allowed. */
  readonly reason: string;
}

/** The outcome of `check`: normalised inputs, or the failures. */
export interface CheckOutcome {
  /** The normalised inputs (unknown values passed through as they are). */
  readonly inputs: Record<string, unknown>;
  /** Every rejected property; empty when the inputs are valid. */
  readonly failures: CheckFailure[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SP_PATH = /^\/servicePrincipals\/([^/]+)$/;
const JOB_PATH = /^\/servicePrincipals\/([^/]+)\/synchronization\/jobs\/([^/]+)$/;
const JOB_ID = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const OBJECT_TYPES = ["User", "user", "Group", "Worker"] as const;

/** Accepts the engine's unknown placeholder, or whatever `schema` accepts. */
function orUnknown<T extends z.ZodType>(schema: T) {
  return z.union([z.literal(UNKNOWN), schema]);
}

/** A type error message that says "is required" when the property is missing. */
function typeError(expected: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? `is required: ${expected}` : `must be ${expected}`;
}

const guidOrSpPath = z
  .string({ error: typeError("a GUID or /servicePrincipals/{guid}") })
  .refine((v) => GUID.test(v) || (SP_PATH.test(v) && GUID.test(SP_PATH.exec(v)![1])), {
    error: "must be a service principal object id (GUID) or /servicePrincipals/{guid}",
  })
  .transform((v) => (SP_PATH.exec(v)?.[1] ?? v).toLowerCase());

const jobIdOrPath = z
  .string({ error: typeError("a job id or /servicePrincipals/{guid}/synchronization/jobs/{jobId}") })
  .max(MAX_ID_LENGTH + 100, {
    error: `must be at most ${MAX_ID_LENGTH} characters (a job id) or a path to one`,
  })
  .refine((v) => JOB_ID.test(v) || (JOB_PATH.test(v) && JOB_ID.test(JOB_PATH.exec(v)![2])), {
    error:
      "must be a synchronization job id like dataBricks.<hex>.<guid>, or /servicePrincipals/{guid}/synchronization/jobs/{jobId}",
  })
  .transform((v) => {
    const path = JOB_PATH.exec(v);
    return { jobId: path ? path[2] : v, pathServicePrincipalId: path?.[1].toLowerCase() };
  });

const objectTypeName = z.enum(OBJECT_TYPES, {
  error: typeError(`one of ${OBJECT_TYPES.map((t) => `"${t}"`).join(", ")}`),
});

const objectId = z
  .string({ error: typeError("a string") })
  .trim()
  .min(1, { error: "must not be empty" })
  .max(MAX_OBJECT_ID_LENGTH, { error: `must be at most ${MAX_OBJECT_ID_LENGTH} characters` })
  .refine((v) => !CONTROL_CHARACTERS.test(v), { error: "must not contain control characters" })
  .transform((v) => (GUID.test(v) ? v.toLowerCase() : v));

const member = z
  .strictObject(
    {
      objectId: orUnknown(objectId),
      objectTypeName: orUnknown(
        z.enum(["User", "user"], {
          error: 'must be "User" or "user": only users can be linked group members',
        }),
      ),
    },
    { error: "must be an object { objectId, objectTypeName }" },
  )
  .superRefine((m, ctx) => {
    if (m.objectTypeName === "User" && m.objectId !== UNKNOWN && !GUID.test(m.objectId)) {
      ctx.addIssue({ code: "custom", path: ["objectId"], message: "must be a GUID for a User" });
    }
  });

/** Every member once: the first of each objectId (GUIDs are already lower-cased). */
function uniqueMembers<T extends { objectId: string }>(members: (T | typeof UNKNOWN)[]) {
  const seen = new Set<string>();
  return members.filter((m) => m === UNKNOWN || (!seen.has(m.objectId) && seen.add(m.objectId)));
}

/** A group's members: listed (any number, each sent once), or "all its direct user members" read from Graph. */
const links = z
  .strictObject(
    {
      members: orUnknown(
        z
          .array(orUnknown(member), { error: "must be a list of subjects" })
          .max(MAX_LISTED_MEMBERS, {
            error: `must list at most ${MAX_LISTED_MEMBERS} members (use allMembers: true to read a larger group from Graph)`,
          })
          .transform(uniqueMembers),
      ).optional(),
      allMembers: orUnknown(z.boolean({ error: "must be true or false" })).optional(),
    },
    { error: "must be an object { members: Subject[] } or { allMembers: true }" },
  )
  .superRefine((l, ctx) => {
    if (l.members === undefined && l.allMembers !== true) {
      ctx.addIssue({
        code: "custom",
        path: ["members"],
        message: "must be a list of subjects, or set allMembers: true to read them from Graph",
      });
    }
    if (l.members !== undefined && l.allMembers === true) {
      ctx.addIssue({
        code: "custom",
        path: ["allMembers"],
        message: "cannot be combined with members: list the members, or read them all from Graph",
      });
    }
  })
  .transform(({ members, allMembers }) =>
    allMembers === true ? { allMembers: true as const } : { members: members ?? [] },
  );

const subject = z
  .strictObject(
    {
      objectId: orUnknown(objectId),
      objectTypeName: orUnknown(objectTypeName),
      links: orUnknown(links).optional(),
    },
    { error: "must be an object { objectId, objectTypeName, links? }" },
  )
  .superRefine((s, ctx) => {
    const isGuidType = s.objectTypeName === "User" || s.objectTypeName === "Group";
    if (isGuidType && s.objectId !== UNKNOWN && !GUID.test(s.objectId)) {
      ctx.addIssue({
        code: "custom",
        path: ["objectId"],
        message: `must be a GUID for a ${s.objectTypeName}`,
      });
    }
    if (s.links !== undefined && s.objectTypeName !== "Group" && s.objectTypeName !== UNKNOWN) {
      ctx.addIssue({
        code: "custom",
        path: ["links"],
        message: "only a Group subject may list linked members",
      });
    }
  });

const parameter = z
  .strictObject(
    {
      ruleId: orUnknown(
        z
          .string({ error: "must be a string" })
          .trim()
          .min(1, {
            error:
              "must not be empty: give the job schema's rule id, or omit it to resolve it from the schema",
          })
          .max(MAX_ID_LENGTH, { error: `must be at most ${MAX_ID_LENGTH} characters` })
          .refine((v) => !CONTROL_CHARACTERS.test(v), { error: "must not contain control characters" }),
      ).optional(),
      subjects: orUnknown(
        z
          .array(orUnknown(subject), { error: typeError("a list of subjects") })
          .min(1, { error: "must list at least one subject" })
          .max(MAX_SUBJECTS_PER_PARAMETER, {
            error: `must list at most ${MAX_SUBJECTS_PER_PARAMETER} subjects (a group's members do not count)`,
          }),
      ),
    },
    { error: "must be an object { ruleId?, subjects }" },
  )
  .transform(({ ruleId, subjects }) => (ruleId === undefined ? { subjects } : { ruleId, subjects }));

/** A `triggers`-like map: bounded, string values, no key that would change an object's prototype. */
function stringMap(name: string) {
  const key = z
    .string()
    .max(MAX_TRIGGER_KEY_LENGTH, { error: `keys must be at most ${MAX_TRIGGER_KEY_LENGTH} characters` })
    .refine((k) => !RESERVED_KEYS.has(k), {
      error: (i) => `key "${String(i.input)}" is reserved: use another name`,
    });
  const value = z
    .string({ error: `must be a string (${name} map strings to strings)` })
    .max(MAX_TRIGGER_VALUE_LENGTH, { error: `must be at most ${MAX_TRIGGER_VALUE_LENGTH} characters` });
  return z
    .record(key, orUnknown(value), { error: "must be a map of strings to strings" })
    .refine((m) => Object.keys(m).length <= MAX_TRIGGERS, {
      error: `must have at most ${MAX_TRIGGERS} entries`,
    });
}

const inputs = z
  .strictObject({
    servicePrincipalId: orUnknown(guidOrSpPath),
    synchronizationJobId: orUnknown(jobIdOrPath),
    parameters: orUnknown(
      z
        .array(orUnknown(parameter), { error: typeError("a list of { ruleId?, subjects }") })
        .min(1, { error: "must list at least one parameter" })
        .max(MAX_PARAMETERS, { error: `must list at most ${MAX_PARAMETERS} parameters` }),
    ),
    triggers: orUnknown(stringMap("triggers")).optional(),
    memberTriggers: orUnknown(stringMap("memberTriggers")).optional(),
    apiVersion: orUnknown(
      z.enum(GRAPH_API_VERSIONS, {
        error: `must be ${GRAPH_API_VERSIONS.map((v) => `"${v}"`).join(" or ")}`,
      }),
    ).default("beta"),
    failOnProvisioningError: orUnknown(z.boolean({ error: "must be true or false" })).default(true),
    resourceName: z.string({ error: "must be a string" }).max(MAX_ID_LENGTH).optional(),
    recordSteps: orUnknown(z.enum(["problems", "all"], { error: 'must be "problems" or "all"' })).optional(),
    createTimeoutSeconds: orUnknown(
      z.number({ error: "must be a number of seconds" }).positive({ error: "must be greater than 0" }),
    ).default(DEFAULT_CREATE_TIMEOUT_SECONDS),
  })
  .superRefine((v, ctx) => {
    const job = v.synchronizationJobId;
    const fromPath = job === UNKNOWN ? undefined : job.pathServicePrincipalId;
    const sp = v.servicePrincipalId;
    if (fromPath && sp !== UNKNOWN && fromPath !== sp) {
      ctx.addIssue({
        code: "custom",
        path: ["synchronizationJobId"],
        message: `names service principal ${fromPath}, but servicePrincipalId is ${sp}: they must be the same`,
      });
    }
    if (!Array.isArray(v.parameters)) return;
    const groups: string[] = [];
    v.parameters.forEach((p, i) => {
      if (typeof p !== "object" || !Array.isArray(p.subjects)) return;
      p.subjects.forEach((s, j) => {
        if (typeof s === "object" && s.objectTypeName === "Group")
          groups.push(`parameters[${i}].subjects[${j}]`);
      });
    });
    if (groups.length > 1) {
      ctx.addIssue({
        code: "custom",
        path: ["parameters"],
        message: `Graph provisions at most one group per request, found ${groups.length} (${groups.join(", ")}): use one resource per group`,
      });
    }
  })
  .transform(({ synchronizationJobId, triggers, memberTriggers, ...rest }) => ({
    ...rest,
    synchronizationJobId: synchronizationJobId === UNKNOWN ? UNKNOWN : synchronizationJobId.jobId,
    ...(triggers === undefined ? {} : { triggers }),
    ...(memberTriggers === undefined ? {} : { memberTriggers }),
  }));

/** Formats a zod path as `parameters[0].subjects[1].objectTypeName`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    "",
  );
}

/** Every property name the inputs know, at any depth: what a misspelt key is matched against. */
const KNOWN_KEYS = [
  "servicePrincipalId",
  "synchronizationJobId",
  "parameters",
  "triggers",
  "memberTriggers",
  "apiVersion",
  "failOnProvisioningError",
  "createTimeoutSeconds",
  "resourceName",
  "recordSteps",
  "ruleId",
  "subjects",
  "objectId",
  "objectTypeName",
  "links",
  "members",
  "allMembers",
];

/** How many single-character edits turn `a` into `b` (case-insensitive). */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[y.length];
}

/** The known property `key` most likely stands for (at most 2 edits away), if any. */
function spellingOf(key: string): string | undefined {
  const best = KNOWN_KEYS.map((known) => [known, editDistance(key, known)] as const).sort(
    (a, b) => a[1] - b[1],
  )[0];
  return best && best[1] <= 2 ? best[0] : undefined;
}

/**
 * A misspelt key is reported once, with its right spelling; the "is required" failure that the
 * missing right spelling caused at the same level is dropped.
 */
function withSpellingHints(failures: CheckFailure[]): CheckFailure[] {
  const misspelt = new Set<string>(); // property paths of the right spellings
  const hinted = failures.map((f) => {
    if (!f.reason.startsWith("is not a known property")) return f;
    const key = f.property.slice(f.property.lastIndexOf(".") + 1);
    const right = spellingOf(key);
    if (!right || right === key) return f;
    misspelt.add(`${f.property.slice(0, f.property.length - key.length)}${right}`);
    return { property: f.property, reason: `is not a known property: did you mean "${right}"?` };
  });
  return hinted.filter((f) => !(misspelt.has(f.property) && f.reason.startsWith("is required")));
}

/** Flattens zod issues into failures; a failed "unknown or value" union reports the value branch's issues. */
function toFailures(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): CheckFailure[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors.length === 2) {
      return toFailures(issue.errors[1], path);
    }
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        property: formatPath([...path, key]),
        reason: "is not a known property (check its spelling)",
      }));
    }
    return [{ property: formatPath(path) || "inputs", reason: issue.message }];
  });
}

/**
 * Validates `news` and returns the normalised inputs: bare ids, lower-case GUIDs, defaults filled in,
 * trimmed strings. Properties the engine marks unknown are passed through without validation.
 */
export function checkInputs(news: Record<string, unknown>): CheckOutcome {
  const { __provider: provider, ...props } = news;
  const reserved = reservedKeyFailures(props);
  const parsed = inputs.safeParse(props);
  if (!parsed.success || reserved.length > 0) {
    return {
      inputs: news,
      failures: [...reserved, ...(parsed.success ? [] : withSpellingHints(toFailures(parsed.error.issues)))],
    };
  }
  return {
    inputs: provider === undefined ? parsed.data : { ...parsed.data, __provider: provider },
    failures: [],
  };
}

/**
 * Map keys such as `__proto__` that a plain object would not store (so a change to them would never
 * be seen): refused by name, read from the raw input before parsing could drop them.
 */
function reservedKeyFailures(props: Record<string, unknown>): CheckFailure[] {
  return (["triggers", "memberTriggers"] as const).flatMap((name) => {
    const map = props[name];
    if (!map || typeof map !== "object") return [];
    return Object.getOwnPropertyNames(map)
      .filter((key) => RESERVED_KEYS.has(key))
      .map((key) => ({ property: name, reason: `key "${key}" is reserved: use another name` }));
  });
}

/** True when any value inside `value` is the engine's unknown placeholder. */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** The checked inputs with every unknown placeholder ruled out, as create and update see them. */
type Known<T> = T extends typeof UNKNOWN
  ? never
  : T extends readonly (infer U)[]
    ? Known<U>[]
    : T extends object
      ? { [K in keyof T]: Known<T[K]> }
      : T;

/** The schema's output, fully known: checked against the documented state contract below. */
type KnownInputs = Known<z.output<typeof inputs>>;
const _stateContract: (v: KnownInputs) => ProvisionOnDemandInputs = (v) => v;
void _stateContract;

/**
 * Validates inputs that must be fully known (create and update: the engine never calls them with
 * unknown values) and returns them typed. Throws an Error listing the failures otherwise.
 */
export function parseKnownInputs(value: Record<string, unknown>): ProvisionOnDemandInputs {
  const { inputs: checked, failures } = checkInputs(value);
  if (failures.length > 0) {
    throw new Error(`invalid inputs: ${failures.map((f) => `${f.property} ${f.reason}`).join("; ")}`);
  }
  if (containsUnknown(checked)) throw new Error("invalid inputs: a value is not known yet");
  const { __provider: _, ...known } = checked as KnownInputs & { __provider?: unknown };
  return known;
}
