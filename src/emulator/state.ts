/**
 * The emulated directory: tenants, app registrations, service principals, synchronization jobs,
 * users, groups and app assignments, plus the target system each job provisions into.
 * Objects added while running become visible only after the replication lag; fixture objects are
 * visible at once. Ids compare case-insensitively, as Entra's GUIDs do.
 */
import { randomBytes } from "node:crypto";
import { databricksScimSchema } from "./defaultFixture";
import { GroupMemberships } from "./memberships";
import { headlineGroup } from "./fixture";
import type {
  FixtureApplication,
  FixtureGroup,
  FixtureJob,
  FixtureOidcIssuer,
  FixtureServicePrincipal,
  FixtureTenant,
  FixtureUser,
  SynchronizationSchema,
  ValidatedFixture,
  ValidatedObjects,
} from "./fixture";

/** A service principal as stored, with its tenant resolved. */
export type StoredServicePrincipal = FixtureServicePrincipal & { readonly tenantId: string };
/** An app registration as stored, with its tenant resolved and every secret value known. */
export type StoredApplication = FixtureApplication & { readonly tenantId: string };
/** A job as stored, with its schema resolved. */
export type StoredJob = FixtureJob & { readonly schema: SynchronizationSchema };
/** A user as stored, with its tenant resolved. */
export type StoredUser = FixtureUser & { readonly tenantId: string };
/** A group as stored, with its tenant resolved; its members live in {@link DirectoryState.groupMembers}. */
export type StoredGroup = Omit<FixtureGroup, "members"> & { readonly tenantId: string };

/** A member of a group, as the directory knows it: a user or a nested group. */
export type DirectoryMember =
  | { readonly type: "user"; readonly user: StoredUser }
  | { readonly type: "group"; readonly group: StoredGroup };

/** One object in an emulated target system (what a provisioning job has exported). */
export interface TargetObject {
  /** The source (directory) object id. */
  readonly objectId: string;
  /** `User` or `Group`. */
  readonly objectTypeName: string;
  /** The display name last exported. */
  displayName: string;
  /** For a group: the member object ids last exported. */
  members?: string[];
  /** How many times the object was exported (created or updated). */
  exportCount: number;
  /** The last export action: `Create` or `Update`. */
  lastAction: "Create" | "Update";
  /** The id the target system gave the object. */
  readonly targetId: string;
  /** The exported attribute values, to detect changes. */
  attributes: Record<string, string>;
}

/** The ids `startEmulator` reports for the fixture's headline objects. */
export interface FixtureSummary {
  /** The enterprise app (service principal) that owns the synchronization job. */
  readonly servicePrincipalId: string;
  /** The synchronization job id. */
  readonly jobId: string;
  /** The rule that provisions users and groups. */
  readonly ruleId: string;
  /** The group assigned to the app. */
  readonly groupId: string;
  /** The members of that group. */
  readonly userIds: string[];
  /** A user who is not assigned to the app. */
  readonly unassignedUserId: string;
}

interface Entry<T> {
  value: T;
  readonly visibleAt: number;
}

const key = (id: string): string => id.toLowerCase();

function generateClientSecret(): string {
  // Shaped like Entra secrets: 40 characters with a "~" after a 3-character prefix and a digit.
  const body = randomBytes(30).toString("base64url").replace(/[-_]/g, "x").slice(0, 35);
  return `${body.slice(0, 3)}8Q~${body.slice(3)}`;
}

/** Fills in what a fixture leaves implicit: generated secret values. Called once per emulator. */
export function materializeFixture(fixture: ValidatedFixture): ValidatedFixture {
  const copy: ValidatedFixture = structuredClone(fixture);
  for (const app of copy.applications)
    app.clientSecrets = app.clientSecrets.map((secret) => ({
      ...secret,
      value: secret.value ?? generateClientSecret(),
    }));
  return copy;
}

