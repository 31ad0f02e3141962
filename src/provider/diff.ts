/**
 * `diff`: decides between "nothing to do", "update in place" and "replace" (a new provisioning).
 * Works on normalised inputs, so `/servicePrincipals/{id}` and `{id}` are the same.
 *
 * | what changed                                              | outcome                                   |
 * |-----------------------------------------------------------|-------------------------------------------|
 * | servicePrincipalId, synchronizationJobId, apiVersion,     | replace: everything is provisioned again  |
 * | triggers, or any subject or rule in `parameters`          |                                           |
 * | only the group's members (listed, or `allMembers`)        | update: only the changed members are sent |
 * | memberTriggers                                            | update: members read again, new ones sent |
 * | failOnProvisioningError, customTimeouts, recordSteps      | update: recorded, no Graph call           |
 */
import { isDeepStrictEqual } from "node:util";
import { containsUnknown } from "./check";
import { DEFAULT_RECORD_STEPS } from "./outcome";
import type { ParameterState, ResolvedProvisionParameter, SubjectState } from "./state";

/** Inputs whose change means provisioning everything again: the resource is replaced. */
export const REPLACE_PROPERTIES = [
  "servicePrincipalId",
  "synchronizationJobId",
  "parameters",
  "triggers",
  "apiVersion",
] as const;

/** Inputs whose change only updates the state: no Graph call. */
export const UPDATE_PROPERTIES = ["failOnProvisioningError", "createTimeoutSeconds", "recordSteps"] as const;

/** What an absent update property means, where removing it is a change (back to the default). */
const UPDATE_DEFAULTS: Partial<Record<(typeof UPDATE_PROPERTIES)[number], unknown>> = {
  recordSteps: DEFAULT_RECORD_STEPS,
};

/** The outcome of `diff`, in the engine's terms, plus whether the update must provision members. */
export interface DiffOutcome {
  /** Whether anything changed. */
  readonly changes: boolean;
  /** The changed properties that force a replacement. */
  readonly replaces: string[];
  /** True when only the group's members (or memberTriggers) changed: the update provisions them. */
  readonly membersChanged: boolean;
}

/** A subject's identity: what it is, without the group's members. */
function sameSubject(o: SubjectState | undefined, n: SubjectState): boolean {
  return !!o && o.objectId === n.objectId && o.objectTypeName === n.objectTypeName;
}

/**
 * Same rules and subjects, the group's members aside. A rule id that was resolved from the schema
 * stays a match while the program still omits it; everything else compares as given.
 */
function sameParameters(olds: unknown, news: unknown): boolean {
  if (!Array.isArray(olds) || !Array.isArray(news) || olds.length !== news.length) return false;
  return news.every((n: ParameterState, i) => {
    const o = olds[i] as Partial<ResolvedProvisionParameter>;
    if (!o || typeof o !== "object" || !n || typeof n !== "object" || !Array.isArray(o.subjects))
      return false;
    const ruleMatches =
      n.ruleId === undefined ? o.ruleIdSource === "schema" || o.ruleId === undefined : n.ruleId === o.ruleId;
    return (
      ruleMatches &&
      o.subjects.length === n.subjects.length &&
      n.subjects.every((s, j) => sameSubject(o.subjects![j], s))
    );
  });
}

/** The groups' member links, in order (`undefined` for a subject without). */
function memberLinks(parameters: unknown): unknown[] {
  if (!Array.isArray(parameters)) return [];
  return parameters.flatMap((p: ParameterState) => (p?.subjects ?? []).map((s) => s?.links));
}

function same(property: string, olds: Record<string, unknown>, news: Record<string, unknown>): boolean {
  const o = olds[property];
  const n = news[property];
  if (containsUnknown(n)) return false;
  if (property === "parameters") return sameParameters(o, n);
  if (property === "triggers") return isDeepStrictEqual(o ?? {}, n ?? {});
  if (property in UPDATE_DEFAULTS) {
    const fallback = UPDATE_DEFAULTS[property as keyof typeof UPDATE_DEFAULTS];
    return isDeepStrictEqual(o ?? fallback, n ?? fallback);
  }
  return isDeepStrictEqual(o, n);
}

/** Compares the stored outputs with the new (checked) inputs. An unknown new value counts as a change. */
export function diffInputs(olds: Record<string, unknown>, news: Record<string, unknown>): DiffOutcome {
  const replaces = REPLACE_PROPERTIES.filter((p) => !same(p, olds, news));
  const updates = UPDATE_PROPERTIES.filter(
    (p) => (news[p] !== undefined || p in UPDATE_DEFAULTS) && !same(p, olds, news),
  );
  const membersChanged =
    replaces.length === 0 &&
    (!isDeepStrictEqual(memberLinks(olds.parameters), memberLinks(news.parameters)) ||
      !isDeepStrictEqual(olds.memberTriggers ?? {}, news.memberTriggers ?? {}));
  return {
    changes: replaces.length > 0 || updates.length > 0 || membersChanged,
    replaces: [...replaces],
    membersChanged,
  };
}
