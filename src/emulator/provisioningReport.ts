/**
 * The provisioning report Graph returns per object, how one is recorded step by step, and the 200
 * answer in either shape (live: a type-name key and an array of reports; docs: a result key and one
 * report). The semantics that decide each step live in provisioning.ts.
 */
import { randomUUID } from "node:crypto";
import type { ResponseShape } from "./core";
import type { SynchronizationRule } from "./fixture";

/** The `key` of live-shape answers. */
export const LIVE_SHAPE_KEY = "Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo";

/** One provisioning report, as Graph serialises it. */
export interface ProvisioningReport {
  /** What was done in the target: `Create`, `Update`, or `Other` when nothing was exported. */
  action: string;
  /** A fresh id for this provisioning event. */
  changeId: string;
  /** When processing of the subject started, ISO 8601. */
  startTime: string;
  /** When it ended, ISO 8601. */
  endTime: string;
  /** The subject's user principal name or display name (its id when unknown). */
  reportableIdentifier: string;
  /** The outcome, with an error code and reason when skipped or failed. */
  statusInfo: {
    status: "Success" | "Skipped" | "Warning" | "Failure";
    errorCode: string | null;
    reason: string | null;
    additionalDetails: string | null;
    errorCategory: string | null;
    recommendedAction: string | null;
  };
  /** The subject in the source directory. */
  sourceIdentity: Identity;
  /** The source directory (the rule's `sourceDirectoryName`). */
  sourceSystem: { id: null; name: string; details: null };
  /** The object in the target system (its `id` once exported). */
  targetIdentity: Identity;
  /** The target system (the rule's `targetDirectoryName`). */
  targetSystem: { id: null; name: string; details: null };
  /** The attributes exported, with their previous values. */
  modifiedProperties: { displayName: string; oldValue: string | null; newValue: string | null }[];
  /** The steps taken, in order: Import, Scoping, Matching, Action, Export (fewer when stopped early). */
  provisioningSteps: {
    name: string;
    type: "Import" | "Scoping" | "Matching" | "Action" | "Export";
    status: "Success" | "Skipped" | "Warning" | "Failure";
    description: string;
    timestamp: string;
    details: Record<string, string>;
  }[];
}

/** An object on either side of a report. */
export interface Identity {
  /** Its id, or null when it has none (yet). */
  id: string | null;
  /** Its type, e.g. `User`. */
  type: string;
  /** The same type, under the name Graph's provisioning logs use. */
  identityType: string;
  /** Its display name, when known. */
  displayName: string | null;
  /** Extra attributes (none). */
  details: Record<string, string>;
}

/** One step of a report. */
export type Step = ProvisioningReport["provisioningSteps"][number];
/** A report's or a step's status. */
export type Status = ProvisioningReport["statusInfo"]["status"];

const SEVERITY: Record<Status, number> = { Success: 0, Skipped: 1, Warning: 2, Failure: 3 };

/**
 * Records the steps of one object's provisioning and closes them into its report. A report starts
 * as the subject was given (its id, no target identity) and takes what was learnt as `extra`.
 */
export class ReportRecorder {
  private readonly steps: Step[] = [];
  private readonly startTime: string;

  /**
   * @param subjectId the object id the request gave
   * @param typeName `User` or `Group`
   * @param rule the synchronization rule (names the source and target systems)
   * @param now when processing started (ms since epoch)
   */
  constructor(
    private readonly subjectId: string,
    private readonly typeName: string,
    private readonly rule: SynchronizationRule,
    now: number,
  ) {
    this.startTime = new Date(now).toISOString();
  }

  /** Appends a step. */
  step(
    type: Step["type"],
    name: string,
    status: Status,
    description: string,
    details: Record<string, string> = {},
  ): void {
    this.steps.push({ name, type, status, description, timestamp: new Date().toISOString(), details });
  }

  /** Appends the successful Import step of an object found in the source directory. */
  imported(label: string, attributes: Record<string, string>): void {
    this.step(
      "Import",
      "EntryImport",
      "Success",
      `Retrieved ${this.typeName} '${label}' from ${this.rule.sourceDirectoryName}`,
      attributes,
    );
  }

  /** The report with the steps so far; `error` is `[errorCode, reason]` for a skip or failure. */
  finish(
    status: Status,
    action: string,
    extra: Partial<ProvisioningReport> = {},
    error?: readonly [string, string],
  ): ProvisioningReport {
    return {
      action,
      changeId: randomUUID(),
      startTime: this.startTime,
      endTime: new Date().toISOString(),
      reportableIdentifier: this.subjectId,
      statusInfo: {
        status,
        errorCode: error?.[0] ?? null,
        reason: error?.[1] ?? null,
        additionalDetails: null,
        errorCategory: status === "Failure" ? "NonServiceFailure" : null,
        recommendedAction: null,
      },
      sourceIdentity: identity(this.subjectId, this.typeName, null),
      sourceSystem: { id: null, name: this.rule.sourceDirectoryName, details: null },
      targetIdentity: identity(null, this.typeName, null),
      targetSystem: { id: null, name: this.rule.targetDirectoryName, details: null },
      modifiedProperties: [],
      provisioningSteps: this.steps,
      ...extra,
    };
  }
}

/** An identity on either side of a report. */
export function identity(id: string | null, type: string, displayName: string | null): Identity {
  return { id, type, identityType: type, displayName, details: {} };
}

/** The worst status of all reports: Failure > Warning > Skipped > Success. */
export function worstReport(reports: ProvisioningReport[]): ProvisioningReport | undefined {
  return reports.reduce<ProvisioningReport | undefined>(
    (worst, r) => (!worst || SEVERITY[r.statusInfo.status] > SEVERITY[worst.statusInfo.status] ? r : worst),
    undefined,
  );
}

/**
 * The 200 answer. Live shape: `key` is the .NET type name and `value` the JSON array of every report.
 * Docs shape: `key` is `{"result","details":{"errorCode","errorMessage"}}` for the worst report and
 * `value` is one report — the first one with the worst status.
 */
export function provisioningAnswer(
  reports: ProvisioningReport[],
  shape: ResponseShape,
  contextUrl: string,
): Record<string, string> {
  const context = `${contextUrl}/$metadata#microsoft.graph.stringKeyStringValuePair`;
  if (shape === "live")
    return { "@odata.context": context, key: LIVE_SHAPE_KEY, value: JSON.stringify(reports) };
  const worst = worstReport(reports);
  const details = worst?.statusInfo.errorCode
    ? { errorCode: worst.statusInfo.errorCode, errorMessage: worst.statusInfo.reason ?? "" }
    : {};
  return {
    "@odata.context": context,
    key: JSON.stringify({ result: worst?.statusInfo.status ?? "Success", details }),
    value: JSON.stringify(worst ?? {}),
  };
}
