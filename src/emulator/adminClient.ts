/**
 * `EmulatorAdmin`: a typed client of the admin API (`/_emulator/…`). It trusts the emulator's CA
 * itself, so it works whether or not `NODE_EXTRA_CA_CERTS` was set when the process started.
 */
import * as https from "node:https";
import type { EmulatorInfo } from "./admin";
import type { EmulatorSettings } from "./core";
import type { Fault, FaultSpec } from "./faults";
import type { EmulatorObjects, ValidatedObjects } from "./fixture";
import type { RequestLogEntry } from "./requestLog";
import type { AccessTokenClaims } from "./tokens";

/** One object of an emulated target system, as `GET /_emulator/target/{id}` returns it. */
export interface TargetSystemObject {
  /** The source (directory) object id. */
  readonly objectId: string;
  /** `User` or `Group`. */
  readonly objectTypeName: string;
  /** The display name last exported. */
  readonly displayName: string;
  /** For a group: the member ids exported with it. */
  readonly members?: string[];
  /** How many times it was exported (created or updated). */
  readonly exportCount: number;
  /** The last export action. */
  readonly lastAction: "Create" | "Update";
  /** The id the target system gave it. */
  readonly targetId: string;
}

/** What `POST /_emulator/groups/{id}/members` answers: what changed, and the members now. */
export interface GroupMembershipChange {
  /** The ids that became members (those already members are not repeated). */
  readonly added: string[];
  /** The ids that were members and no longer are. */
  readonly removed: string[];
  /** The group's direct member ids now, oldest first. */
  readonly members: string[];
}

/** What to put in a token minted by `POST /_emulator/tokens` (for testing token checks). */
export interface MintTokenRequest {
  /** Calling app; default the default caller app. */
  readonly clientId?: string;
  /** Tenant; default the fixture's first tenant. */
  readonly tenantId?: string;
  /** Audience; default `https://graph.microsoft.com`. */
  readonly audience?: string;
  /** Roles; default the app's permissions. */
  readonly roles?: string[];
  /** Lifetime in seconds; default 3599; negative gives an expired token. */
  readonly expiresInSeconds?: number;
}

/** An admin API call that did not answer 2xx. */
export class EmulatorAdminError extends Error {
  override readonly name = "EmulatorAdminError";
  /** @param status the HTTP status @param body the parsed answer */
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`Emulator admin API answered ${status}: ${JSON.stringify(body)}`);
  }
}

/** A typed client of the emulator's admin API. */
export class EmulatorAdmin {
  private readonly agent: https.Agent;

  /**
   * @param url the emulator's base URL, `https://localhost:PORT`
   * @param caCertificatePem the emulator CA's certificate (PEM), trusted by this client
   */
  constructor(
    readonly url: string,
    caCertificatePem: string,
  ) {
    this.agent = new https.Agent({ ca: caCertificatePem, keepAlive: false });
  }

  /** The request log, oldest first (admin calls are not logged). */
  async requests(): Promise<RequestLogEntry[]> {
    return (await this.call<{ requests: RequestLogEntry[] }>("GET", "requests")).requests;
  }

  /** Empties the request log. */
  async clearRequests(): Promise<void> {
    await this.call("DELETE", "requests");
  }

  /** The current settings. */
  settings(): Promise<EmulatorSettings> {
    return this.call("GET", "settings");
  }

  /** Changes some settings; returns them all. */
  updateSettings(patch: Partial<EmulatorSettings>): Promise<EmulatorSettings> {
    return this.call("PATCH", "settings", patch);
  }

  /** Adds a fault for the next `count` (default 1) matching requests. */
  addFault(fault: FaultSpec): Promise<Fault> {
    return this.call("POST", "faults", fault);
  }

  /** The faults still in force. */
  async faults(): Promise<Fault[]> {
    return (await this.call<{ faults: Fault[] }>("GET", "faults")).faults;
  }

  /** Removes every fault. */
  async clearFaults(): Promise<void> {
    await this.call("DELETE", "faults");
  }

  /** Adds (or updates) directory objects; new ones become visible after the replication lag. */
  addObjects(objects: EmulatorObjects): Promise<ValidatedObjects & { visibleAt: string }> {
    return this.call("POST", "objects", objects);
  }

  /** A group's direct member ids in the directory (users and nested groups), oldest first. */
  async groupMembers(groupId: string): Promise<string[]> {
    return (await this.call<{ members: string[] }>("GET", this.membersPath(groupId))).members;
  }

  /**
   * Makes users (or groups) direct members of a group at once, as an administrator would outside the
   * program: new users become in scope through the group's assignment. 404 for an unknown group, 400
   * for an id that is no user or group of its tenant.
   */
  addGroupMembers(groupId: string, memberIds: string[]): Promise<GroupMembershipChange> {
    return this.call("POST", this.membersPath(groupId), { add: memberIds });
  }

  /** Removes direct members of a group at once (ids that are not members are ignored). */
  removeGroupMembers(groupId: string, memberIds: string[]): Promise<GroupMembershipChange> {
    return this.call("POST", this.membersPath(groupId), { remove: memberIds });
  }

  /** What the job of this service principal has exported to its target system. */
  target(servicePrincipalId: string): Promise<{ objects: TargetSystemObject[] }> {
    return this.call("GET", `target/${encodeURIComponent(servicePrincipalId)}`);
  }

  /** Back to the fixture and start settings; log, faults and target systems emptied. */
  async reset(): Promise<void> {
    await this.call("POST", "reset");
  }

  /** Mints an access token directly (bypassing the token endpoint), e.g. an expired one. */
  mintToken(request: MintTokenRequest = {}): Promise<{ access_token: string; claims: AccessTokenClaims }> {
    return this.call("POST", "tokens", request);
  }

  /** How to reach and authenticate to the emulator. */
  info(): Promise<EmulatorInfo> {
    return this.call("GET", "info");
  }

  /** Releases the client's connections. */
  close(): void {
    this.agent.destroy();
  }

  private membersPath(groupId: string): string {
    return `groups/${encodeURIComponent(groupId)}/members`;
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const request = https.request(
        `${this.url}/_emulator/${path}`,
        {
          method,
          agent: this.agent,
          headers:
            text === undefined
              ? {}
              : { "content-type": "application/json", "content-length": Buffer.byteLength(text) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const raw = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = raw;
            try {
              parsed = raw ? JSON.parse(raw) : undefined;
            } catch {
              // keep the raw text
            }
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(parsed as T);
            else reject(new EmulatorAdminError(status, parsed));
          });
        },
      );
      request.on("error", reject);
      request.end(text);
    });
  }
}
