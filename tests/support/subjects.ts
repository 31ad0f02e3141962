/**
 * Subjects and inputs as a program writes them, built from the fixture's ids. No network.
 */
import { GROUP_ID, JOB_ID, RULE_ID, SP_ID, USER_ID } from "./ids";

/** A subject of type User (the fixture's first user unless given). */
export function user<T = string>(objectId: T = USER_ID as T): { objectId: T; objectTypeName: "User" } {
  return { objectId, objectTypeName: "User" };
}

/**
 * A subject of type Group (the fixture's group unless given), with `members` as its linked members
 * when given (subjects, e.g. `ids.map(user)`).
 */
export function group(members?: unknown[], objectId: unknown = GROUP_ID): Record<string, unknown> {
  return members === undefined
    ? { objectId, objectTypeName: "Group" }
    : { objectId, objectTypeName: "Group", links: { members } };
}

/** One `parameters` list holding one entry with `subjects` and the fixture's rule id. */
export function parameters(...subjects: unknown[]): Record<string, unknown>[] {
  return [{ ruleId: RULE_ID, subjects }];
}

/** A complete, valid set of inputs as a program gives them (before check). */
export function validInputs(): Record<string, unknown> {
  return {
    servicePrincipalId: SP_ID,
    synchronizationJobId: JOB_ID,
    parameters: parameters(user()),
  };
}
