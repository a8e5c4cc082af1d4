import type { z } from 'zod';

/**
 * An action input that does not fit its kind: the transform's result lacks a field, or the event
 * lacks what the default mapping needs. Retrying the same event cannot help, so the delivery is
 * dead at once with this message; fix the rule or the event and replay.
 */
export class MappingError extends Error {
  /** The field at fault, dotted: `text`, `blocks.3.type`, `payload.email`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'MappingError';
    this.field = field;
  }
}

/**
 * `value` checked against a kind's action input schema. Every problem is named, the first one's
 * field on the error.
 * @param what what the input should be, for the message ("a Slack message")
 * @throws MappingError
 */
export function checkActionInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => ({
    field: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const listed = problems.map(({ field, message }) => (field ? `${field}: ${message}` : message)).join('; ');
  throw new MappingError(problems[0]?.field ?? '', `the transform's result is not ${what}: ${listed}`);
}
