/**
 * `check`: what a program may write, what it is told when it writes something else, and that
 * checking never talks to the network.
 */
import http = require("node:http");
import https = require("node:https");
import net = require("node:net");
import { checkInputs, formatPath, UNKNOWN } from "../../src/provider/check";
import * as provider from "../../src/provider/index";
import { GROUP_ID, JOB_ID, OTHER_SP_ID, RULE_ID, SP_ID, USER_ID } from "../support/ids";
import { group, parameters, user, validInputs } from "../support/subjects";

/** The valid inputs with some top-level properties replaced; `undefined` removes the property. */
function inputsWith(override: Record<string, unknown>): Record<string, unknown> {
  const inputs = { ...validInputs(), ...override };
  for (const [key, value] of Object.entries(override)) if (value === undefined) delete inputs[key];
  return inputs;
}

const JOB_PATH = (sp: string, job = JOB_ID) => `/servicePrincipals/${sp}/synchronization/jobs/${job}`;
/** `n` distinct users, as a program might list a large group's members. */
const manyUsers = (n: number) =>
  Array.from({ length: n }, (_, i) => user(`b0b10000-0000-4000-8000-${String(i).padStart(12, "0")}`));

// [what the program wrote, the properties it wrote (undefined: left out), the property blamed, what the reason must say]
// prettier-ignore
const MALFORMED: [string, Record<string, unknown>, string, RegExp][] = [
  // servicePrincipalId
  ["servicePrincipalId missing", { servicePrincipalId: undefined }, "servicePrincipalId", /is required: a GUID or \/servicePrincipals\/\{guid\}/],
  ["servicePrincipalId a number", { servicePrincipalId: 42 }, "servicePrincipalId", /must be a GUID or \/servicePrincipals\/\{guid\}/],
  ["servicePrincipalId not a GUID", { servicePrincipalId: "my-app" }, "servicePrincipalId", /GUID.*\/servicePrincipals\/\{guid\}/],
  ["servicePrincipalId empty", { servicePrincipalId: "" }, "servicePrincipalId", /GUID.*\/servicePrincipals\/\{guid\}/],
  ["servicePrincipalId path with a non-GUID", { servicePrincipalId: "/servicePrincipals/my-app" }, "servicePrincipalId", /GUID.*\/servicePrincipals\/\{guid\}/],
  ["servicePrincipalId path of another collection", { servicePrincipalId: `/applications/${SP_ID}` }, "servicePrincipalId", /GUID.*\/servicePrincipals\/\{guid\}/],
  ["a misspelt top-level property (trigger)", { trigger: { a: "b" } }, "trigger", /is not a known property/],
  // synchronizationJobId
  ["synchronizationJobId missing", { synchronizationJobId: undefined }, "synchronizationJobId", /is required: a job id or \/servicePrincipals\/\{guid\}\/synchronization\/jobs\/\{jobId\}/],
  ["synchronizationJobId only a template name", { synchronizationJobId: "dataBricks" }, "synchronizationJobId", /job id like dataBricks\.<hex>\.<guid>/],
  ["synchronizationJobId with two segments", { synchronizationJobId: "dataBricks.f5532fc7" }, "synchronizationJobId", /job id like dataBricks\.<hex>\.<guid>/],
  ["synchronizationJobId with a space", { synchronizationJobId: "data Bricks.f5532fc7.8442fd39" }, "synchronizationJobId", /job id like dataBricks\.<hex>\.<guid>/],
  ["synchronizationJobId a number", { synchronizationJobId: 7 }, "synchronizationJobId", /must be a job id or \/servicePrincipals/],
  ["job path ending in a bad job id", { synchronizationJobId: JOB_PATH(SP_ID, "notajob") }, "synchronizationJobId", /\/servicePrincipals\/\{guid\}\/synchronization\/jobs\/\{jobId\}/],
  ["job path without /synchronization", { synchronizationJobId: `/servicePrincipals/${SP_ID}/jobs/${JOB_ID}` }, "synchronizationJobId", /\/servicePrincipals\/\{guid\}\/synchronization\/jobs\/\{jobId\}/],
  ["job path of another service principal", { synchronizationJobId: JOB_PATH(OTHER_SP_ID) }, "synchronizationJobId", new RegExp(`names service principal ${OTHER_SP_ID}, but servicePrincipalId is ${SP_ID}: they must be the same`)],
  // parameters
  ["parameters missing", { parameters: undefined }, "parameters", /is required: a list of \{ ruleId\?, subjects \}/],
  ["parameters empty", { parameters: [] }, "parameters", /must list at least one parameter/],
  ["parameters an object, not a list", { parameters: { subjects: [user()] } }, "parameters", /must be a list of \{ ruleId\?, subjects \}/],
  ["a parameter that is a string", { parameters: ["User"] }, "parameters[0]", /must be an object \{ ruleId\?, subjects \}/],
  ["a parameter that is null", { parameters: [null] }, "parameters[0]", /must be an object \{ ruleId\?, subjects \}/],
  ["ruleId empty", { parameters: [{ ruleId: "", subjects: [user()] }] }, "parameters[0].ruleId", /must not be empty: give the job schema's rule id, or omit it/],
  ["ruleId only spaces", { parameters: [{ ruleId: "   ", subjects: [user()] }] }, "parameters[0].ruleId", /must not be empty.*omit it/],
  ["ruleId a number", { parameters: [{ ruleId: 3, subjects: [user()] }] }, "parameters[0].ruleId", /must be a string/],
  ["ruleId misspelt ruleID", { parameters: [{ ruleID: RULE_ID, subjects: [user()] }] }, "parameters[0].ruleID", /is not a known property: did you mean "ruleId"\?/],
  // subjects
  ["subjects missing", { parameters: [{ ruleId: RULE_ID }] }, "parameters[0].subjects", /is required: a list of subjects/],
  ["subjects empty", { parameters: parameters() }, "parameters[0].subjects", /must list at least one subject/],
  ["subjects a single subject, not a list", { parameters: [{ ruleId: RULE_ID, subjects: user() }] }, "parameters[0].subjects", /must be a list of subjects/],
  ["a subject that is a string", { parameters: parameters(user(), USER_ID) }, "parameters[0].subjects[1]", /must be an object \{ objectId, objectTypeName, links\? \}/],
  ["objectTypeName \"group\" (lower case)", { parameters: parameters({ objectId: GROUP_ID, objectTypeName: "group" }) }, "parameters[0].subjects[0].objectTypeName", /must be one of "User", "user", "Group", "Worker"/],
  ["objectTypeName \"Users\"", { parameters: parameters(user(), { objectId: USER_ID, objectTypeName: "Users" }) }, "parameters[0].subjects[1].objectTypeName", /must be one of "User", "user", "Group", "Worker"/],
  ["objectTypeName a number", { parameters: parameters({ objectId: USER_ID, objectTypeName: 5 }) }, "parameters[0].subjects[0].objectTypeName", /must be one of "User", "user", "Group", "Worker"/],
  ["objectTypeName missing", { parameters: parameters({ objectId: USER_ID }) }, "parameters[0].subjects[0].objectTypeName", /is required: one of "User", "user", "Group", "Worker"/],
  ["User objectId not a GUID", { parameters: parameters(user("alice@example.com")) }, "parameters[0].subjects[0].objectId", /must be a GUID for a User/],
  ["Group objectId not a GUID", { parameters: parameters(group(undefined, "Engineers")) }, "parameters[0].subjects[0].objectId", /must be a GUID for a Group/],
  ["User objectId empty", { parameters: parameters(user("")) }, "parameters[0].subjects[0].objectId", /must not be empty/],
  ["Worker objectId only spaces", { parameters: parameters({ objectId: "  ", objectTypeName: "Worker" }) }, "parameters[0].subjects[0].objectId", /must not be empty/],
  ["objectId a number", { parameters: parameters(user(12345)) }, "parameters[0].subjects[0].objectId", /must be a string/],
  ["objectId misspelt objectID", { parameters: parameters({ objectID: USER_ID, objectTypeName: "User" }) }, "parameters[0].subjects[0].objectID", /is not a known property: did you mean "objectId"\?/],
  ["objectTypeName misspelt objectTypename", { parameters: parameters({ objectId: USER_ID, objectTypename: "User" }) }, "parameters[0].subjects[0].objectTypename", /is not a known property: did you mean "objectTypeName"\?/],
  ["objectId missing", { parameters: parameters({ objectTypeName: "User" }) }, "parameters[0].subjects[0].objectId", /is required: a string/],
  // links
  ["links on a User", { parameters: parameters({ ...user(), links: { members: [user()] } }) }, "parameters[0].subjects[0].links", /only a Group subject may list linked members/],
  ["more members than a group may list", { parameters: parameters(group(manyUsers(50_001))) }, "parameters[0].subjects[0].links.members", /at most 50000 members \(use allMembers: true/],
  ["members and allMembers together", { parameters: parameters({ ...group(), links: { members: [user()], allMembers: true } }) }, "parameters[0].subjects[0].links.allMembers", /cannot be combined with members/],
  ["allMembers not a boolean", { parameters: parameters({ ...group(), links: { allMembers: "yes" } }) }, "parameters[0].subjects[0].links.allMembers", /must be true or false/],
  ["allMembers on a User", { parameters: parameters({ ...user(), links: { allMembers: true } }) }, "parameters[0].subjects[0].links", /only a Group subject may list linked members/],
  ["a member of type Group", { parameters: parameters(group([user(), group()])) }, "parameters[0].subjects[0].links.members[1].objectTypeName", /must be "User" or "user": only users can be linked group members/],
  ["a member User whose objectId is not a GUID", { parameters: parameters(group([user("bob")])) }, "parameters[0].subjects[0].links.members[0].objectId", /must be a GUID for a User/],
  ["a member with links of its own", { parameters: parameters(group([{ ...user(), links: { members: [] } }])) }, "parameters[0].subjects[0].links.members[0].links", /is not a known property/],
  ["links without members", { parameters: parameters({ ...group(), links: {} }) }, "parameters[0].subjects[0].links.members", /must be a list of subjects/],
  ["links a list instead of { members }", { parameters: parameters({ ...group(), links: [user()] }) }, "parameters[0].subjects[0].links", /must be an object \{ members: Subject\[\] \}/],
  // one group per request
  ["two Group subjects in one parameter", { parameters: parameters(group(), group(undefined, USER_ID)) }, "parameters", /at most one group per request, found 2 \(parameters\[0\]\.subjects\[0\], parameters\[0\]\.subjects\[1\]\)/],
  ["two Group subjects in two parameters", { parameters: [...parameters(group()), ...parameters(group(undefined, USER_ID))] }, "parameters", /at most one group per request.*parameters\[1\]\.subjects\[0\]/],
  // bounds
  ["a 1 MB synchronizationJobId", { synchronizationJobId: `dataBricks.${"a".repeat(1_000_000)}.b` }, "synchronizationJobId", /at most 256 characters/],
  ["a 1 MB ruleId", { parameters: [{ ruleId: "r".repeat(1_000_000), subjects: [user()] }] }, "parameters[0].ruleId", /at most 256 characters/],
  ["a ruleId with a NUL", { parameters: [{ ruleId: "rule\u0000id", subjects: [user()] }] }, "parameters[0].ruleId", /must not contain control characters/],
  ["a ruleId with CR/LF", { parameters: [{ ruleId: "rule\r\nX-Injected: 1", subjects: [user()] }] }, "parameters[0].ruleId", /must not contain control characters/],
  ["a 1 MB Worker objectId", { parameters: parameters({ objectId: "w".repeat(1_000_000), objectTypeName: "Worker" }) }, "parameters[0].subjects[0].objectId", /at most 1024 characters/],
  ["2,000 subjects in one parameter", { parameters: parameters(...manyUsers(2000)) }, "parameters[0].subjects", /at most 50 subjects/],
  ["11 parameters", { parameters: Array.from({ length: 11 }, () => parameters(user())[0]) }, "parameters", /at most 10 parameters/],
  ["a __proto__ trigger key", { triggers: JSON.parse('{"__proto__": "x"}') }, "triggers", /key "__proto__" is reserved/],
  ["a constructor memberTriggers key", { memberTriggers: { constructor: "x" } }, "memberTriggers", /key "constructor" is reserved/],
  ["101 triggers", { triggers: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, "v"])) }, "triggers", /at most 100 entries/],
  // triggers
  ["a trigger whose value is a number", { triggers: { members: "abc", count: 5 } }, "triggers.count", /must be a string \(triggers map strings to strings\)/],
  ["triggers a list", { triggers: ["abc"] }, "triggers", /must be a map of strings to strings/],
  ["triggers a string", { triggers: "abc" }, "triggers", /must be a map of strings to strings/],
  // the other options
  ["apiVersion \"v2\"", { apiVersion: "v2" }, "apiVersion", /must be "beta" or "v1.0"/],
  ["apiVersion \"V1.0\"", { apiVersion: "V1.0" }, "apiVersion", /must be "beta" or "v1.0"/],
  ["failOnProvisioningError \"yes\"", { failOnProvisioningError: "yes" }, "failOnProvisioningError", /must be true or false/],
  ["createTimeoutSeconds \"15m\"", { createTimeoutSeconds: "15m" }, "createTimeoutSeconds", /must be a number of seconds/],
  ["createTimeoutSeconds zero", { createTimeoutSeconds: 0 }, "createTimeoutSeconds", /must be greater than 0/],
];