/** The whole emulated directory and target systems. */
export class DirectoryState {
  private tenants = new Map<string, FixtureTenant>();
  private applications = new Map<string, Entry<StoredApplication>>();
  private servicePrincipals = new Map<string, Entry<StoredServicePrincipal>>();
  private jobs = new Map<string, Entry<StoredJob>[]>();
  private users = new Map<string, Entry<StoredUser>>();
  private groups = new Map<string, Entry<StoredGroup>>();
  private assignments = new Map<string, Map<string, number>>();
  private targets = new Map<string, Map<string, TargetObject>>();
  private issuers = new Map<string, FixtureOidcIssuer>();
  private memberships = new GroupMemberships();

  /** @param fixture a validated fixture whose secrets are already materialised */
  constructor(private readonly fixture: ValidatedFixture) {
    this.reset();
  }

  /** Back to the fixture: runtime objects and every target system's content are dropped. */
  reset(): void {
    this.tenants.clear();
    this.applications.clear();
    this.servicePrincipals.clear();
    this.jobs.clear();
    this.users.clear();
    this.groups.clear();
    this.assignments.clear();
    this.targets.clear();
    this.issuers.clear();
    this.memberships.clear();
    for (const tenant of this.fixture.tenants) {
      this.tenants.set(key(tenant.id), tenant);
      for (const domain of tenant.domains) this.tenants.set(key(domain), tenant);
    }
    for (const issuer of this.fixture.oidcIssuers) this.issuers.set(issuer.issuer, issuer);
    this.addObjects(structuredClone(this.fixture), 0);
  }

  /** The tenant every object without an explicit tenant belongs to. */
  get homeTenantId(): string {
    return this.fixture.tenants[0].id;
  }

  /**
   * Adds objects (or updates existing ones in place: a changed user's attributes apply at once; a
   * group given again gets exactly the members it lists).
   * New objects become visible at `visibleAt` (ms since epoch). Returns what was stored.
   */
  addObjects(objects: ValidatedObjects, visibleAt: number): ValidatedObjects {
    const tenantOf = (tenantId: string | undefined) =>
      this.tenants.get(key(tenantId ?? this.homeTenantId))?.id;
    const requireTenant = (tenantId: string | undefined): string => {
      const found = tenantOf(tenantId);
      if (!found) throw new RangeError(`Unknown tenant ${tenantId}`);
      return found;
    };
    const upsert = <T>(map: Map<string, Entry<T>>, id: string, value: T) => {
      const existing = map.get(key(id));
      if (existing) existing.value = value;
      else map.set(key(id), { value, visibleAt });
    };
    for (const app of objects.applications) {
      const clientSecrets = app.clientSecrets.map((s) => ({
        ...s,
        value: s.value ?? generateClientSecret(),
      }));
      upsert(this.applications, app.appId, { ...app, clientSecrets, tenantId: requireTenant(app.tenantId) });
    }
    for (const sp of objects.servicePrincipals)
      upsert(this.servicePrincipals, sp.id, { ...sp, tenantId: requireTenant(sp.tenantId) });
    for (const job of objects.jobs) {
      if (!this.servicePrincipals.has(key(job.servicePrincipalId)))
        throw new RangeError(`Job ${job.id}: unknown service principal ${job.servicePrincipalId}`);
      const list = this.jobs.get(key(job.servicePrincipalId)) ?? [];
      const stored: StoredJob = { ...job, schema: job.schema ?? databricksScimSchema(job.id) };
      const existing = list.find((entry) => key(entry.value.id) === key(job.id));
      if (existing) existing.value = stored;
      else list.push({ value: stored, visibleAt });
      this.jobs.set(key(job.servicePrincipalId), list);
    }
    for (const user of objects.users)
      upsert(this.users, user.id, { ...user, tenantId: requireTenant(user.tenantId) });
    for (const { members, ...group } of objects.groups) {
      upsert(this.groups, group.id, { ...group, tenantId: requireTenant(group.tenantId) });
      this.memberships.set(group.id, members);
    }
    for (const assignment of objects.assignments) {
      if (!this.servicePrincipals.has(key(assignment.servicePrincipalId)))
        throw new RangeError(`Assignment: unknown service principal ${assignment.servicePrincipalId}`);
      const assigned = this.assignments.get(key(assignment.servicePrincipalId)) ?? new Map<string, number>();
      if (!assigned.has(key(assignment.principalId))) assigned.set(key(assignment.principalId), visibleAt);
      this.assignments.set(key(assignment.servicePrincipalId), assigned);
    }
    return objects;
  }

