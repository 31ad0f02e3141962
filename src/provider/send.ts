/**
 * Sending a series of provisionOnDemand requests for one resource: at most as many in flight as the
 * rate limit allows per window (so one large group keeps the pacer busy without queueing hundreds of
 * requests ahead of other resources), answers kept in request order, progress logged every 10 s,
 * and the first hard failure stops the series.
 */
import { formatRateLimit } from "../duration";
import type { CallOptions, GraphClient, ProvisionOnDemandAnswer } from "../graphClient";
import type { ProvisionParameter } from "../graph/model";
import { shortId } from "./describe";

/** How often a long series logs its progress. */
export const PROGRESS_INTERVAL_MS = 10_000;

/** What a progress line counts: the members of one group. */
export interface Progress {
  /** The group's object id. */
  readonly groupId: string;
  /** How many members the series sends. */
  readonly members: number;
}

/** Members carried by one request (its group's linked members). */
function membersIn(request: readonly ProvisionParameter[]): number {
  return request.reduce((n, p) => n + p.subjects.reduce((m, s) => m + (s.links?.members.length ?? 0), 0), 0);
}

/**
 * Sends every request; resolves with the answers in request order, or rejects with the first
 * failure once the requests already in flight have ended.
 */
export async function sendAll(
  client: GraphClient,
  call: CallOptions,
  requests: readonly ProvisionParameter[][],
  log: (line: string) => void,
  progress?: Progress,
): Promise<ProvisionOnDemandAnswer[]> {
  const answers: ProvisionOnDemandAnswer[] = new Array(requests.length);
  const inFlight = Math.max(1, Math.min(requests.length, client.rateLimit?.count ?? 5));
  const started = Date.now();
  let next = 0;
  let done = 0;
  let sentMembers = 0;
  let lastLine = started;
  let failure: unknown;

  const report = () => {
    if (!progress || Date.now() - lastLine < PROGRESS_INTERVAL_MS || done === requests.length) return;
    lastLine = Date.now();
    const rate = client.rateLimit;
    const left = rate ? Math.ceil((requests.length - done) / rate.count) * (rate.windowMs / 1000) : 0;
    log(
      `${call.target.label ? `${call.target.label}: ` : ""}group ${shortId(progress.groupId)}: ${sentMembers}/${progress.members} members provisioned` +
        ` (${done}/${requests.length} requests)${rate ? `, ~${Math.round(left)} s left at ${formatRateLimit(rate)}` : ""}`,
    );
  };

  const worker = async () => {
    while (failure === undefined && next < requests.length) {
      const index = next++;
      try {
        answers[index] = await client.provisionOnDemand(call, requests[index]);
        done++;
        sentMembers += membersIn(requests[index]);
        report();
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  if (failure !== undefined) throw failure;
  return answers;
}
