/**
 * The emulator's moving parts in one place, as every route sees them: directory state, token
 * authority, rate limiter, faults, request log and the settings that can change while running.
 */
import type { CancellableTimers, FaultInjector } from "./faults";
import type { RequestLog } from "./requestLog";
import type { RateLimit } from "../duration";
import type { TenantRateLimiter } from "./rateLimit";
import type { DirectoryState } from "./state";
import type { AccessTokenAuthority } from "./tokens";

/** The shape of provisionOnDemand answers: `live` (what Graph returns today) or `docs` (as documented). */
export type ResponseShape = "live" | "docs";

/** Settings that can change while the emulator runs (admin API `/_emulator/settings`). */
export interface EmulatorSettings {
  /** The provisionOnDemand rate limit per tenant, e.g. `"5/10s"` or `"off"`. */
  readonly rateLimit: string;
  /** The limit of directory reads (group members) per tenant, e.g. `"100/10s"`; default `"off"`. */
  readonly directoryReadRateLimit: string;
  /** How long objects added at run time stay invisible (404), in milliseconds. */
  readonly replicationLagMs: number;
  /** The provisionOnDemand answer shape. */
  readonly shape: ResponseShape;
}

/** Everything a route handler works with. */
export interface EmulatorCore {
  /** The emulated directory and target systems. */
  readonly state: DirectoryState;
  /** Issues and verifies access tokens. */
  readonly tokens: AccessTokenAuthority;
  /** Counts provisionOnDemand requests per tenant. */
  readonly rateLimiter: TenantRateLimiter;
  /** Counts directory reads (group members) per tenant. */
  readonly directoryReadLimiter: TenantRateLimiter;
  /** Injected faults. */
  readonly faults: FaultInjector;
  /** Delays that stop() cancels. */
  readonly timers: CancellableTimers;
  /** Served requests. */
  readonly log: RequestLog;
  /** The current replication lag, ms. */
  replicationLagMs: number;
  /** The current answer shape. */
  shape: ResponseShape;
  /** The values the emulator started with (reset returns to them). */
  readonly initial: {
    readonly rateLimit: RateLimit | undefined;
    readonly directoryReadRateLimit: RateLimit | undefined;
    readonly replicationLagMs: number;
    readonly shape: ResponseShape;
  };
  /** The emulator's base URL, `https://localhost:PORT` (known once listening). */
  baseUrl: string;
}
