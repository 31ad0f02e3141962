/**
 * Graph's list of a group's direct members, under `/beta` and `/v1.0`:
 * `GET /groups/{id}/members` (users and nested groups, each with `@odata.type`) and the type casts
 * `…/members/microsoft.graph.user` and `…/members/microsoft.graph.group`. Supports `$select`, `$top`
 * (1–999, default 100) and server-driven paging through `@odata.nextLink` with an opaque `$skiptoken`.
 * Callers need `GroupMember.Read.All` (or a broader group or directory read permission); the reads
 * count against the directory-read rate limit.
 */
import type { EmulatorCore } from "./core";
import { directoryObjectView, parseSelect } from "./directoryObjects";
import type { DirectoryType } from "./directoryObjects";
import { refuseIfThrottled, sendAccessDenied, sendResourceNotFound } from "./graphRoute";
import type { GraphEndpoint } from "./graphRoute";
import type { AccessTokenClaims } from "./tokens";
import { GRAPH_CONTENT_TYPE, sendGraphError, sendJson } from "./wire";
import type { RequestContext } from "./wire";

const ROUTE = /^\/(beta|v1\.0)\/groups\/([^/]+)\/members(?:\/microsoft\.graph\.(user|group))?\/?$/i;

/** Application permissions that may list a group's members (Graph's least privileged first). */
const MEMBER_READ_PERMISSIONS = new Set([
  "GroupMember.Read.All",
  "GroupMember.ReadWrite.All",
  "Group.Read.All",
  "Group.ReadWrite.All",
  "Directory.Read.All",
  "Directory.ReadWrite.All",
]);

/** Graph's page size of directory collections without `$top`. */
export const DEFAULT_PAGE_SIZE = 100;
/** The largest `$top` Graph accepts on directory collections. */
export const MAX_PAGE_SIZE = 999;

interface MembersRoute {
  readonly version: string;
  readonly groupId: string;
  /** The type cast segment, if any. */
  readonly cast?: DirectoryType;
}

/** The members endpoint a path names, if any. */
export function matchGroupMembersEndpoint(path: string): GraphEndpoint | undefined {
  const match = ROUTE.exec(path);
  if (!match) return undefined;
  const route: MembersRoute = {
    version: match[1],
    groupId: decodeURIComponent(match[2]),
    cast: match[3]?.toLowerCase() as DirectoryType | undefined,
  };
  return {
    kind: "listGroupMembers",
    method: "GET",
    serve: (ctx, core, claims) => serveMembers(ctx, core, claims, route),
  };
}

/** A page request: which properties, how many, from where. */
interface PageQuery {
  readonly select?: string[];
  readonly top?: number;
  readonly offset: number;
}

/** The query options Graph's names, case-insensitively (`$TOP` is `$top`). */
function queryOption(ctx: RequestContext, name: string): string | undefined {
  for (const [key, value] of ctx.query) if (key.toLowerCase() === name) return value;
  return undefined;
}

function badQuery(ctx: RequestContext, code: string, message: string): undefined {
  sendGraphError(ctx, 400, code, message);
  return undefined;
}

/** Reads `$select`, `$top` and `$skiptoken`; answers 400 (and returns undefined) for a bad one. */
function readPageQuery(ctx: RequestContext, route: MembersRoute): PageQuery | undefined {
  const topText = queryOption(ctx, "$top");
  const top = topText === undefined ? undefined : Number(topText);
  if (top !== undefined && !(Number.isInteger(top) && top >= 1 && top <= MAX_PAGE_SIZE))
    return badQuery(
      ctx,
      "Request_UnsupportedQuery",
      `Invalid page size specified: '${topText}'. Must be between 1 and ${MAX_PAGE_SIZE} inclusive.`,
    );
  const selectText = queryOption(ctx, "$select");
  const selection = selectText === undefined ? undefined : parseSelect(selectText, typesOf(route));
  if (selection && "unknown" in selection)
    return badQuery(
      ctx,
      "Request_BadRequest",
      `Invalid property '${selection.unknown}' specified in $select.`,
    );
  const skipToken = queryOption(ctx, "$skiptoken");
  const offset = skipToken === undefined ? 0 : readSkipToken(skipToken, route.groupId);
  if (offset === undefined)
    return badQuery(ctx, "Request_BadRequest", "The $skiptoken is not valid for this request.");
  return { select: selection?.properties, top, offset };
}

function typesOf(route: MembersRoute): DirectoryType[] {
  return route.cast ? [route.cast] : ["user", "group"];
}

/** An opaque continuation token: the group and the offset of the next page. */
function skipTokenFor(groupId: string, offset: number): string {
  return Buffer.from(JSON.stringify({ group: groupId.toLowerCase(), offset })).toString("base64url");
}

/** The offset a token of this group carries; undefined for anything else. */
function readSkipToken(token: string, groupId: string): number | undefined {
  try {
    const { group, offset } = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    return group === groupId.toLowerCase() && Number.isInteger(offset) && offset >= 0 ? offset : undefined;
  } catch {
    return undefined;
  }
}

/** The absolute URL of the next page: this path with the same `$select` and `$top`. */
function nextLink(
  ctx: RequestContext,
  core: EmulatorCore,
  route: MembersRoute,
  query: PageQuery,
  next: number,
) {
  const options = [
    query.select ? `$select=${encodeURIComponent(query.select.join(","))}` : "",
    query.top !== undefined ? `$top=${query.top}` : "",
    `$skiptoken=${skipTokenFor(route.groupId, next)}`,
  ];
  return `${core.baseUrl}${ctx.path}?${options.filter(Boolean).join("&")}`;
}

/** Throttle, permission, query, then the group must exist; answers one page of its members. */
function serveMembers(
  ctx: RequestContext,
  core: EmulatorCore,
  claims: AccessTokenClaims,
  route: MembersRoute,
): void {
  if (refuseIfThrottled(ctx, core.directoryReadLimiter, claims, "Reading the directory")) return;
  if (!(claims.roles ?? []).some((role) => MEMBER_READ_PERMISSIONS.has(role))) return sendAccessDenied(ctx);
  const query = readPageQuery(ctx, route);
  if (!query) return;
  const now = Date.now();
  const group = core.state.findGroup(route.groupId, claims.tid, now);
  if (!group) return sendResourceNotFound(ctx, route.groupId);
  const members = core.state
    .groupMembers(group, now)
    .filter((member) => route.cast === undefined || member.type === route.cast);
  const pageSize = query.top ?? DEFAULT_PAGE_SIZE;
  const page = members.slice(query.offset, query.offset + pageSize);
  const collection = route.cast ? `${route.cast}s` : "directoryObjects";
  const context = `${core.baseUrl}/${route.version}/$metadata#${collection}${query.select ? `(${query.select.join(",")})` : ""}`;
  const body: Record<string, unknown> = {
    "@odata.context": context,
    value: page.map((member) => directoryObjectView(member, query.select, route.cast === undefined)),
  };
  const next = query.offset + pageSize;
  if (next < members.length) body["@odata.nextLink"] = nextLink(ctx, core, route, query, next);
  sendJson(ctx, 200, body, {}, GRAPH_CONTENT_TYPE);
}
