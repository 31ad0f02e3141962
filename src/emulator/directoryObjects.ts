/**
 * Users and groups as Graph's directory endpoints show them: the properties each type has, the
 * default set Graph returns without `$select`, and `$select` itself (an unknown property is a 400,
 * as in Graph). Properties the emulator does not store (e.g. `jobTitle`) are known and answer null.
 */
import type { DirectoryMember, StoredGroup, StoredUser } from "./state";

/** The directory object types the members endpoints return. */
export type DirectoryType = DirectoryMember["type"];

const USER_PROPERTIES: Record<string, (user: StoredUser) => unknown> = {
  id: (user) => user.id,
  deletedDateTime: () => null,
  accountEnabled: (user) => user.accountEnabled,
  businessPhones: () => [],
  displayName: (user) => user.displayName,
  givenName: () => null,
  jobTitle: () => null,
  mail: (user) => user.mail ?? null,
  mailNickname: (user) => user.userPrincipalName.split("@")[0],
  mobilePhone: () => null,
  officeLocation: () => null,
  preferredLanguage: () => null,
  surname: () => null,
  userPrincipalName: (user) => user.userPrincipalName,
  userType: () => "Member",
};

const GROUP_PROPERTIES: Record<string, (group: StoredGroup) => unknown> = {
  id: (group) => group.id,
  deletedDateTime: () => null,
  description: () => null,
  displayName: (group) => group.displayName,
  groupTypes: () => [],
  mail: () => null,
  mailEnabled: () => false,
  mailNickname: (group) => group.displayName.replace(/[^A-Za-z0-9]/g, "") || group.id,
  securityEnabled: (group) => group.securityEnabled,
  visibility: () => null,
};

/** What Graph returns without `$select` (v1.0's default user properties; the group's main ones). */
const DEFAULT_PROPERTIES: Record<DirectoryType, readonly string[]> = {
  user: [
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
  ],
  group: Object.keys(GROUP_PROPERTIES),
};

const PROPERTIES_OF: Record<DirectoryType, readonly string[]> = {
  user: Object.keys(USER_PROPERTIES),
  group: Object.keys(GROUP_PROPERTIES),
};

/**
 * The properties a `$select` names, spelt as Graph spells them, for a collection of these types; or
 * the first property none of them has (Graph answers 400 for it). Names compare case-insensitively.
 */
export function parseSelect(
  text: string,
  types: readonly DirectoryType[],
): { properties: string[] } | { unknown: string } {
  const known = new Map(
    types.flatMap((type) => PROPERTIES_OF[type]).map((name) => [name.toLowerCase(), name]),
  );
  const properties: string[] = [];
  for (const requested of text.split(",").map((name) => name.trim())) {
    if (!requested) continue;
    const name = known.get(requested.toLowerCase());
    if (!name) return { unknown: requested };
    if (!properties.includes(name)) properties.push(name);
  }
  return { properties };
}

/**
 * One member as a collection item: the selected properties it has (all its defaults without a
 * selection), preceded by `@odata.type` when the collection mixes types.
 */
export function directoryObjectView(
  member: DirectoryMember,
  selected: readonly string[] | undefined,
  annotateType: boolean,
): Record<string, unknown> {
  const view: Record<string, unknown> = annotateType
    ? { "@odata.type": `#microsoft.graph.${member.type}` }
    : {};
  const names = selected ?? DEFAULT_PROPERTIES[member.type];
  if (member.type === "user") {
    for (const name of names) if (USER_PROPERTIES[name]) view[name] = USER_PROPERTIES[name](member.user);
  } else {
    for (const name of names) if (GROUP_PROPERTIES[name]) view[name] = GROUP_PROPERTIES[name](member.group);
  }
  return view;
}
