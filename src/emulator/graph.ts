/**
 * The front door of Microsoft Graph, under `/beta` and `/v1.0`: finds the endpoint a path names,
 * checks the method and the caller's access token (401 unless this emulator issued it), then hands
 * the request to the endpoint. Unknown segments answer Graph's 400.
 */
import type { EmulatorCore } from "./core";
import { matchGroupMembersEndpoint } from "./groupMembers";
import { authenticateCaller } from "./graphRoute";
import type { GraphEndpoint } from "./graphRoute";
import type { RequestKind } from "./requestLog";
import { matchSynchronizationEndpoint } from "./synchronization";
import { sendGraphError } from "./wire";
import type { RequestContext } from "./wire";

const VERSION_PREFIX = /^\/(beta|v1\.0)(\/|$)/;

/** Each family of endpoints, tried in turn. */
const ENDPOINT_MATCHERS: ((path: string) => GraphEndpoint | undefined)[] = [
  matchSynchronizationEndpoint,
  matchGroupMembersEndpoint,
];

function matchEndpoint(path: string): GraphEndpoint | undefined {
  for (const match of ENDPOINT_MATCHERS) {
    const endpoint = match(path);
    if (endpoint) return endpoint;
  }
  return undefined;
}

/** Whether the path is under a Graph version prefix. */
function isGraphPath(path: string): boolean {
  return VERSION_PREFIX.test(path);
}

/** Which Graph endpoint a path names, if any (for the request log). */
export function graphKindOf(path: string): RequestKind | undefined {
  return matchEndpoint(path)?.kind;
}

/** Answers the request if it is under `/beta` or `/v1.0`; returns false otherwise. */
export async function handleGraph(ctx: RequestContext, core: EmulatorCore): Promise<boolean> {
  if (!isGraphPath(ctx.path)) return false;
  const endpoint = matchEndpoint(ctx.path);
  if (!endpoint) {
    const segment = ctx.path.split("/").filter(Boolean)[1] ?? "";
    sendGraphError(ctx, 400, "BadRequest", `Resource not found for the segment '${segment}'.`);
    return true;
  }
  ctx.kind = endpoint.kind;
  if (ctx.method !== endpoint.method) {
    sendGraphError(
      ctx,
      405,
      "Request_BadRequest",
      "Specified HTTP method is not allowed for the request target.",
    );
    return true;
  }
  const claims = authenticateCaller(ctx, core);
  if (claims) await endpoint.serve(ctx, core, claims);
  return true;
}