describe("check rejects malformed input, naming the property and what is allowed", () => {
  it("accepts the input every malformed row starts from", () => {
    expect(checkInputs(validInputs()).failures).toEqual([]);
  });

  it.each(MALFORMED)("%s", (_description, override, property, reason) => {
    const { failures } = checkInputs(inputsWith(override));
    expect(failures).toContainEqual({ property, reason: expect.stringMatching(reason) });
  });

  it("reports every bad property of one input, not just the first", () => {
    const { failures } = checkInputs(
      inputsWith({
        apiVersion: "v2",
        parameters: parameters({ objectId: USER_ID, objectTypeName: "group" }),
      }),
    );
    expect(failures.map((f) => f.property).sort()).toEqual([
      "apiVersion",
      "parameters[0].subjects[0].objectTypeName",
    ]);
  });

  it("formats property paths with indexes in brackets", () => {
    expect(formatPath(["parameters", 0, "subjects", 1, "objectTypeName"])).toBe(
      "parameters[0].subjects[1].objectTypeName",
    );
    expect(formatPath([])).toBe("");
  });
});

describe("check normalises valid input", () => {
  it("turns paths into bare ids, lower-cases GUIDs and fills in the defaults", () => {
    const { inputs, failures } = checkInputs({
      servicePrincipalId: `/servicePrincipals/${SP_ID.toUpperCase()}`,
      synchronizationJobId: JOB_PATH(SP_ID.toUpperCase()),
      parameters: [
        {
          subjects: [
            {
              objectId: ` ${GROUP_ID.toUpperCase()} `,
              objectTypeName: "Group",
              links: { members: [user(USER_ID.toUpperCase())] },
            },
          ],
        },
      ],
      __provider: "serialised provider text",
    });
    expect(failures).toEqual([]);
    expect(inputs).toEqual({
      servicePrincipalId: SP_ID,
      synchronizationJobId: JOB_ID,
      parameters: [
        { subjects: [{ objectId: GROUP_ID, objectTypeName: "Group", links: { members: [user(USER_ID)] } }] },
      ],
      apiVersion: "beta",
      failOnProvisioningError: true,
      createTimeoutSeconds: 900,
      __provider: "serialised provider text",
    });
  });

  it("keeps what the program set explicitly", () => {
    const { inputs, failures } = checkInputs(
      inputsWith({
        apiVersion: "v1.0",
        failOnProvisioningError: false,
        createTimeoutSeconds: 60,
        triggers: { hash: "abc" },
      }),
    );
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({
      apiVersion: "v1.0",
      failOnProvisioningError: false,
      createTimeoutSeconds: 60,
      triggers: { hash: "abc" },
      parameters: [{ ruleId: RULE_ID, subjects: [user()] }],
    });
  });

  it("accepts a job path whose service principal equals servicePrincipalId in any letter case", () => {
    expect(checkInputs(inputsWith({ synchronizationJobId: JOB_PATH(SP_ID.toUpperCase()) })).failures).toEqual(
      [],
    );
  });

  it("accepts a Group with five members, and non-GUID ids for user (AD) and Worker subjects", () => {
    const five = Array.from({ length: 5 }, () => user());
    expect(checkInputs(inputsWith({ parameters: parameters(group(five)) })).failures).toEqual([]);
    const { inputs, failures } = checkInputs(
      inputsWith({
        parameters: parameters(
          { objectId: "CN=Alice,OU=Staff,DC=example,DC=com", objectTypeName: "user" },
          { objectId: "21001", objectTypeName: "Worker" },
        ),
      }),
    );
    expect(failures).toEqual([]);
    expect((inputs.parameters as { subjects: { objectId: string }[] }[])[0].subjects[0].objectId).toBe(
      "CN=Alice,OU=Staff,DC=example,DC=com",
    );
  });

  it("omits triggers when the program gave none, rather than storing undefined", () => {
    const { inputs } = checkInputs(validInputs());
    expect("triggers" in inputs).toBe(false);
  });
});

