/**
 * Resolves an omitted `ruleId` from the job's synchronization schema: the rule with an enabled object
 * mapping whose source object is the subject's type. None or several fitting rules is an error that
 * lists every candidate.
 */
import type { Subject } from "./model";
import { RuleResolutionError } from "./errors";

/** A synchronization rule, as `GET …/jobs/{jobId}/schema` lists it (only the fields we read). */
export interface SynchronizationRule {
  /** The rule id to send, e.g. `03f7d90d-…` or `…#V2`. */
  readonly id: string;
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
}

/** The job schema (only the fields we read). */
export interface SynchronizationSchema {
  /** The schema's rules. */
  readonly synchronizationRules?: readonly SynchronizationRule[];
}

function describeRule(rule: SynchronizationRule): string {
  const mapped = (rule.objectMappings ?? [])
    .filter((m) => m.enabled !== false)
    .map((m) => `${m.sourceObjectName}→${m.targetObjectName}`)
    .join(", ");
  return `${rule.id} "${rule.name ?? ""}" (${rule.sourceDirectoryName ?? "?"} → ${rule.targetDirectoryName ?? "?"}; maps ${mapped || "nothing"})`;
}

/** True when `rule` has an enabled mapping whose source object is `typeName` (case-insensitive). */
function mapsType(rule: SynchronizationRule, typeName: string): boolean {
  return (rule.objectMappings ?? []).some(
    (m) => m.enabled !== false && (m.sourceObjectName ?? "").toLowerCase() === typeName.toLowerCase(),
  );
}

/**
 * Returns the id of the one rule that maps every subject type of `subjects`.
 * Throws RuleResolutionError (listing every rule of the schema) when none or several fit.
 */
export function resolveRuleId(
  schema: SynchronizationSchema,
  subjects: readonly Pick<Subject, "objectTypeName">[],
  where: string,
): string {
  const rules = schema.synchronizationRules ?? [];
  const types = [...new Set(subjects.map((s) => s.objectTypeName))];
  const fitting = rules.filter((rule) => types.every((t) => mapsType(rule, t)));
  if (fitting.length === 1) return fitting[0].id;
  const list = (fitting.length > 1 ? fitting : rules).map((r) => `  - ${describeRule(r)}`).join("\n");
  const problem =
    fitting.length > 1
      ? `${fitting.length} rules of the job schema map ${types.join(" and ")} objects`
      : rules.length === 0
        ? "the job schema has no synchronization rules"
        : `no rule of the job schema maps ${types.join(" and ")} objects`;
  throw new RuleResolutionError(
    `${where}.ruleId is omitted and cannot be resolved: ${problem}. Set ${where}.ruleId to one of:\n${list || "  (none)"}`,
  );
}
