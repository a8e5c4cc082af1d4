/**
 * What keeps secrets out of log lines, whatever a caller logs: error objects are reduced to the
 * fields that say what went wrong, and text shaped like a key, a signing secret, a bearer token
 * or a password in a connection string is masked in every line written.
 */

/** Switchyard's own key and secret formats, bearer tokens, and passwords inside URLs. */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/\b(whsec_|sy_sk_|sy_pk_|sy_admin_)[A-Za-z0-9+/=_-]+/g, '$1[redacted]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9+/=._~-]+/gi, '$1 [redacted]'],
  [/([a-z][a-z0-9+.-]*:\/\/[^\s:/@"]+:)[^\s@/"]+@/gi, '$1[redacted]@'],
];

/** `line` with every secret-shaped part masked. */
export function redactSecrets(line: string): string {
  let masked = line;
  for (const [pattern, replacement] of SECRET_PATTERNS) masked = masked.replace(pattern, replacement);
  return masked;
}

interface SerializedError {
  type: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: SerializedError;
  errors?: SerializedError[];
}

/**
 * An error as a log line shows it: type, message, code, stack, and what it wraps. Postgres's
 * `detail`, `where` and `internalQuery` are left out, as they quote the values of the row that
 * failed (a key's hash, a secret being written); so are a thrown object's other fields.
 */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const { code } = error as { code?: unknown };
  const serialized: SerializedError = {
    type: error.constructor?.name ?? error.name,
    message: error.message,
    ...(typeof code === 'string' && { code }),
    ...(error.stack && { stack: error.stack }),
  };
  if (depth >= 3) return serialized;
  const inner = (error as { originalError?: unknown }).originalError ?? error.cause;
  if (inner !== undefined && inner !== null) serialized.cause = serializeError(inner, depth + 1);
  if (error instanceof AggregateError) serialized.errors = error.errors.slice(0, 5).map((each) => serializeError(each, depth + 1));
  return serialized;
}