describe("check accepts values that are unknown during preview, without validating them", () => {
  // prettier-ignore
  const UNKNOWN_CASES: [string, Record<string, unknown>][] = [
    ["the whole parameters list", { parameters: UNKNOWN }],
    ["one parameter", { parameters: [UNKNOWN] }],
    ["one parameter's subjects", { parameters: [{ subjects: UNKNOWN }] }],
    ["one subject", { parameters: parameters(user(), UNKNOWN) }],
    ["one subject's objectId", { parameters: parameters(user(UNKNOWN)) }],
    ["one subject's objectTypeName (with a non-GUID objectId)", { parameters: parameters({ objectId: "x", objectTypeName: UNKNOWN }) }],
    ["a ruleId", { parameters: [{ ruleId: UNKNOWN, subjects: [user()] }] }],
    ["a group's links", { parameters: parameters({ ...group(), links: UNKNOWN }) }],
    ["a group's members", { parameters: parameters({ ...group(), links: { members: UNKNOWN } }) }],
    ["one member and one member's objectId", { parameters: parameters(group([UNKNOWN, user(UNKNOWN)])) }],
    ["servicePrincipalId (with a job path)", { servicePrincipalId: UNKNOWN, synchronizationJobId: JOB_PATH(SP_ID) }],
    ["synchronizationJobId", { synchronizationJobId: UNKNOWN }],
    ["triggers", { triggers: UNKNOWN }],
    ["one trigger value", { triggers: { members: UNKNOWN } }],
    ["apiVersion, failOnProvisioningError and createTimeoutSeconds", { apiVersion: UNKNOWN, failOnProvisioningError: UNKNOWN, createTimeoutSeconds: UNKNOWN }],
    ["every property", { servicePrincipalId: UNKNOWN, synchronizationJobId: UNKNOWN, parameters: UNKNOWN }],
  ];

  it.each(UNKNOWN_CASES)("unknown %s", (_description, override) => {
    const { inputs, failures } = checkInputs(inputsWith(override));
    expect(failures).toEqual([]);
    expect(JSON.stringify(inputs)).toContain(UNKNOWN);
  });

  it("passes an unknown value through unchanged", () => {
    const { inputs } = checkInputs(
      inputsWith({ servicePrincipalId: UNKNOWN, parameters: parameters(user(UNKNOWN)) }),
    );
    expect(inputs.servicePrincipalId).toBe(UNKNOWN);
    expect(inputs.parameters).toEqual([{ ruleId: RULE_ID, subjects: [user(UNKNOWN)] }]);
  });

  it("still rejects a known bad value next to an unknown one", () => {
    const { failures } = checkInputs(inputsWith({ servicePrincipalId: UNKNOWN, apiVersion: "v2" }));
    expect(failures).toEqual([{ property: "apiVersion", reason: 'must be "beta" or "v1.0"' }]);
  });
});

