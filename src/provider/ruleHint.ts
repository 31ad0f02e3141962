/**
 * What to say when Graph refuses a rule id (`RequestParameterInvalid`: "the job does not include
 * the rule"): the job's rule ids with their names and the object types they map, and, when the
 * given value is a rule's *name*, which id it stands for. Costs one schema GET, only on that failure.
 */
import type { SynchronizationSchema } from "../graph/rules";

/** True for Graph's answer to a rule id the job does not have. */
export function isUnknownRuleError(error: unknown): boolean {
  const e = error as { code?: string; serverMessage?: string; status?: number };
  return e?.status === 400 && e.code === "RequestParameterInvalid" && /rule/i.test(e.serverMessage ?? "");
}

/** `The job's rules: 03f7…#V2 "USER_OUTBOUND" maps User, Group. "USER_OUTBOUND" is a rule's name: use its id 03f7…#V2.` */
export function unknownRuleHint(schema: SynchronizationSchema, given: readonly string[]): string {
  const rules = (schema.synchronizationRules ?? []).filter((r) => typeof r.id === "string" && r.id !== "");
  if (rules.length === 0) return "The job's schema lists no synchronization rules.";
  const listed = rules
    .slice(0, 10)
    .map((r) => {
      const types = (r.objectMappings ?? [])
        .filter((m) => m.enabled !== false && m.sourceObjectName)
        .map((m) => m.sourceObjectName);
      return `${r.id}${r.name ? ` "${r.name}"` : ""} maps ${types.length > 0 ? types.join(", ") : "nothing"}`;
    })
    .join("; ");
  const byName = given
    .map(
      (value) =>
        [
          value,
          rules.find((r) => r.name !== undefined && r.name.toLowerCase() === value.toLowerCase()),
        ] as const,
    )
    .filter(([, rule]) => rule !== undefined)
    .map(
      ([value, rule]) =>
        ` "${value}" is a rule's name, not its id: use ruleId "${rule!.id}" (or omit ruleId to resolve it).`,
    )
    .join("");
  return `The job's rules: ${listed}${rules.length > 10 ? ` and ${rules.length - 10} more` : ""}.${byName}`;
}
