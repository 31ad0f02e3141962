/**
 * Secret redaction: the one place that keeps client secrets, tokens, assertions and certificate
 * passwords out of everything that leaves the provider — thrown errors (message, stack, every string
 * field, `cause`, nested errors), log lines and outputs. The provider applies it at its boundary.
 */

const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

/** Secrets shorter than this are not redacted: they would blank out ordinary words. */
const MIN_SECRET_LENGTH = 4;

/** Replaces every known secret value and anything shaped like a JWT with `***`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text.replace(JWT, "***");
  for (const secret of secrets) {
    if (secret && secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join("***");
  }
  return out;
}

/** How deep `redactDeep` follows nested objects (errors nest a few levels: error → cause → response). */
const MAX_DEPTH = 8;

/**
 * Redacts `value` in place, recursively: strings are replaced, errors and plain objects have every
 * own string property (message and stack included) redacted, arrays every element, and `cause`
 * chains are followed. Returns the value (the same object, so an error keeps its type and fields).
 */
export function redactDeep<T>(value: T, secrets: readonly (string | undefined)[]): T {
  const seen = new Set<object>();
  const visit = (v: unknown, depth = 0): unknown => {
    if (typeof v === "string") return redact(v, secrets);
    if (!v || typeof v !== "object" || seen.has(v) || depth > MAX_DEPTH) return v;
    seen.add(v);
    const record = v as Record<string, unknown>;
    const keys = Object.getOwnPropertyNames(v);
    if (v instanceof Error && !keys.includes("cause") && "cause" in v) keys.push("cause");
    for (const key of keys) {
      const descriptor = Object.getOwnPropertyDescriptor(v, key);
      if (descriptor && !descriptor.writable && !descriptor.set) {
        if (descriptor.configurable && "value" in descriptor)
          Object.defineProperty(v, key, { ...descriptor, value: visit(descriptor.value, depth + 1) });
        continue;
      }
      try {
        record[key] = visit(record[key], depth + 1);
      } catch {
        // a frozen object or a getter without a setter: nothing we could write
      }
    }
    return v;
  };
  return visit(value) as T;
}
