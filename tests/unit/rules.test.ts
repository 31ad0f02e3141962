/**
 * An omitted ruleId is resolved from the job schema: the one rule with an enabled object mapping for
 * the subject type; of several, the only one marked supportsProvisionOnDemand. Rules without an id are
 * skipped. When none or several fit, the error lists the rules to choose from.
 */
import { RuleResolutionError } from "../../src/graph/errors";
import { resolveRuleId, type SynchronizationRule } from "../../src/graph/rules";
import type { Subject } from "../../src/graph/model";
import { GROUP_ID, USER_ID } from "../support/ids";

const AAD = "Azure Active Directory";

function rule(
  id: string | undefined,
  name: string,
  mappings: [source: string, target: string, enabled?: boolean][],
  targetDirectoryName = "Databricks",
  metadata?: SynchronizationRule["metadata"],
): SynchronizationRule {
  return {
    ...(id === undefined ? {} : { id }),
    name,
    sourceDirectoryName: AAD,
    targetDirectoryName,
    objectMappings: mappings.map(([sourceObjectName, targetObjectName, enabled = true]) => ({
      enabled,
      sourceObjectName,
      targetObjectName,
    })),
    ...(metadata ? { metadata } : {}),
  };
}

/** A rule mapping User → User, with or without the supportsProvisionOnDemand mark. */
const userRule = (id: string | undefined, onDemand?: string): SynchronizationRule =>
  rule(
    id,
    `users ${id}`,
    [["User", "User"]],
    "Databricks",
    onDemand === undefined ? undefined : [{ key: "supportsProvisionOnDemand", value: onDemand }],
  );

const USER: Subject = { objectId: USER_ID, objectTypeName: "User" };
const GROUP_WITH_MEMBER: Subject = {
  objectId: GROUP_ID,
  objectTypeName: "Group",
  links: { members: [USER] },
};

/** The error resolveRuleId throws, for assertions on its message. */
function resolutionError(rules: SynchronizationRule[], subjects: Subject[]): RuleResolutionError {
  try {
    resolveRuleId({ synchronizationRules: rules }, subjects, "parameters[0]");
  } catch (error) {
    if (error instanceof RuleResolutionError) return error;
    throw error;
  }
  throw new Error("resolveRuleId resolved a rule; a RuleResolutionError was expected");
}

describe("an omitted ruleId resolves to the one rule that fits", () => {
  it("picks the only rule mapping users", () => {
    const rules = [rule("03f7d90d-bf71-41b1-bda6-aaf0ddbee5d8", "USER_OUTBOUND", [["User", "User"]])];
    expect(resolveRuleId({ synchronizationRules: rules }, [USER], "parameters[0]")).toBe(
      "03f7d90d-bf71-41b1-bda6-aaf0ddbee5d8",
    );
  });

  it("returns an id with a #V2 suffix exactly as the schema spells it", () => {
    const rules = [rule("6c409270-f78a-4bc6-af23-7cf3ab6482fe#V2", "scim v2", [["User", "urn:scim:User"]])];
    expect(resolveRuleId({ synchronizationRules: rules }, [USER], "parameters[0]")).toBe(
      "6c409270-f78a-4bc6-af23-7cf3ab6482fe#V2",
    );
  });

  it("ignores a rule whose mapping for the type is disabled", () => {
    const rules = [
      rule("disabled-rule", "old", [["User", "User", false]]),
      rule("enabled-rule", "new", [["User", "User"]]),
    ];
    expect(resolveRuleId({ synchronizationRules: rules }, [USER], "parameters[0]")).toBe("enabled-rule");
  });

  it("a group with member users needs a rule mapping Group", () => {
    const rules = [
      rule("users-only", "USERS", [["User", "User"]]),
      rule("groups", "GROUPS", [["Group", "Group"]]),
    ];
    expect(resolveRuleId({ synchronizationRules: rules }, [GROUP_WITH_MEMBER], "parameters[0]")).toBe(
      "groups",
    );
    expect(
      resolutionError([rule("users-only", "USERS", [["User", "User"]])], [GROUP_WITH_MEMBER]).message,
    ).toMatch(/no rule of the job schema maps Group objects/);
  });

  it('matches the subject type in any letter case (an AD user is "user")', () => {
    const rules = [rule("ad2aad", "AD to Entra", [["user", "User"]], AAD)];
    expect(resolveRuleId({ synchronizationRules: rules }, [{ objectTypeName: "user" }], "p")).toBe("ad2aad");
    expect(resolveRuleId({ synchronizationRules: rules }, [USER], "p")).toBe("ad2aad");
  });
});

