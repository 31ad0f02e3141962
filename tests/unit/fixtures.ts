/** Ids and a valid input shared by the unit tests. Nothing here talks to the network. */

/** A service principal object id, as Graph returns it (lower case). */
export const SP_ID = "0f3c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
/** A second service principal, for "the job path names another service principal". */
export const OTHER_SP_ID = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d";
/** A Databricks SCIM job id, in the form Graph gives it. */
export const JOB_ID = "dataBricks.f5532fc709734b1a90e8a1fa9fd03a82.8442fd39-2183-419c-8732-74b6ce866bd5";
/** A synchronization rule id. */
export const RULE_ID = "03f7d90d-bf71-41b1-bda6-aaf0ddbee5d8";
/** A user and a group object id. */
export const USER_ID = "6e5a0c1e-7b2d-4c3f-9a1b-2c3d4e5f6a7b";
export const USER_ID_2 = "7f6b1d2f-8c3e-4d40-ab2c-3d4e5f6a7b8c";
export const GROUP_ID = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e";

/** A subject of type User. */
export function user(objectId: unknown = USER_ID): Record<string, unknown> {
  return { objectId, objectTypeName: "User" };
}

/** A subject of type Group, with linked members when given. */
export function group(members?: unknown[], objectId: unknown = GROUP_ID): Record<string, unknown> {
  return members === undefined
    ? { objectId, objectTypeName: "Group" }
    : { objectId, objectTypeName: "Group", links: { members } };
}

/** One `parameters` list holding one entry with `subjects` and the fixture rule id. */
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