  /** A tenant by id or domain name. */
  findTenant(idOrDomain: string): FixtureTenant | undefined {
    return this.tenants.get(key(idOrDomain));
  }

  /** An app registration by client id, if visible and in the tenant. */
  findApplication(appId: string, tenantId: string, now: number): StoredApplication | undefined {
    const entry = this.applications.get(key(appId));
    return entry && entry.visibleAt <= now && key(entry.value.tenantId) === key(tenantId)
      ? entry.value
      : undefined;
  }

  /** A service principal by object id, if visible and in the tenant. */
  findServicePrincipal(id: string, tenantId: string, now: number): StoredServicePrincipal | undefined {
    const entry = this.servicePrincipals.get(key(id));
    return entry && entry.visibleAt <= now && key(entry.value.tenantId) === key(tenantId)
      ? entry.value
      : undefined;
  }

  /** The service principal of an app in a tenant (its object id is the caller's `oid`). */
  servicePrincipalOfApp(appId: string, tenantId: string): StoredServicePrincipal | undefined {
    for (const entry of this.servicePrincipals.values())
      if (key(entry.value.appId) === key(appId) && key(entry.value.tenantId) === key(tenantId))
        return entry.value;
    return undefined;
  }

  /** The visible jobs of a service principal. */
  jobsOf(servicePrincipalId: string, now: number): StoredJob[] {
    return (this.jobs.get(key(servicePrincipalId)) ?? [])
      .filter((entry) => entry.visibleAt <= now)
      .map((entry) => entry.value);
  }

  /** One visible job of a service principal. */
  findJob(servicePrincipalId: string, jobId: string, now: number): StoredJob | undefined {
    return this.jobsOf(servicePrincipalId, now).find((job) => key(job.id) === key(jobId));
  }

  /** A visible user of the tenant. */
  findUser(id: string, tenantId: string, now: number): StoredUser | undefined {
    const entry = this.users.get(key(id));
    return entry && entry.visibleAt <= now && key(entry.value.tenantId) === key(tenantId)
      ? entry.value
      : undefined;
  }

  /** A visible group of the tenant. */
  findGroup(id: string, tenantId: string, now: number): StoredGroup | undefined {
    const entry = this.groups.get(key(id));
    return entry && entry.visibleAt <= now && key(entry.value.tenantId) === key(tenantId)
      ? entry.value
      : undefined;
  }

  /** Whether the principal (user or group) is assigned to the app directly. */
  isAssignedDirectly(servicePrincipalId: string, principalId: string, now: number): boolean {
    const visibleAt = this.assignments.get(key(servicePrincipalId))?.get(key(principalId));
    return visibleAt !== undefined && visibleAt <= now;
  }

  /**
   * How a user is entitled to the app: `direct`, the id of an assigned group it is a member of, or
   * undefined when it is not entitled.
   */
  userEntitlement(servicePrincipalId: string, userId: string, now: number): string | undefined {
    if (this.isAssignedDirectly(servicePrincipalId, userId, now)) return "direct";
    for (const [principalId, visibleAt] of this.assignments.get(key(servicePrincipalId)) ?? []) {
      if (visibleAt > now) continue;
      const group = this.groups.get(principalId);
      if (group && group.visibleAt <= now && this.memberships.has(principalId, userId)) return group.value.id;
    }
    return undefined;
  }

  /** Whether `memberId` (a user or group) is a direct member of the group. */
  isGroupMember(groupId: string, memberId: string): boolean {
    return this.memberships.has(groupId, memberId);
  }

  /** The ids of a group's direct members, oldest first, visible or not; undefined for an unknown group. */
  directMemberIds(groupId: string): string[] | undefined {
    return this.groups.has(key(groupId)) ? this.memberships.list(groupId) : undefined;
  }

