/**
 * `diff`: decides between "nothing to do", "update in place" (no Graph call) and "replace" (a new
 * provisioning). Works on normalised inputs, so `/servicePrincipals/{id}` and `{id}` are the same.
 */
import { isDeepStrictEqual } from "node:util";
import type { ProvisionParameter } from "../graph/model";
import type { ResolvedProvisionParameter } from "./state";
import { containsUnknown } from "./check";

/** Inputs whose change means provisioning again: the resource is replaced. */
export const REPLACE_PROPERTIES = [
  "servicePrincipalId",
  "synchronizationJobId",
  "parameters",
  "triggers",
  "apiVersion",
] as const;

/** Inputs whose change only updates the state: no Graph call. */
export const UPDATE_PROPERTIES = ["failOnProvisioningError", "createTimeoutSeconds"] as const;

/** The outcome of `diff`, in the engine's terms. */
export interface DiffOutcome {
  /** Whether anything changed. */
  readonly changes: boolean;
  /** The changed properties that force a replacement. */
  readonly replaces: string[];
}

/**
 * A parameter's rule id that was resolved from the schema stays a match while the program still omits
 * it; everything else compares as given.
 */
function sameParameters(olds: unknown, news: unknown): boolean {
  if (!Array.isArray(olds) || !Array.isArray(news) || olds.length !== news.length) return false;
  return news.every((n: ProvisionParameter, i) => {
    const o = olds[i] as Partial<ResolvedProvisionParameter>;
    if (!o || typeof o !== "object" || !n || typeof n !== "object") return false;
    const ruleMatches =
      n.ruleId === undefined ? o.ruleIdSource === "schema" || o.ruleId === undefined : n.ruleId === o.ruleId;
    return ruleMatches && isDeepStrictEqual(o.subjects, n.subjects);
  });
}

function same(property: string, olds: Record<string, unknown>, news: Record<string, unknown>): boolean {
  const o = olds[property];
  const n = news[property];
  if (containsUnknown(n)) return false;
  if (property === "parameters") return sameParameters(o, n);
  if (property === "triggers") return isDeepStrictEqual(o ?? {}, n ?? {});
  return isDeepStrictEqual(o, n);
}

/** Compares the stored outputs with the new (checked) inputs. An unknown new value counts as a change. */
export function diffInputs(olds: Record<string, unknown>, news: Record<string, unknown>): DiffOutcome {
  const replaces = REPLACE_PROPERTIES.filter((p) => !same(p, olds, news));
  const updates = UPDATE_PROPERTIES.filter((p) => news[p] !== undefined && !same(p, olds, news));
  return { changes: replaces.length > 0 || updates.length > 0, replaces: [...replaces] };
}
