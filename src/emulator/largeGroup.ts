/**
 * Large groups on demand (`startEmulator({ groupMembers: N })`, `graph-emulator --group-members N`):
 * the fixture's headline group gets exactly N direct user members — its own user members first, then
 * generated users with deterministic ids and names — all in scope through the group's assignment.
 * Other members (nested groups) stay. Pure and fast: 5,000 members take a few milliseconds.
 */
import { FixtureError, headlineGroup } from "./fixture";
import type { FixtureUser, ValidatedFixture } from "./fixture";

/** The most members the option accepts. */
export const MAX_GENERATED_GROUP_MEMBERS = 100_000;

/** The id of the `n`-th member (1-based) when generated: `8f1a2b3c-0000-4000-a000-` and `n` in 12 digits. */
export function generatedMemberId(n: number): string {
  return `8f1a2b3c-0000-4000-a000-${String(n).padStart(12, "0")}`;
}

/** The user generated as the `n`-th member: "Member n", `member{n}@{domain}`. */
function generatedMember(n: number, domain: string, tenantId: string | undefined): FixtureUser {
  return {
    id: generatedMemberId(n),
    ...(tenantId === undefined ? {} : { tenantId }),
    displayName: `Member ${n}`,
    userPrincipalName: `member${n}@${domain}`,
    accountEnabled: true,
  };
}

/**
 * A copy of the fixture whose headline group has exactly `count` direct user members; its summary's
 * `userIds` become those members. Throws a RangeError for a bad count and a FixtureError when the
 * fixture has no headline group or a generated id is taken.
 */
export function withGroupMembers(fixture: ValidatedFixture, count: number): ValidatedFixture {
  if (!Number.isInteger(count) || count < 0 || count > MAX_GENERATED_GROUP_MEMBERS)
    throw new RangeError(
      `groupMembers must be a whole number from 0 to ${MAX_GENERATED_GROUP_MEMBERS}, not ${count}`,
    );
  const group = headlineGroup(fixture);
  if (!group)
    throw new FixtureError("groupMembers: the fixture has no group assigned to the app of its first job");
  const userIds = new Set(fixture.users.map((user) => user.id.toLowerCase()));
  const ownUsers = group.members.filter((id) => userIds.has(id.toLowerCase())).slice(0, count);
  const others = group.members.filter((id) => !userIds.has(id.toLowerCase()));
  const tenant = fixture.tenants.find(
    (t) => t.id.toLowerCase() === (group.tenantId ?? fixture.tenants[0].id).toLowerCase(),
  );
  const domain = tenant?.domains[0] ?? "emulator.onmicrosoft.com";
  const generated: FixtureUser[] = [];
  for (let n = ownUsers.length + 1; n <= count; n++)
    generated.push(generatedMember(n, domain, group.tenantId));
  const taken = new Set([...userIds, ...fixture.groups.map((g) => g.id.toLowerCase())]);
  const clash = generated.find((user) => taken.has(user.id));
  if (clash)
    throw new FixtureError(`groupMembers: the generated id ${clash.id} is already used in the fixture`);
  const members = [...ownUsers, ...generated.map((user) => user.id)];
  return {
    ...fixture,
    users: [...fixture.users, ...generated],
    groups: fixture.groups.map((g) => (g === group ? { ...g, members: [...members, ...others] } : g)),
    summary: fixture.summary && { ...fixture.summary, userIds: members },
  };
}