describe("check makes no HTTP call", () => {
  afterEach(() => jest.restoreAllMocks());

  it("validates every malformed, valid and unknown input through the provider without touching the network", async () => {
    const spies = [
      jest.spyOn(globalThis, "fetch"),
      jest.spyOn(https, "request"),
      jest.spyOn(https, "get"),
      jest.spyOn(http, "request"),
      jest.spyOn(net.Socket.prototype, "connect"),
    ];
    const rejected = [];
    for (const [, override] of MALFORMED) {
      rejected.push(await provider.check({}, inputsWith(override)));
    }
    const accepted = await provider.check({}, validInputs());
    const unknown = await provider.check({}, inputsWith({ parameters: UNKNOWN }));
    // Work that check started without awaiting it (a fire-and-forget schema fetch, say) would reach
    // the network after check returned: give it that chance before counting.
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(rejected.every((r) => (r.failures ?? []).length > 0)).toBe(true);
    expect(accepted.failures).toBeUndefined();
    expect(unknown.failures).toBeUndefined();
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });
});

describe("a misspelt key is reported once, with its right spelling", () => {
  it("objectTypename inside a subject: one failure naming objectTypeName, no 'is required' beside it", () => {
    const { failures } = checkInputs(
      inputsWith({ parameters: parameters({ objectId: USER_ID, objectTypename: "User" }) }),
    );
    expect(failures).toEqual([
      {
        property: "parameters[0].subjects[0].objectTypename",
        reason: 'is not a known property: did you mean "objectTypeName"?',
      },
    ]);
  });

  it("a key unlike any known one keeps the plain message", () => {
    const { failures } = checkInputs(inputsWith({ somethingElse: "x" }));
    expect(failures).toEqual([
      { property: "somethingElse", reason: "is not a known property (check its spelling)" },
    ]);
  });
});
