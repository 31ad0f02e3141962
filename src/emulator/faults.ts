/**
 * Fault injection: for the next N requests whose path matches a regular expression (and, optionally,
 * whose method matches), answer with a chosen status (with or without Retry-After), add a delay,
 * reset the connection, or hang until the emulator stops.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";

/** A fault as the admin API accepts it. */
export const faultSpecSchema = z
  .strictObject({
    /** Regular expression source matched against the URL path (without query). */
    path: z.string().min(1),
    /** Only requests with this method (case-insensitive); default any. */
    method: z.string().min(1).optional(),
    /** The status to answer with (action `respond`). */
    status: z.number().int().min(100).max(599).optional(),
    /** A `Retry-After` header, in seconds, on the answer. */
    retryAfterSeconds: z.number().int().min(0).optional(),
    /** Wait this long before acting (or before serving normally when there is no status/action). */
    delayMs: z.number().int().min(0).max(600_000).optional(),
    /** `respond` (default with a status), `reset` (destroy the connection) or `hang` (never answer). */
    action: z.enum(["respond", "reset", "hang"]).optional(),
    /** The error code in the answer's body; default derived from the status. */
    code: z.string().min(1).optional(),
    /** The error message in the answer's body. */
    message: z.string().optional(),
    /** How many matching requests the fault applies to; default 1. */
    count: z.number().int().min(1).default(1),
  })
  .refine((spec) => spec.status !== undefined || spec.delayMs !== undefined || spec.action !== undefined, {
    message: "a fault needs at least one of status, delayMs or action",
  })
  .refine((spec) => spec.action !== "respond" || spec.status !== undefined, {
    message: 'action "respond" needs a status',
  });

/** A fault as the admin API accepts it (count optional). */
export type FaultSpec = z.input<typeof faultSpecSchema>;

/** A registered fault. */
export interface Fault extends Omit<FaultSpec, "count"> {
  /** The fault's id. */
  readonly id: string;
  /** How many matching requests it was registered for. */
  readonly count: number;
  /** How many more matching requests it applies to. */
  remaining: number;
  /** How many requests it has shaped so far. */
  applied: number;
}

/** What to do with one request a fault matched. */
export interface FaultPlan {
  /** Wait this long first (ms). */
  readonly delayMs: number;
  /** Then: serve normally (`delay`), answer the status (`respond`), `reset` or `hang`. */
  readonly action: "delay" | "respond" | "reset" | "hang";
  /** The status to answer (action `respond`). */
  readonly status?: number;
  /** The Retry-After to send, in seconds. */
  readonly retryAfterSeconds?: number;
  /** The error code to send, when the fault names one. */
  readonly code?: string;
  /** The error message to send. */
  readonly message: string;
}

const DEFAULT_CODES: Record<number, string> = {
  400: "BadRequest",
  401: "InvalidAuthenticationToken",
  403: "Authorization_RequestDenied",
  404: "Request_ResourceNotFound",
  409: "Conflict",
  429: "TooManyRequests",
  500: "InternalServerError",
  502: "BadGateway",
  503: "ServiceUnavailable",
  504: "GatewayTimeout",
};

/** The Graph error code usually seen with a status (`UnknownError` when none is typical). */
export function graphCodeForStatus(status: number): string {
  return DEFAULT_CODES[status] ?? "UnknownError";
}

/** The faults in force. */
export class FaultInjector {
  private faults: { fault: Fault; pattern: RegExp }[] = [];

  /** Registers a fault; throws a RangeError when the path is not a valid regular expression. */
  add(input: z.output<typeof faultSpecSchema>): Fault {
    let pattern: RegExp;
    try {
      pattern = new RegExp(input.path);
    } catch (error) {
      throw new RangeError(`fault path is not a valid regular expression: ${(error as Error).message}`);
    }
    const fault: Fault = { ...input, id: randomUUID(), remaining: input.count, applied: 0 };
    this.faults.push({ fault, pattern });
    return fault;
  }

  /** The faults still in force. */
  list(): Fault[] {
    return this.faults.map(({ fault }) => ({ ...fault }));
  }

  /** Removes every fault. */
  clear(): void {
    this.faults = [];
  }

  /** The plan for a request, using up one count of the first matching fault; undefined when none match. */
  take(method: string, path: string): FaultPlan | undefined {
    if (this.faults.length === 0) return undefined;
    const index = this.faults.findIndex(
      ({ fault, pattern }) => (!fault.method || fault.method.toUpperCase() === method) && pattern.test(path),
    );
    if (index === -1) return undefined;
    const { fault } = this.faults[index];
    fault.remaining -= 1;
    fault.applied += 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    const action = fault.action ?? (fault.status !== undefined ? "respond" : "delay");
    const status = fault.status;
    return {
      delayMs: fault.delayMs ?? 0,
      action,
      status,
      retryAfterSeconds: fault.retryAfterSeconds,
      code: fault.code,
      message: fault.message ?? `Injected fault: the emulator was told to answer ${status ?? action} here.`,
    };
  }
}

/** Timers that `stop()` can cancel all at once, so a delayed request never outlives the server. */
export class CancellableTimers {
  private readonly pending = new Map<NodeJS.Timeout, () => void>();

  /** Resolves true after `ms`, or false as soon as {@link cancelAll} is called. */
  sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve(true);
      }, ms);
      this.pending.set(timer, () => resolve(false));
    });
  }

  /** Cancels every pending sleep (they resolve false). */
  cancelAll(): void {
    for (const [timer, cancel] of this.pending) {
      clearTimeout(timer);
      cancel();
    }
    this.pending.clear();
  }
}
