/**
 * Resolves an omitted `ruleId` from the job's synchronization schema: the rule with an enabled object
 * mapping whose source object is the subject's type. Rules without an `id` (Graph's own example of
 * `GET …/schema` lists one, and empty `{}` rules) cannot be sent and are skipped. When several rules
 * fit, the one whose `metadata` says `supportsProvisionOnDemand` = `"true"` wins if it is the only such
 * one. None or several fitting rules is an error that lists every candidate.
 */
import type { Subject } from "./model";
import { RuleResolutionError } from "./errors";

/** A synchronization rule, as `GET …/jobs/{jobId}/schema` lists it (only the fields we read). */
export interface SynchronizationRule {
  /** The rule id to send, e.g. `03f7d90d-…` or `…#V2`. Some schemas list rules without one (skipped). */
  readonly id?: string;
  /** The rule's display name. */
  readonly name?: string;
  /** Where objects come from, e.g. `Azure Active Directory`. */
  readonly sourceDirectoryName?: string;
  /** Where objects go, e.g. `Databricks`. */
  readonly targetDirectoryName?: string;
  /** The rule's object mappings. */
  readonly objectMappings?: readonly {
    enabled?: boolean;
    sourceObjectName?: string;
    targetObjectName?: string;
  }[];
  /** Free-form facts about the rule, e.g. `{ key: "supportsProvisionOnDemand", value: "true" }`. */
  readonly metadata?: readonly { key?: string; value?: string }[];
}

/** A rule that has an id to send. */
type IdentifiedRule = SynchronizationRule & { readonly id: string };

/** The job schema (only the fields we read). */
export interface SynchronizationSchema {
  /** The schema's rules. */
  readonly synchronizationRules?: readonly SynchronizationRule[];
}

/** True for a rule with a non-empty string id; the others cannot be sent and are skipped. */
function hasId(rule: SynchronizationRule | null | undefined): rule is IdentifiedRule {
  return typeof rule?.id === "string" && rule.id.trim() !== "";
}

/** True when the rule's metadata says `supportsProvisionOnDemand` = `"true"` (any letter case). */
function supportsProvisionOnDemand(rule: SynchronizationRule): boolean {
  return (Array.isArray(rule.metadata) ? rule.metadata : []).some(
    (entry) =>
      String(entry?.key ?? "").toLowerCase() === "supportsprovisionondemand" &&
      String(entry?.value ?? "")
        .trim()
        .toLowerCase() === "true",
  );
}

/** The rule's object mappings, without holes a malformed schema may have. */
function mappingsOf(rule: SynchronizationRule): NonNullable<SynchronizationRule["objectMappings"]> {
  return Array.isArray(rule.objectMappings)
    ? rule.objectMappings.filter((m) => m && typeof m === "object")
    : [];
}

function describeRule(rule: IdentifiedRule): string {
  const mapped = mappingsOf(rule)
    .filter((m) => m.enabled !== false)
    .map((m) => `${m.sourceObjectName}→${m.targetObjectName}`)
    .join(", ");
  const onDemand = supportsProvisionOnDemand(rule) ? "; supports provisionOnDemand" : "";
  return `${rule.id} "${rule.name ?? ""}" (${rule.sourceDirectoryName ?? "?"} → ${rule.targetDirectoryName ?? "?"}; maps ${mapped || "nothing"}${onDemand})`;
}

/** True when `rule` has an enabled mapping whose source object is `typeName` (case-insensitive). */
function mapsType(rule: SynchronizationRule, typeName: string): boolean {
  return mappingsOf(rule).some(
    (m) => m.enabled !== false && (m.sourceObjectName ?? "").toLowerCase() === typeName.toLowerCase(),
  );
}

/** Most rules an error lists (a schema rarely has more; the message stays readable). */
const MAX_LISTED_RULES = 20;

/** `  - id "name" (…)` lines for `rules`, at most MAX_LISTED_RULES of them. */
function listRules(rules: readonly IdentifiedRule[]): string {
  const lines = rules.slice(0, MAX_LISTED_RULES).map((r) => `  - ${describeRule(r)}`);
  if (rules.length > MAX_LISTED_RULES) lines.push(`  … and ${rules.length - MAX_LISTED_RULES} more`);
  return lines.join("\n") || "  (none)";
}

/** Why no rule was chosen, in words. */
function problemOf(
  listedCount: number,
  rules: readonly IdentifiedRule[],
  fitting: readonly IdentifiedRule[],
  preferred: readonly IdentifiedRule[],
  types: readonly string[],
): string {
  const objects = `${types.join(" and ")} objects`;
  if (fitting.length > 1) {
    const onDemand =
      preferred.length > 1 ? `, ${preferred.length} of them marked supportsProvisionOnDemand` : "";
    return `${fitting.length} rules of the job schema map ${objects}${onDemand}`;
  }
  if (rules.length > 0) return `no rule of the job schema maps ${objects}`;
  return listedCount > 0
    ? `none of the job schema's ${listedCount} synchronization rules has an id`
    : "the job schema has no synchronization rules";
}

/**
 * Returns the id of the one rule that maps every subject type of `subjects`; of several, the only one
 * whose metadata says it supports provisionOnDemand. Rules without an id are skipped. Throws
 * RuleResolutionError when none or several fit, listing the fitting rules (several) or every rule.
 */
export function resolveRuleId(
  schema: SynchronizationSchema,
  subjects: readonly Pick<Subject, "objectTypeName">[],
  where: string,
): string {
  const listed = Array.isArray(schema?.synchronizationRules) ? schema.synchronizationRules : [];
  const rules = listed.filter(hasId);
  const types = [...new Set(subjects.map((s) => s.objectTypeName))];
  const fitting = rules.filter((rule) => types.every((t) => mapsType(rule, t)));
  if (fitting.length === 1) return fitting[0].id;
  const preferred = fitting.filter(supportsProvisionOnDemand);
  if (preferred.length === 1) return preferred[0].id;
  const problem = problemOf(listed.length, rules, fitting, preferred, types);
  throw new RuleResolutionError(
    `${where}.ruleId is omitted and cannot be resolved: ${problem}. Set ${where}.ruleId to one of:\n${listRules(fitting.length > 1 ? fitting : rules)}`,
  );
}
