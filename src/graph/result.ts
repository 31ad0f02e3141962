/**
 * Reads a provisionOnDemand answer (a `stringKeyStringValuePair`) into the outcome users act on.
 * Two shapes exist: the documented one (`key` = JSON summary, `value` = one report) and the one
 * live tenants send (`key` = a .NET type name, `value` = an array of reports). The outcome is decided
 * from the reports' statuses, never from the HTTP code.
 */
import type { ProvisioningResult, ProvisioningStatus, ProvisioningStep } from "../types";

/** Worst first: the order used to pick the overall result. */
const SEVERITY: readonly ProvisioningStatus[] = ["Failure", "Warning", "Skipped", "Success"];

/** One provisioning report as Graph sends it (only the fields we read). */
interface Report {
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

function worst(statuses: (ProvisioningStatus | undefined)[]): ProvisioningStatus {
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

/** Thrown when the answer is not a stringKeyStringValuePair we can read. */
export class UnreadableResponseError extends Error {
  override readonly name = "UnreadableResponseError";
}

/** Parses either answer shape into `result`, `errorCode`, `errorMessage` and `steps`. */
export function parseProvisioningResponse(body: unknown): ProvisioningResult {
  const pair = body as { key?: unknown; value?: unknown } | undefined;
  const value = parseJson(pair?.value);
  if (!pair || value === undefined || value === null || typeof value !== "object") {
    throw new UnreadableResponseError(
      `provisionOnDemand answered 200 with a body that is not a stringKeyStringValuePair of reports: ${JSON.stringify(body)?.slice(0, 300)}`,
    );
  }
  const reports = (Array.isArray(value) ? value : [value]) as Report[];
  if (reports.length === 0) {
    // No report means no status to decide from: claiming Success would be a guess.
    throw new UnreadableResponseError("provisionOnDemand answered 200 without any provisioning report");
  }
  const summary = parseJson(pair.key) as
    { result?: string; details?: { errorCode?: string; errorMessage?: string } } | undefined;
  const summaryStatus = typeof summary === "object" && summary ? toStatus(summary.result) : undefined;

  const statuses = reports.map(reportStatus);
  const result = worst([...statuses, summaryStatus]);
  const steps: ProvisioningStep[] = reports.flatMap((r) =>
    (r.provisioningSteps ?? []).map((s) => ({
      name: String(s.name ?? ""),
      type: String(s.type ?? ""),
      status: String(s.status ?? ""),
      description: String(s.description ?? ""),
    })),
  );
  if (result === "Success") return { result, steps };

  const culprit = reports[statuses.indexOf(result)];
  const fromReport = culprit ? reportError(culprit, result) : {};
  const errorCode = summary?.details?.errorCode ?? fromReport.code;
  const errorMessage = summary?.details?.errorMessage ?? fromReport.message;
  return {
    result,
    ...(errorCode ? { errorCode } : {}),
    ...(errorMessage ? { errorMessage } : {}),
    steps,
  };
}
