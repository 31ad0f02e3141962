/**
 * Reading a provisionOnDemand answer: both shapes Graph sends, the outcome decided from the reports'
 * statuses (never from the HTTP code), and outputs the engine can store.
 */
import { UnreadableResponseError } from "../../src/graph/errors";
import { parseProvisioningResponse } from "../../src/graph/result";
import { GROUP_ID, USER_ID, USER_ID_2 } from "../support/ids";

const LIVE_KEY = "Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo";

interface StepSpec {
  name: string;
  type: string;
  status: string;
  description: string;
}

const step = (name: string, type: string, status: string, description = `${name} ${status}`): StepSpec => ({
  name,
  type,
  status,
  description,
});

/** The five steps of a successful export of one object. */
function successfulSteps(objectId: string): StepSpec[] {
  return [
    step("EntryImport", "Import", "success", `Retrieved ${objectId} from Azure Active Directory`),
    step("EntrySynchronizationScoping", "Scoping", "success", `Determined ${objectId} is in scope`),
    step("EntryExportUpdate", "Matching", "success", `Matched ${objectId} in Databricks`),
    step("EntrySynchronizationAdd", "Action", "success", `Will add ${objectId}`),
    step("EntryExportAdd", "Export", "success", `Added ${objectId} to Databricks`),
  ];
}

/** One report, with the fields Graph sends. */
function report(
  objectId: string,
  statusInfo: Record<string, unknown>,
  provisioningSteps: StepSpec[] = successfulSteps(objectId),
): Record<string, unknown> {
  return {
    action: "Create",
    changeId: `change-${objectId}`,
    startTime: "2024-05-01T10:00:00Z",
    endTime: "2024-05-01T10:00:03Z",
    cycleId: "cycle-1",
    statusInfo: { "@odata.type": "#microsoft.graph.statusDetails", ...statusInfo },
    sourceIdentity: { id: objectId, identityType: "User", details: {} },
    targetIdentity: { id: "", identityType: "User", details: {} },
    modifiedProperties: [{ displayName: "userName", oldValue: null, newValue: "alice@example.com" }],
    provisioningSteps: provisioningSteps.map((s) => ({
      ...s,
      timestamp: "2024-05-01T10:00:01Z",
      details: {},
    })),
  };
}

/** The live shape: key = a .NET type name, value = a JSON array of reports. */
const liveShape = (...reports: unknown[]) => ({
  "@odata.context": "https://graph.microsoft.com/beta/$metadata#microsoft.graph.stringKeyStringValuePair",
  key: LIVE_KEY,
  value: JSON.stringify(reports),
});

/** The documented shape: key = a JSON summary, value = one report as JSON. */
const docsShape = (summary: unknown, oneReport: unknown) => ({
  key: JSON.stringify(summary),
  value: JSON.stringify(oneReport),
});

/** The outcome without its per-report list (asserted on its own below). */
function summary(body: unknown) {
  const { reports: _, ...rest } = parseProvisioningResponse(body);
  return rest;
}

describe("a successful provisioning reads as Success, in either shape", () => {
  it("the live shape with one user", () => {
    const outcome = summary(liveShape(report(USER_ID, { status: "success" })));
    expect(outcome).toEqual({
      result: "Success",
      steps: successfulSteps(USER_ID),
    });
  });

  it("the documented shape with one user", () => {
    const outcome = summary(
      docsShape({ result: "Success", details: {} }, report(USER_ID, { status: "success" })),
    );
    expect(outcome).toEqual({ result: "Success", steps: successfulSteps(USER_ID) });
  });

  it("a value that Graph already parsed into an object is read the same way", () => {
    const outcome = parseProvisioningResponse({
      key: LIVE_KEY,
      value: [report(USER_ID, { status: "Success" })],
    });
    expect(outcome.result).toBe("Success");
    expect(outcome.steps).toHaveLength(5);
  });
});

