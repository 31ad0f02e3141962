/**
 * Turning what a resource provisions into provisionOnDemand requests. Graph takes one group and at
 * most 5 of its members per request, so a group of any size becomes a series of requests: the first
 * carries every subject of the resource (and the group's first members), each further one the group
 * again with its next members, under the group's rule. Every member goes exactly once.
 */
import type { RateLimit } from "../duration";
import { formatDuration, formatRateLimit } from "../duration";
import type { ProvisionParameter, Subject } from "../graph/model";
import { GRAPH_MEMBERS_PER_REQUEST } from "./limits";
import type { ParameterState, ResolvedProvisionParameter, SubjectState } from "./state";

/** Where the resource's group sits in its parameters. */
export interface GroupRef {
  /** Index into `parameters`. */
  readonly parameterIndex: number;
  /** Index into that parameter's `subjects`. */
  readonly subjectIndex: number;
  /** The group subject itself. */
  readonly subject: SubjectState;
}

/** The resource's one group subject (check allows at most one), if it has one. */
export function findGroup(parameters: readonly ParameterState[]): GroupRef | undefined {
  for (const [parameterIndex, p] of parameters.entries()) {
    const subjectIndex = p.subjects.findIndex((s) => s.objectTypeName === "Group");
    if (subjectIndex >= 0) return { parameterIndex, subjectIndex, subject: p.subjects[subjectIndex] };
  }
  return undefined;
}

/** The members a group subject lists (none for `allMembers`, which are read from Graph instead). */
export function listedMembers(subject: SubjectState): Subject[] {
  return subject.links && "members" in subject.links ? subject.links.members : [];
}

/** `items` in runs of `size`. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The group as Graph takes it: alone, or with the given members. */
function groupWith(group: SubjectState, members: Subject[]): Subject {
  const bare = { objectId: group.objectId, objectTypeName: group.objectTypeName };
  return members.length > 0 ? { ...bare, links: { members } } : bare;
}

/**
 * Every request of a full provisioning. `members` are the group's members to send (listed or read);
 * without a group, one request of all subjects.
 */
export function planRequests(
  parameters: readonly ResolvedProvisionParameter[],
  members: readonly Subject[],
): ProvisionParameter[][] {
  const group = findGroup(parameters);
  const runs = chunks(members, GRAPH_MEMBERS_PER_REQUEST);
  const first = parameters.map((p, i) => ({
    ruleId: p.ruleId,
    subjects: p.subjects.map((s, j) =>
      group && i === group.parameterIndex && j === group.subjectIndex
        ? groupWith(s, runs[0] ?? [])
        : { objectId: s.objectId, objectTypeName: s.objectTypeName },
    ),
  }));
  if (!group) return [first];
  const ruleId = parameters[group.parameterIndex].ruleId;
  const rest = runs.slice(1).map((run) => [{ ruleId, subjects: [groupWith(group.subject, run)] }]);
  return [first, ...rest];
}

/** The requests of an update: the group again, with only the members that changed. None when none did. */
export function planMemberRequests(
  ruleId: string,
  group: SubjectState,
  members: readonly Subject[],
): ProvisionParameter[][] {
  return chunks(members, GRAPH_MEMBERS_PER_REQUEST).map((run) => [
    { ruleId, subjects: [groupWith(group, run)] },
  ]);
}

/** The least time `requests` requests take at `limit`: all windows after the first are waited out. */
export function minimumSeconds(requests: number, limit: RateLimit | undefined): number {
  if (!limit || requests <= limit.count) return 0;
  return ((Math.ceil(requests / limit.count) - 1) * limit.windowMs) / 1000;
}

/**
 * Why `requests` cannot fit into `availableSeconds` at `limit`, with the timeout that would, or
 * `undefined` when they fit. Allows 20 % (at least 30 s) for answers, token and schema on top.
 */
export function timeBudgetProblem(
  requests: number,
  limit: RateLimit | undefined,
  availableSeconds: number,
): string | undefined {
  const floor = minimumSeconds(requests, limit);
  if (floor === 0) return undefined;
  const needed = Math.ceil(Math.max(floor * 1.2, floor + 30));
  if (needed <= availableSeconds) return undefined;
  return (
    `${requests} provisionOnDemand requests need at least ${Math.ceil(floor)} s at ${formatRateLimit(limit)}, ` +
    `but the create timeout is ${Math.floor(availableSeconds)} s: set customTimeouts.create to at least ` +
    `"${formatDuration(Math.ceil(needed / 60) * 60_000)}"`
  );
}