describe("when no rule fits, the error lists every rule with its id, name and directories", () => {
  const rules = [
    rule("rule-groups", "Provision groups", [["Group", "Group"]], "Databricks"),
    rule("rule-disabled", "Old users", [["User", "User", false]], "Slack"),
  ];

  it("names the property, the type and every rule of the schema", () => {
    const { message } = resolutionError(rules, [USER]);
    expect(message).toMatch(/^parameters\[0\]\.ruleId is omitted and cannot be resolved/);
    expect(message).toMatch(/no rule of the job schema maps User objects/);
    expect(message).toMatch(/Set parameters\[0\]\.ruleId to one of:/);
    expect(message).toContain(`rule-groups "Provision groups" (${AAD} → Databricks; maps Group→Group)`);
    expect(message).toContain(`rule-disabled "Old users" (${AAD} → Slack; maps nothing)`);
  });

  it("says so when the schema has no rules at all", () => {
    const { message } = resolutionError([], [USER]);
    expect(message).toMatch(/the job schema has no synchronization rules/);
    expect(message).toMatch(/\(none\)/);
  });
});

describe("when several rules fit, the error lists the candidates only", () => {
  it("lists each fitting rule and leaves out the others", () => {
    const rules = [
      rule("rule-a", "Users to SCIM", [["User", "User"]], "Databricks"),
      rule(
        "rule-b",
        "Users and groups",
        [
          ["User", "User"],
          ["Group", "Group"],
        ],
        "Databricks EU",
      ),
      rule("rule-c", "Groups", [["Group", "Group"]], "Databricks"),
    ];
    const { message } = resolutionError(rules, [USER]);
    expect(message).toMatch(/2 rules of the job schema map User objects/);
    expect(message).toContain(`rule-a "Users to SCIM" (${AAD} → Databricks; maps User→User)`);
    expect(message).toContain(
      `rule-b "Users and groups" (${AAD} → Databricks EU; maps User→User, Group→Group)`,
    );
    expect(message).not.toContain("rule-c");
  });
});

/** What resolveRuleId gives for a schema: the rule id, or the error's message. */
function outcome(rules: unknown[], subjects: Subject[] = [USER]): { id?: string; error?: string } {
  try {
    return {
      id: resolveRuleId({ synchronizationRules: rules as SynchronizationRule[] }, subjects, "parameters[0]"),
    };
  } catch (error) {
    if (error instanceof RuleResolutionError) return { error: error.message };
    throw error;
  }
}

