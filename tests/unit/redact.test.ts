/**
 * What users read when something fails: Graph errors in one fixed form that names the job and the
 * subjects, and no secret or token in any message.
 */
import {
  GraphRequestError,
  ProvisioningFailedError,
  describeTarget,
  type GraphCallTarget,
} from "../../src/graph/errors";
import { toTokenRequestError } from "../../src/graph/errorMapping";
import { redact, redactDeep } from "../../src/graph/redact";
import { TimeoutExceededError } from "../../src/graph/errors";
import { GROUP_ID, JOB_ID, SP_ID } from "../support/ids";

const SECRET = "Q~8xv.secret$&value+with*regex(chars)";
const JWT =
  "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20ifQ.c2lnbmF0dXJlLXBhcnQ";

const TARGET: GraphCallTarget = {
  operation: "provisionOnDemand",
  servicePrincipalId: SP_ID,
  jobId: JOB_ID,
  subjects: `Group ${GROUP_ID} (+2 members)`,
};

describe("redaction keeps secrets and tokens out of messages", () => {
  it("replaces every occurrence of a known secret, even one full of regex characters", () => {
    expect(redact(`client_secret=${SECRET}&again=${SECRET}`, [SECRET])).toBe("client_secret=***&again=***");
  });

  it("replaces anything shaped like a JWT, known or not", () => {
    expect(redact(`Authorization: Bearer ${JWT} was refused`, [])).toBe(
      "Authorization: Bearer *** was refused",
    );
  });

  it("replaces several secrets and ignores absent ones", () => {
    expect(redact("a-password and b-password", ["a-password", undefined, "b-password"])).toBe("*** and ***");
  });

  it("leaves text without secrets alone", () => {
    const text = `provisionOnDemand failed: RequestParameterInvalid (HTTP 400) [job ${JOB_ID}]`;
    expect(redact(text, [SECRET])).toBe(text);
  });

  it("redacts an error's message and stack in place, keeping its type and fields", () => {
    const error = new GraphRequestError({
      code: "InvalidAuthenticationToken",
      serverMessage: `token ${JWT} for secret ${SECRET}`,
      status: 401,
      target: TARGET,
    });
    const redacted = redactDeep(error, [SECRET]);
    expect(redacted).toBe(error);
    expect(redacted).toBeInstanceOf(GraphRequestError);
    expect(redacted.status).toBe(401);
    expect(redacted.message).not.toContain(SECRET);
    expect(redacted.message).not.toContain(JWT);
    expect(redacted.stack).not.toContain(SECRET);
    expect(redacted.stack).not.toContain(JWT);
  });

  it("redacts a thrown string too", () => {
    expect(redactDeep(`plain ${SECRET}`, [SECRET])).toBe("plain ***");
  });

  it("redacts every string an error carries: fields, cause, nested errors and their stacks", () => {
    const inner = new GraphRequestError({
      code: "HTTP500",
      serverMessage: `echoed ${SECRET}`,
      status: 500,
      target: TARGET,
      cause: Object.assign(new Error(`socket said ${SECRET}`), { body: { text: `body ${SECRET}` } }),
    });
    const outer = new TimeoutExceededError({ timeoutSeconds: 5, attempts: 2, target: TARGET, cause: inner });
    redactDeep(outer, [SECRET]);
    const seen: string[] = [];
    const collect = (v: unknown, depth = 0): void => {
      if (typeof v === "string") seen.push(v);
      else if (v && typeof v === "object" && depth < 6)
        for (const key of [...Object.getOwnPropertyNames(v), "cause"])
          collect((v as Record<string, unknown>)[key], depth + 1);
    };
    collect(outer);
    expect(seen.join("\n")).toContain("***");
    expect(seen.join("\n")).not.toContain(SECRET);
    expect(inner.serverMessage).toBe("echoed ***");
    expect(require("node:util").inspect(outer, { depth: 10 })).not.toContain(SECRET);
  });
});

describe("Graph errors tell the user the code, the message, the request ids, the job and the subjects", () => {
  const error = new GraphRequestError({
    code: "RequestParameterInvalid",
    serverMessage: "The ruleId is invalid: the job does not include the rule",
    status: 400,
    requestId: "5b1c7a2e-request",
    clientRequestId: "9d8e7f6a-client",
    target: TARGET,
  });

  it("has the form `provisionOnDemand failed: <code>: <message> (HTTP 400, request-id …, client-request-id …)`", () => {
    expect(error.message).toBe(
      "provisionOnDemand failed: RequestParameterInvalid: The ruleId is invalid: the job does not include the rule " +
        "(HTTP 400, request-id 5b1c7a2e-request, client-request-id 9d8e7f6a-client) " +
        `[job ${JOB_ID}, service principal ${SP_ID}, subjects Group ${GROUP_ID} (+2 members)]`,
    );
  });

  it("carries the same facts as fields, so callers need not parse the message", () => {
    expect(error).toMatchObject({
      name: "GraphRequestError",
      code: "RequestParameterInvalid",
      status: 400,
      requestId: "5b1c7a2e-request",
      clientRequestId: "9d8e7f6a-client",
      target: TARGET,
    });
  });

  it("says when no HTTP answer came, and leaves out ids it does not have", () => {
    const noAnswer = new GraphRequestError({
      code: "ECONNREFUSED",
      serverMessage: "connect refused",
      status: 0,
      target: TARGET,
    });
    expect(noAnswer.message).toMatch(
      /^provisionOnDemand failed: ECONNREFUSED: connect refused \(no HTTP answer\) \[job /,
    );
  });

  it("describes a target without subjects by its job and service principal", () => {
    expect(describeTarget({ operation: "get job schema", servicePrincipalId: SP_ID, jobId: JOB_ID })).toBe(
      `[job ${JOB_ID}, service principal ${SP_ID}]`,
    );
  });

  it("a reported Failure names the code, the request id, the subjects and how to record it instead", () => {
    const failed = new ProvisioningFailedError({
      code: "SchemaInvalid",
      serverMessage: "userName is missing",
      requestId: "req-9",
      target: TARGET,
    });
    expect(failed.message).toMatch(
      /^provisionOnDemand reported Failure: SchemaInvalid: userName is missing \(request-id req-9\)/,
    );
    expect(failed.message).toContain(`subjects Group ${GROUP_ID}`);
    expect(failed.message).toContain("failOnProvisioningError: false");
  });

  it("a token failure names the method, Entra's code and description and the correlation id, on one line", () => {
    const tokenError = toTokenRequestError(
      {
        name: "AuthenticationError",
        statusCode: 401,
        message: "multi-line\nMSAL internals",
        errorResponse: {
          error: "invalid_client",
          errorDescription: "AADSTS7000215: Invalid client secret provided.",
          correlationId: "corr-1",
        },
      },
      "client secret",
      "https://login.microsoftonline.com",
    );
    expect(tokenError.message).toBe(
      "token request (client secret) failed: invalid_client: AADSTS7000215: Invalid client secret provided. " +
        "[authority https://login.microsoftonline.com] (HTTP 401, correlation-id corr-1)",
    );
    expect(tokenError.status).toBe(401);
  });
});