  /**
   * The visible direct members of a group, oldest first: users and nested groups of the group's
   * tenant. Ids that name no (visible) object are left out, as Graph lists only objects it has.
   */
  groupMembers(group: StoredGroup, now: number): DirectoryMember[] {
    const members: DirectoryMember[] = [];
    for (const id of this.memberships.list(group.id)) {
      const user = this.findUser(id, group.tenantId, now);
      if (user) members.push({ type: "user", user });
      else {
        const nested = this.findGroup(id, group.tenantId, now);
        if (nested) members.push({ type: "group", group: nested });
      }
    }
    return members;
  }

  /**
   * Adds and removes direct members of a group at once (no replication lag), as an administrator
   * would outside the program. Members must be users or groups of the group's tenant (visible or not
   * yet). Throws a RangeError naming an unknown group or member. Returns what changed.
   */
  changeGroupMembers(
    groupId: string,
    change: { readonly add?: readonly string[]; readonly remove?: readonly string[] },
  ): { added: string[]; removed: string[] } {
    const group = this.groups.get(key(groupId))?.value;
    if (!group) throw new RangeError(`Unknown group ${groupId}`);
    const foreign = (change.add ?? []).filter((id) => {
      const object = this.users.get(key(id))?.value ?? this.groups.get(key(id))?.value;
      return !object || key(object.tenantId) !== key(group.tenantId) || key(id) === key(group.id);
    });
    if (foreign.length)
      throw new RangeError(`Not a user or group of the group's tenant: ${foreign.join(", ")}`);
    const removed = this.memberships.remove(group.id, change.remove ?? []);
    return { added: this.memberships.add(group.id, change.add ?? []), removed };
  }

  /** The trusted external OIDC issuer with this `iss`, if registered. */
  findOidcIssuer(issuer: string): FixtureOidcIssuer | undefined {
    return this.issuers.get(issuer);
  }

  /** The (mutable) target system of a service principal's job. */
  targetOf(servicePrincipalId: string): Map<string, TargetObject> {
    let target = this.targets.get(key(servicePrincipalId));
    if (!target) this.targets.set(key(servicePrincipalId), (target = new Map()));
    return target;
  }

  /** The credentials of the app `startEmulator` hands out. */
  defaultCredentials(): { tenantId: string; clientId: string; clientSecret: string } {
    const wanted = this.fixture.defaultClientId;
    const app =
      this.fixture.applications.find((a) => wanted !== undefined && key(a.appId) === key(wanted)) ??
      this.fixture.applications.find((a) => a.clientSecrets.length > 0) ??
      this.fixture.applications[0];
    return {
      tenantId: app
        ? (this.findTenant(app.tenantId ?? this.homeTenantId)?.id ?? this.homeTenantId)
        : this.homeTenantId,
      clientId: app?.appId ?? "",
      clientSecret: app?.clientSecrets[0]?.value ?? "",
    };
  }

  /** The fixture's headline ids: as given in its `summary`, else derived from its first job. */
  summary(): FixtureSummary {
    const given = this.fixture.summary ?? {};
    const job = this.fixture.jobs[0];
    const spId = given.servicePrincipalId ?? job?.servicePrincipalId ?? "";
    const rules = (job && this.findJob(job.servicePrincipalId, job.id, 0)?.schema.synchronizationRules) ?? [];
    const groupRule = rules.find((rule) =>
      rule.objectMappings.some((m) => m.enabled && m.sourceObjectName.toLowerCase() === "group"),
    );
    const group = headlineGroup(this.fixture);
    const userIds = given.userIds ?? group?.members ?? [];
    const unassigned = this.fixture.users.find((user) => !this.userEntitlement(spId, user.id, 0));
    return {
      servicePrincipalId: spId,
      jobId: given.jobId ?? job?.id ?? "",
      ruleId: given.ruleId ?? groupRule?.id ?? rules[0]?.id ?? "",
      groupId: given.groupId ?? group?.id ?? "",
      userIds: [...userIds],
      unassignedUserId: given.unassignedUserId ?? unassigned?.id ?? "",
    };
  }
}
