/**
 * Direct group memberships of the emulated directory: for each group, its member ids (users or
 * nested groups) in the order they were added, with constant-time "is a member" checks so that groups
 * of thousands of members cost nothing per lookup. Ids compare case-insensitively; the id is kept as
 * first written.
 */

const key = (id: string): string => id.toLowerCase();

/** The members of every group. */
export class GroupMemberships {
  private readonly byGroup = new Map<string, Map<string, string>>();

  /** Replaces a group's members. */
  set(groupId: string, memberIds: readonly string[]): void {
    const members = new Map<string, string>();
    for (const id of memberIds) if (!members.has(key(id))) members.set(key(id), id);
    this.byGroup.set(key(groupId), members);
  }

  /** Adds members at the end (those already in are left where they are); returns the ids added. */
  add(groupId: string, memberIds: readonly string[]): string[] {
    const members = this.byGroup.get(key(groupId)) ?? new Map<string, string>();
    this.byGroup.set(key(groupId), members);
    const added: string[] = [];
    for (const id of memberIds)
      if (!members.has(key(id))) {
        members.set(key(id), id);
        added.push(id);
      }
    return added;
  }

  /** Removes members; returns the ids that were members. */
  remove(groupId: string, memberIds: readonly string[]): string[] {
    const members = this.byGroup.get(key(groupId));
    if (!members) return [];
    return memberIds.filter((id) => members.delete(key(id)));
  }

  /** Whether `memberId` is a direct member of the group. */
  has(groupId: string, memberId: string): boolean {
    return this.byGroup.get(key(groupId))?.has(key(memberId)) ?? false;
  }

  /** The group's member ids, oldest first. */
  list(groupId: string): string[] {
    return [...(this.byGroup.get(key(groupId))?.values() ?? [])];
  }

  /** Forgets every membership. */
  clear(): void {
    this.byGroup.clear();
  }
}
