/**
 * Many answers, one outcome: `result` is the worst report of all requests, `steps` stays bounded,
 * and a group's members get compact counts plus the first few that did not succeed.
 *
 * The steps policy: by default (`recordSteps` absent or `"problems"`) only the steps of reports that
 * did not succeed are recorded, at most MAX_STEPS; `stepsOmitted` counts the others. The steps of a
 * successful export say nothing the `result` does not, yet they were the largest part of a
 * resource's state (~0.7 KB of ~2.9 KB besides the provider text, docs/BENCHMARKS.md P4), and the
 * engine rewrites the whole state after every operation. `recordSteps: "all"` records every step,
 * successful ones included, at most MAX_ALL_STEPS.
 */
import type { ProvisioningResult, ProvisioningStatus, ProvisioningStep } from "../graph/model";
import { worst } from "../graph/result";
import type { MemberOutcome, MemberProblem, RecordSteps } from "./state";

/** What `recordSteps` means when a program does not give it. */
export const DEFAULT_RECORD_STEPS: RecordSteps = "problems";

/** Most steps recorded by default (those of reports that did not succeed). */
export const MAX_STEPS = 50;
/** Most steps recorded with `recordSteps: "all"`. */
export const MAX_ALL_STEPS = 1000;
/** Most members listed in `members.problems`. */
export const MAX_PROBLEMS = 20;

/** The members one run sent, and what it knows about the group. */
export interface MemberRun {
  /** The group's object id. */
  readonly groupId: string;
  /** Listed by the program, or read from Graph. */
  readonly source: "listed" | "all";
  /** How many members the group has now. */
  readonly total: number;
  /** The members sent, lower-cased ids. */
  readonly sent: readonly string[];
  /** Those of `sent` that left the group: their reports neither fail the run nor count in `result`. */
  readonly removed: ReadonlySet<string>;
  /** With `source: "all"`: every member provisioned so far, this run included. */
  readonly memberIds?: string[];
}

/** The outcome fields of the outputs. */
export interface RunOutcome {
  readonly result: ProvisioningStatus;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly steps: ProvisioningStep[];
  readonly stepsOmitted: number;
  readonly members?: MemberOutcome;
  /** The members that failed, for the error message (not an output). */
  readonly failedMembers: MemberProblem[];
}

const RANK: Record<ProvisioningStatus, number> = { Failure: 0, Warning: 1, Skipped: 2, Success: 3 };

/** Failures first, then warnings, then skips; in sent order within each. */
function worstFirst(problems: MemberProblem[]): MemberProblem[] {
  return problems
    .map((p, i) => [p, i] as const)
    .sort(([a, i], [b, j]) => RANK[a.result] - RANK[b.result] || i - j)
    .map(([p]) => p);
}

/** Sorts a member's reports into succeeded / skipped / failed and keeps the first problems. */
function memberOutcome(answers: readonly ProvisioningResult[], run: MemberRun, requests: number) {
  const sent = new Set(run.sent);
  const byMember = new Map<string, ProvisioningStatus>();
  const codes = new Map<string, string | undefined>();
  for (const report of answers.flatMap((a) => a.reports)) {
    const id = report.objectId?.toLowerCase();
    if (!id || !sent.has(id)) continue;
    byMember.set(id, worst([byMember.get(id), report.result]));
    if (report.result !== "Success") codes.set(id, report.errorCode);
  }
  const problems: MemberProblem[] = [];
  const failed: MemberProblem[] = [];
  let succeeded = 0;
  let skipped = 0;
  let failedCount = 0;
  for (const id of run.sent) {
    const result = byMember.get(id) ?? "Success";
    if (result === "Success") succeeded++;
    else if (result === "Skipped" || run.removed.has(id)) skipped++;
    else failedCount++;
    if (result === "Success") continue;
    const problem = { objectId: id, result, ...(codes.get(id) ? { errorCode: codes.get(id) } : {}) };
    problems.push(problem);
    if (result === "Failure" && !run.removed.has(id)) failed.push(problem);
  }
  const outcome: MemberOutcome = {
    groupId: run.groupId,
    source: run.source,
    total: run.total,
    sent: run.sent.length,
    removed: run.removed.size,
    requests,
    succeeded,
    skipped,
    failed: failedCount,
    problems: worstFirst(problems).slice(0, MAX_PROBLEMS),
    problemsOmitted: Math.max(0, problems.length - MAX_PROBLEMS),
    ...(run.memberIds ? { memberIds: run.memberIds } : {}),
  };
  return { outcome, failed };
}

/**
 * Combines the answers of one run. Steps, as `recordSteps` says (the module comment): by default
 * those of reports that did not succeed, at most MAX_STEPS; with `"all"` every step as Graph answered,
 * at most MAX_ALL_STEPS.
 */
export function combineAnswers(
  answers: readonly ProvisioningResult[],
  run?: MemberRun,
  recordSteps: RecordSteps = DEFAULT_RECORD_STEPS,
): RunOutcome {
  const removed = run?.removed ?? new Set<string>();
  const counted = answers
    .flatMap((a) => a.reports)
    .filter((r) => !removed.has(r.objectId?.toLowerCase() ?? ""));
  const result = worst(counted.map((r) => r.result));
  const allSteps = answers.flatMap((a) => a.steps);
  const steps =
    recordSteps === "all"
      ? allSteps.slice(0, MAX_ALL_STEPS)
      : counted
          .filter((r) => r.result !== "Success")
          .flatMap((r) => r.steps)
          .slice(0, MAX_STEPS);
  const culprit = answers.find((a) => a.result === result) ?? answers[0];
  const error =
    result === "Success" || !culprit
      ? {}
      : {
          ...(culprit.errorCode ? { errorCode: culprit.errorCode } : {}),
          ...(culprit.errorMessage ? { errorMessage: culprit.errorMessage } : {}),
        };
  const members = run ? memberOutcome(answers, run, answers.length) : undefined;
  return {
    result,
    ...error,
    steps,
    stepsOmitted: allSteps.length - steps.length,
    ...(members ? { members: members.outcome } : {}),
    failedMembers: members?.failed ?? [],
  };
}
