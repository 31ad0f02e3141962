/** Small assertion helpers shared by the test files. */

/** Runs `work` and returns the error it threw; fails the test when it did not throw. */
export async function failureOf(work: () => Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await work();
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** Matches anything shaped like a JWT (an access token or an OIDC assertion). */
export const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/;
