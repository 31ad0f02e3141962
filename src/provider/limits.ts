/**
 * The bounds `check` holds every input to. Graph documents two of them (one group per request, at
 * most 5 members per request); the others are ours, picked so that no input can make a request, a
 * state file or an error message unreasonably large, and each is documented in the README.
 */

/** Graph takes one group and at most this many of its members per provisionOnDemand request. */
export const GRAPH_MEMBERS_PER_REQUEST = 5;

/** Most members one group subject may list (ours: a 50,000-member group needs ≥ 28 hours at 5/10 s). */
export const MAX_LISTED_MEMBERS = 50_000;

/** Most `parameters` entries (ours; Graph documents none). */
export const MAX_PARAMETERS = 10;

/** Most subjects in one parameter, group members not counted (ours; Graph documents none). */
export const MAX_SUBJECTS_PER_PARAMETER = 50;

/** Longest synchronization job id or rule id (ours; real ones are under 100 characters). */
export const MAX_ID_LENGTH = 256;

/** Longest objectId of a `user` (an AD distinguished name) or `Worker` subject (ours). */
export const MAX_OBJECT_ID_LENGTH = 1024;

/** Most trigger entries, and the longest key and value (ours). */
export const MAX_TRIGGERS = 100;
export const MAX_TRIGGER_KEY_LENGTH = 256;
export const MAX_TRIGGER_VALUE_LENGTH = 4096;

/** Keys that would change a plain object's prototype instead of being stored: refused. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** ASCII control characters (NUL, CR, LF, …): never valid in an id. */
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's job
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
