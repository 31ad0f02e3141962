/**
 * The environment a program needs to run against an emulator: the provider's credentials and
 * endpoints (`ARM_*`, `PROVISION_ON_DEMAND_GRAPH_URL`, `AZURE_AUTHORITY_HOST`), the CA to trust
 * (`NODE_EXTRA_CA_CERTS`) and the fixture's ids (`POD_*`), as variables and as env-file text.
 */
import type { EmulatorInfo } from "./admin";
import { exportLines } from "./shellEnv";

/** What the environment is made of: a running emulator or its `/_emulator/info`. */
export type EmulatorConnection = Pick<
  EmulatorInfo,
  "graphUrl" | "authorityHost" | "caCertPath" | "tenantId" | "clientId" | "clientSecret" | "fixture"
>;

/**
 * Most user ids written to `POD_USER_IDS`: 1,000 ids are 37 KB. Linux refuses to start any program
 * whose environment holds one variable over 128 KB, so a larger group (`--group-members`) leaves the
 * variable out rather than break every command of the shell that sources it.
 */
export const MAX_USER_IDS_IN_ENV = 1000;

/** The fixture's ids as `POD_*` variables (empty ones left out; `POD_USER_IDS` comma-separated). */
export function fixtureVariables(fixture: EmulatorConnection["fixture"]): Record<string, string> {
  const vars: Record<string, string> = {
    POD_SERVICE_PRINCIPAL_ID: fixture.servicePrincipalId,
    POD_JOB_ID: fixture.jobId,
    POD_RULE_ID: fixture.ruleId,
    POD_GROUP_ID: fixture.groupId,
    POD_USER_IDS: fixture.userIds.length <= MAX_USER_IDS_IN_ENV ? fixture.userIds.join(",") : "",
    POD_UNASSIGNED_USER_ID: fixture.unassignedUserId,
  };
  return Object.fromEntries(Object.entries(vars).filter(([, value]) => value !== ""));
}

/**
 * The variables that point the provider (and @azure/identity) at the emulator, then the fixture's
 * ids. `caFile` is the file for `NODE_EXTRA_CA_CERTS`: the emulator's CA unless a bundle is given
 * (see `trustedCaFile`).
 */
export function environmentFor(
  emulator: EmulatorConnection,
  { caFile = emulator.caCertPath }: { caFile?: string } = {},
): Record<string, string> {
  return {
    PROVISION_ON_DEMAND_GRAPH_URL: emulator.graphUrl,
    AZURE_AUTHORITY_HOST: emulator.authorityHost,
    NODE_EXTRA_CA_CERTS: caFile,
    ARM_TENANT_ID: emulator.tenantId,
    ARM_CLIENT_ID: emulator.clientId,
    ARM_CLIENT_SECRET: emulator.clientSecret,
    ...fixtureVariables(emulator.fixture),
  };
}

/** The comment lines that head an env file or the output of `graph-emulator env`. */
export function environmentComments(
  emulator: EmulatorConnection,
  { pid, secret, caBundleOf, userIdsLeftOut }: EnvironmentNotes,
): string[] {
  return [
    `graph-emulator at ${emulator.graphUrl}${pid === undefined ? "" : ` (pid ${pid})`}: load it with ". FILE" (sh, bash, zsh) or "source FILE" (bash, zsh)`,
    ...(secret ? [`ARM_CLIENT_SECRET: ${secret}`] : []),
    ...(caBundleOf
      ? [`NODE_EXTRA_CA_CERTS: the emulator's CA and the certificates of ${caBundleOf} (set before)`]
      : []),
    ...(userIdsLeftOut
      ? [
          `POD_USER_IDS left out: ${userIdsLeftOut} ids are too many for one variable; see graph-emulator --json`,
        ]
      : []),
  ];
}

/** What the comments of an env file say besides the URL. */
export interface EnvironmentNotes {
  /** The emulator's process id. */
  readonly pid?: number;
  /** Where the client secret comes from, e.g. "random, new at every start". */
  readonly secret?: string;
  /** The earlier `NODE_EXTRA_CA_CERTS` that the bundle includes. */
  readonly caBundleOf?: string;
  /** How many user ids `POD_USER_IDS` would have held, when it was left out. */
  readonly userIdsLeftOut?: number;
}

/** The env-file text: the comments, then `export NAME='value'` for every variable. */
export function environmentText(
  emulator: EmulatorConnection,
  vars: Record<string, string>,
  notes: EnvironmentNotes = {},
): string {
  const userIdsLeftOut =
    vars.POD_USER_IDS === undefined && emulator.fixture.userIds.length > MAX_USER_IDS_IN_ENV
      ? emulator.fixture.userIds.length
      : undefined;
  return exportLines(vars, environmentComments(emulator, { ...notes, userIdsLeftOut }));
}
