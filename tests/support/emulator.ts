/**
 * The test emulator: the one fixture, over HTTPS with the test CA that `npm test` creates and trusts
 * (NODE_EXTRA_CA_CERTS), and its request log counted by kind.
 */
import { startEmulator } from "../../src/emulator";
import type { RequestKind, RequestLogEntry, RunningEmulator, StartEmulatorOptions } from "../../src/emulator";
import { testFixture } from "./fixture";

/**
 * Starts an emulator with the test fixture and the test CA. Graph's rate limit is on (5/10s) unless
 * `options.rateLimit` says otherwise, as in the emulator's own default.
 */
export function startTestEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const caDir = process.env.PROVISION_ON_DEMAND_TEST_CA_DIR;
  if (!caDir || !process.env.NODE_EXTRA_CA_CERTS)
    throw new Error("Run the tests through `npm test` (it creates the test CA and trusts it).");
  return startEmulator({ caDir, fixture: testFixture(), ...options });
}

/** The emulator's log entries of some kinds. */
export async function requestsOf(
  emulator: RunningEmulator,
  ...kinds: RequestKind[]
): Promise<RequestLogEntry[]> {
  return (await emulator.admin.requests()).filter((entry) => kinds.includes(entry.kind));
}

/** Counts the emulator's logged requests by kind since the last `clearRequests()`. */
export async function graphCalls(
  emulator: RunningEmulator,
): Promise<{ token: number; schema: number; post: number; all: number }> {
  const requests = await emulator.admin.requests();
  const count = (kind: RequestKind) => requests.filter((r) => r.kind === kind).length;
  return {
    token: count("token"),
    schema: count("schema"),
    post: count("provisionOnDemand"),
    all: requests.length,
  };
}

/**
 * Registers the hooks that give the enclosing describe block (or file) a test emulator: started
 * before its tests, or before each test with `each`, and stopped after; with `reset`, also reset to
 * its fixture before each test. `use` receives (and may prepare) every emulator started, e.g.
 * `withTestEmulator((started) => (emulator = started), { rateLimit: "off" })`.
 */
export function withTestEmulator(
  use: (emulator: RunningEmulator) => unknown,
  options: StartEmulatorOptions = {},
  { each = false, reset = false }: { each?: boolean; reset?: boolean } = {},
): void {
  let running: RunningEmulator | undefined;
  const start = async () => {
    running = await startTestEmulator(options);
    await use(running);
  };
  const stop = async () => {
    await running?.stop();
    running = undefined;
  };
  if (each) {
    beforeEach(start);
    afterEach(stop);
  } else {
    beforeAll(start);
    afterAll(stop);
  }
  if (reset) beforeEach(() => running?.admin.reset());
}

/**
 * Adds `n` new directory users at run time (ids `prefix` + a 12-digit number from `base`) and, when
 * `groupId` is given, makes them direct members of that group, as an administrator would.
 */
export async function addUsers(
  emulator: RunningEmulator,
  {
    n,
    base = 0,
    prefix = "c0c10000-0000-4000-8000-",
    groupId,
  }: { n: number; base?: number; prefix?: string; groupId?: string },
): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}${String(base + i).padStart(12, "0")}`);
  await emulator.admin.addObjects({
    users: ids.map((id) => ({
      id,
      displayName: `User ${id}`,
      userPrincipalName: `${id}@emulator.onmicrosoft.com`,
    })),
  });
  if (groupId) await emulator.admin.addGroupMembers(groupId, ids);
  return ids;
}
