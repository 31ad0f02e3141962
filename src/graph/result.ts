/**
 * Reads a provisionOnDemand answer (a `stringKeyStringValuePair`) into the outcome users act on.
 * Two shapes exist: the documented one (`key` = JSON summary, `value` = one report) and the one
 * live tenants send (`key` = a .NET type name, `value` = an array of reports). The outcome is decided
 * from the reports' statuses, never from the HTTP code.
 */
import { UnreadableResponseError } from "./errors";
import {
  PROVISIONING_STATUSES,
  type ProvisioningReportOutcome,
  type ProvisioningResult,
  type ProvisioningStatus,
  type ProvisioningStep,
} from "./model";

/** Worst first: the order used to pick the overall result. */
const SEVERITY = PROVISIONING_STATUSES;

/** One provisioning report as Graph sends it (only the fields we read). */
interface Report {
  sourceIdentity?: { id?: string };
  statusInfo?: {
    status?: string;
    errorCode?: string;
    reason?: string;
    errorInformation?: { errorCode?: string; reason?: string };
  };
  provisioningSteps?: {
    name?: string;
    type?: string;
    status?: string;
    description?: string;
    details?: unknown;
  }[];
}

function parseJson(text: unknown): unknown {
  if (typeof text !== "string") return text;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `"success"` → `Success`; anything unknown → `undefined`. */
function toStatus(value: unknown): ProvisioningStatus | undefined {
  if (typeof value !== "string") return undefined;
  return SEVERITY.find((s) => s.toLowerCase() === value.toLowerCase());
}

/** The worst of `statuses` (`Success` when none is known). */
export function worst(statuses: readonly (ProvisioningStatus | undefined)[]): ProvisioningStatus {
  return SEVERITY.find((s) => statuses.includes(s)) ?? "Success";
}

function reportStatus(report: Report): ProvisioningStatus {
  return worst([
    toStatus(report.statusInfo?.status),
    ...(report.provisioningSteps ?? []).map((s) => toStatus(s.status)),
  ]);
}

/** The error code and message a report carries: its status info first, then its worst step. */
function reportError(report: Report, status: ProvisioningStatus): { code?: string; message?: string } {
  const info = report.statusInfo ?? {};
  const step = (report.provisioningSteps ?? []).find((s) => toStatus(s.status) === status);
  return {
    code: info.errorCode ?? info.errorInformation?.errorCode,
    message: info.reason ?? info.errorInformation?.reason ?? step?.description,
  };
}

function toSteps(report: Report): ProvisioningStep[] {
  return (report.provisioningSteps ?? []).map((s) => ({
    name: String(s.name ?? ""),
    type: String(s.type ?? ""),
    status: String(s.status ?? ""),
    description: String(s.description ?? ""),
  }));
}

/** One report's outcome: its object, worst status, error and steps. */
function toOutcome(report: Report): ProvisioningReportOutcome {
  const result = reportStatus(report);
  const objectId = typeof report.sourceIdentity?.id === "string" ? report.sourceIdentity.id : undefined;
  const error = result === "Success" ? {} : reportError(report, result);
  return {
    ...(objectId ? { objectId } : {}),
    result,
    ...(error.code ? { errorCode: error.code } : {}),
    ...(error.message ? { errorMessage: error.message } : {}),
    steps: toSteps(report),
  };
}

/** The ids of the HTTP answer being read, carried by the error when it cannot be read. */
interface AnswerIds {
  readonly requestId?: string;
  readonly clientRequestId?: string;
}

/** At most this many characters of an unreadable body are quoted in the error (a proxy's HTML page is long). */
const QUOTED_BODY_CHARS = 300;

/** A short quote of `body` for an error message: JSON for data, the text itself for a string. */
function quote(body: unknown): string {
  let text: string;
  try {
    text = typeof body === "string" ? body : (JSON.stringify(body) ?? String(body));
  } catch {
    text = String(body);
  }
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > QUOTED_BODY_CHARS ? `${flat.slice(0, QUOTED_BODY_CHARS)}…` : flat;
}

/**
 * Parses either answer shape into `result`, `errorCode`, `errorMessage`, `steps` and one outcome per
 * report. Throws UnreadableResponseError, carrying the answer's ids, when the body holds no report.
 * @param requestId the answer's `request-id` header.
 * @param clientRequestId the `client-request-id` the request was sent with.
 */
export function parseProvisioningResponse(
  body: unknown,
  requestId?: string,
  clientRequestId?: string,
): ProvisioningResult {
  const ids: AnswerIds = {
    ...(requestId ? { requestId } : {}),
    ...(clientRequestId ? { clientRequestId } : {}),
  };
  const pair =
    body !== null && typeof body === "object" ? (body as { key?: unknown; value?: unknown }) : undefined;
  const value = parseJson(pair?.value);
  if (!pair || value === undefined || value === null || typeof value !== "object") {
    throw new UnreadableResponseError(
      `provisionOnDemand answered 200 with a body that is not a stringKeyStringValuePair of reports: ${quote(body)}`,
      ids,
    );
  }
  const reports = (Array.isArray(value) ? value : [value]) as Report[];
  if (reports.length === 0) {
    // No report means no status to decide from: claiming Success would be a guess.
    throw new UnreadableResponseError("provisionOnDemand answered 200 without any provisioning report", ids);
  }
  const summary = parseJson(pair.key) as
    { result?: string; details?: { errorCode?: string; errorMessage?: string } } | undefined;
  const summaryStatus = typeof summary === "object" && summary ? toStatus(summary.result) : undefined;

  const outcomes = reports.map(toOutcome);
  const result = worst([...outcomes.map((o) => o.result), summaryStatus]);
  const steps = outcomes.flatMap((o) => o.steps);
  if (result === "Success") return { result, steps, reports: outcomes };

  const culprit = outcomes.find((o) => o.result === result);
  const errorCode = summary?.details?.errorCode ?? culprit?.errorCode;
  const errorMessage = summary?.details?.errorMessage ?? culprit?.errorMessage;
  return {
    result,
    ...(errorCode ? { errorCode } : {}),
    ...(errorMessage ? { errorMessage } : {}),
    steps,
    reports: outcomes,
  };
}
