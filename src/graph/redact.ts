/**
 * Secret redaction: the last line of defence that keeps client secrets, tokens, assertions and
 * certificate passwords out of error messages and log lines.
 */

const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

/** Replaces every known secret value and anything shaped like a JWT with `***`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text.replace(JWT, "***");
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("***");
  }
  return out;
}

/** Returns `error` with its message redacted (the same object, so its type and fields survive). */
export function redactError<E>(error: E, secrets: readonly (string | undefined)[]): E {
  if (error instanceof Error) {
    error.message = redact(error.message, secrets);
    if (error.stack) error.stack = redact(error.stack, secrets);
  }
  return error;
}
