/**
 * An omitted ruleId is resolved from the job schema: the one rule with an enabled object mapping for
 * the subject type. When none or several fit, the error lists the rules to choose from.
 */
import { RuleResolutionError } from "../../src/graph/errors";
import { resolveRuleId, type SynchronizationRule } from "../../src/graph/rules";
import type { Subject } from "../../src/graph/model";
import { GROUP_ID, USER_ID } from "../support/ids";

const AAD = "Azure Active Directory";

function rule(
  id: string,
  name: string,
  mappings: [source: string, target: string, enabled?: boolean][],
  targetDirectoryName = "Databricks",
): SynchronizationRule {
  return {
    id,
    name,
    sourceDirectoryName: AAD,
    targetDirectoryName,
    objectMappings: mappings.map(([sourceObjectName, targetObjectName, enabled = true]) => ({
      enabled,
      sourceObjectName,
      targetObjectName,
    })),
  };
}

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
    expect(
      resolveRuleId({ synchronizationRules: rules }, [{ objectId: "CN=A", objectTypeName: "user" }], "p"),
    ).toBe("ad2aad");
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