describe("rules without an id are skipped, never returned as undefined", () => {
  // Graph's own example of GET …/schema lists a rule without `id`, and empty `{}` rules.
  const cases: [label: string, rules: unknown[], expected: { id?: string; error?: RegExp }][] = [
    ["an id-less rule beside one with an id", [userRule(undefined), userRule("with-id")], { id: "with-id" }],
    ["empty {} rules beside one with an id", [{}, userRule("with-id"), {}], { id: "with-id" }],
    ["a rule with an empty id", [userRule(""), userRule("with-id")], { id: "with-id" }],
    [
      "a rule whose id is not a string",
      [{ ...userRule(undefined), id: 7 }, userRule("with-id")],
      { id: "with-id" },
    ],
    ["null holes in the list", [null, userRule("with-id")], { id: "with-id" }],
    [
      "only an id-less rule",
      [userRule(undefined)],
      { error: /none of the job schema's 1 synchronization rules has an id/ },
    ],
    ["only empty rules", [{}, {}], { error: /none of the job schema's 2 synchronization rules has an id/ }],
    [
      "an id-less rule marked supportsProvisionOnDemand beside two with ids",
      [userRule(undefined, "true"), userRule("a"), userRule("b")],
      { error: /2 rules of the job schema map User objects/ },
    ],
  ];

  it.each(cases)("%s", (_label, rules, expected) => {
    const { id, error } = outcome(rules);
    if (expected.id) {
      expect(error).toBeUndefined();
      expect(id).toBe(expected.id);
    } else {
      expect(id).toBeUndefined();
      expect(error).toMatch(expected.error!);
      expect(error).not.toMatch(/undefined/);
    }
  });

  it("a schema whose rules are not a list has none", () => {
    expect(outcome(null as unknown as unknown[]).error).toMatch(
      /the job schema has no synchronization rules/,
    );
  });
});

describe("of several fitting rules, the only one marked supportsProvisionOnDemand wins", () => {
  const cases: [label: string, rules: SynchronizationRule[], expected: string | RegExp][] = [
    ['one of two marked "true"', [userRule("plain"), userRule("on-demand", "true")], "on-demand"],
    ['"True" in another letter case', [userRule("on-demand", "True"), userRule("plain")], "on-demand"],
    [
      'one marked "true", one "false"',
      [userRule("off", "false"), userRule("on-demand", "true"), userRule("plain")],
      "on-demand",
    ],
    ["a single fitting rule marked false is still used", [userRule("only", "false")], "only"],
    [
      "a marked rule that does not fit does not count",
      [
        rule("groups", "G", [["Group", "Group"]], "Databricks", [
          { key: "supportsProvisionOnDemand", value: "true" },
        ]),
        userRule("a"),
        userRule("b"),
      ],
      /2 rules of the job schema map User objects\. /,
    ],
    [
      "none marked: the error lists the candidates",
      [userRule("a"), userRule("b")],
      /2 rules of the job schema map User objects\. /,
    ],
    [
      "two marked: the error lists the candidates",
      [userRule("a", "true"), userRule("b", "true"), userRule("c")],
      /3 rules of the job schema map User objects, 2 of them marked supportsProvisionOnDemand\. /,
    ],
  ];

  it.each(cases)("%s", (_label, rules, expected) => {
    const { id, error } = outcome(rules);
    if (typeof expected === "string") expect([id, error]).toEqual([expected, undefined]);
    else expect(error).toMatch(expected);
  });

  it("reads the mark from a metadata list of { key, value } among other entries", () => {
    const marked: SynchronizationRule = {
      ...userRule("on-demand"),
      metadata: [
        { key: "defaultSourceObjectMappings", value: "[]" },
        { key: "supportsProvisionOnDemand", value: "true" },
      ],
    };
    expect(outcome([userRule("plain"), marked]).id).toBe("on-demand");
  });

  it("lists every fitting rule when the mark does not decide, and says which support provisionOnDemand", () => {
    const { error } = outcome([userRule("a", "true"), userRule("b", "true"), userRule("c")]);
    expect(error).toContain(
      `  - a "users a" (${AAD} → Databricks; maps User→User; supports provisionOnDemand)`,
    );
    expect(error).toContain(
      `  - b "users b" (${AAD} → Databricks; maps User→User; supports provisionOnDemand)`,
    );
    expect(error).toContain(`  - c "users c" (${AAD} → Databricks; maps User→User)`);
  });
});

describe("the error stays readable for a schema with many rules", () => {
  it("lists 20 rules and counts the rest", () => {
    const rules = Array.from({ length: 50 }, (_, i) => userRule(`rule-${i}`));
    const { error } = outcome(rules);
    expect(error).toMatch(/50 rules of the job schema map User objects/);
    expect(error).toContain("rule-19");
    expect(error).not.toContain("rule-20 ");
    expect(error).toContain("  … and 30 more");
  });
});