describe("the overall result is the worst of all reports", () => {
  it("a group with members where one member fails is a Failure, with that member's code and message", () => {
    const body = liveShape(
      report(GROUP_ID, { status: "success" }),
      report(USER_ID, { status: "success" }),
      report(
        USER_ID_2,
        {
          status: "failure",
          errorCode: "SystemForCrossDomainIdentityManagementBadRequest",
          reason: "The SCIM endpoint answered 400: userName is not unique",
        },
        [
          step("EntryImport", "Import", "success"),
          step("EntryExportAdd", "Export", "failure", "Failed to add the user to Databricks"),
        ],
      ),
    );
    expect(summary(body)).toEqual({
      result: "Failure",
      errorCode: "SystemForCrossDomainIdentityManagementBadRequest",
      errorMessage: "The SCIM endpoint answered 400: userName is not unique",
      steps: [
        ...successfulSteps(GROUP_ID),
        ...successfulSteps(USER_ID),
        step("EntryImport", "Import", "success"),
        step("EntryExportAdd", "Export", "failure", "Failed to add the user to Databricks"),
      ],
    });
  });

  it("gives one outcome per report, naming each object, so a failing member can be told apart", () => {
    const body = liveShape(
      report(GROUP_ID, { status: "success" }),
      report(USER_ID, { status: "success" }),
      report(USER_ID_2, { status: "failure", errorCode: "SchemaInvalid", reason: "userName is missing" }, []),
    );
    expect(parseProvisioningResponse(body).reports.map(({ steps: _, ...r }) => r)).toEqual([
      { objectId: GROUP_ID, result: "Success" },
      { objectId: USER_ID, result: "Success" },
      {
        objectId: USER_ID_2,
        result: "Failure",
        errorCode: "SchemaInvalid",
        errorMessage: "userName is missing",
      },
    ]);
  });

  it("a subject out of scope in the documented shape is Skipped with RedundantExport", () => {
    const message = "The user is already present in the target system and no changes were detected";
    const body = docsShape(
      { result: "Skipped", details: { errorCode: "RedundantExport", errorMessage: message } },
      report(USER_ID, { status: "skipped" }, [
        step("EntryImport", "Import", "success"),
        step("EntryExportUpdate", "Export", "skipped", message),
      ]),
    );
    expect(summary(body)).toEqual({
      result: "Skipped",
      errorCode: "RedundantExport",
      errorMessage: message,
      steps: [
        step("EntryImport", "Import", "success"),
        step("EntryExportUpdate", "Export", "skipped", message),
      ],
    });
  });

  it("a warning in one step makes the whole outcome a Warning, with that step's description", () => {
    const body = liveShape(
      report(USER_ID, { status: "success" }, [
        step("EntryImport", "Import", "success"),
        step("EntryExportUpdate", "Export", "warning", "The manager attribute could not be resolved"),
      ]),
    );
    expect(summary(body)).toEqual({
      result: "Warning",
      errorMessage: "The manager attribute could not be resolved",
      steps: [
        step("EntryImport", "Import", "success"),
        step("EntryExportUpdate", "Export", "warning", "The manager attribute could not be resolved"),
      ],
    });
  });

  it("Failure outranks Warning, Warning outranks Skipped, Skipped outranks Success", () => {
    const withStatuses = (...statuses: string[]) =>
      parseProvisioningResponse(liveShape(...statuses.map((s) => report(USER_ID, { status: s }, [])))).result;
    expect(withStatuses("success", "skipped", "warning", "failure")).toBe("Failure");
    expect(withStatuses("success", "skipped", "warning")).toBe("Warning");
    expect(withStatuses("success", "skipped")).toBe("Skipped");
    expect(withStatuses("success", "success")).toBe("Success");
  });

  it("statuses are read in any letter case", () => {
    for (const status of ["FAILURE", "Failure", "failure", "fAiLuRe"]) {
      expect(parseProvisioningResponse(liveShape(report(USER_ID, { status }, []))).result).toBe("Failure");
    }
    expect(
      parseProvisioningResponse(docsShape({ result: "SKIPPED" }, report(USER_ID, { status: "SUCCESS" }, [])))
        .result,
    ).toBe("Skipped");
  });

  it("an answer of HTTP 200 that reports Failure is a Failure (the HTTP code decides nothing)", () => {
    const body = liveShape(
      report(USER_ID, {
        status: "failure",
        errorInformation: { errorCode: "InvalidDomain", reason: "bad UPN" },
      }),
    );
    expect(parseProvisioningResponse(body)).toMatchObject({
      result: "Failure",
      errorCode: "InvalidDomain",
      errorMessage: "bad UPN",
    });
  });
});

describe("steps are every report's steps, flattened in order", () => {
  it("keeps report order, then step order, with name, type, status and description only", () => {
    const body = liveShape(
      report(GROUP_ID, { status: "success" }, [
        step("A", "Import", "success"),
        step("B", "Scoping", "success"),
      ]),
      report(USER_ID, { status: "success" }, [
        step("C", "Matching", "success"),
        step("D", "Export", "success"),
      ]),
    );
    const { steps } = parseProvisioningResponse(body);
    expect(steps.map((s) => s.name)).toEqual(["A", "B", "C", "D"]);
    expect(steps[0]).toEqual({ name: "A", type: "Import", status: "success", description: "A success" });
  });

  it("a report without steps contributes none", () => {
    const body = liveShape({ statusInfo: { status: "success" } }, report(USER_ID, { status: "success" }));
    expect(parseProvisioningResponse(body).steps).toEqual(successfulSteps(USER_ID));
  });
});

describe("outputs are plain data the engine can store", () => {
  it.each<[string, unknown]>([
    ["a Success", liveShape(report(USER_ID, { status: "success" }))],
    ["a Failure with neither code nor message", liveShape(report(USER_ID, { status: "failure" }, []))],
    [
      "a Skipped summary without details",
      docsShape({ result: "Skipped" }, report(USER_ID, { status: "skipped" }, [])),
    ],
    ["steps with missing fields", liveShape({ statusInfo: { status: "warning" }, provisioningSteps: [{}] })],
  ])("%s holds no undefined value (survives a JSON round trip unchanged)", (_what, body) => {
    const outcome = parseProvisioningResponse(body);
    expect(JSON.parse(JSON.stringify(outcome))).toStrictEqual(outcome);
  });
});

describe("an answer that is not a stringKeyStringValuePair of reports is an error, not a silent Success", () => {
  it.each<[string, unknown]>([
    ["no body", undefined],
    ["null", null],
    ["an empty object", {}],
    ["a value that is not JSON", { key: LIVE_KEY, value: "<html>gateway timeout</html>" }],
    ["a value that is a JSON number", { key: LIVE_KEY, value: "42" }],
    ["a value that is JSON null", { key: LIVE_KEY, value: "null" }],
    ["an HTML page", "<html>Service Unavailable</html>"],
  ])("%s throws UnreadableResponseError", (_what, body) => {
    expect(() => parseProvisioningResponse(body)).toThrow(UnreadableResponseError);
    expect(() => parseProvisioningResponse(body)).toThrow(/not a stringKeyStringValuePair of reports/);
  });

  it("an empty list of reports is an error: there is no status to decide from", () => {
    expect(() => parseProvisioningResponse({ key: LIVE_KEY, value: "[]" })).toThrow(
      /without any provisioning report/,
    );
  });
});
