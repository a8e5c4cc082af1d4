import type { z } from 'zod';
import { ValidationError } from './errors.ts';

/**
 * Parses a mutation's `input` with `schema`, turning every zod issue into one ValidationError
 * whose paths start at `input`, so clients can point at the exact field.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    parsed.error.issues.map((issue) => ({
      path: ['input', ...issue.path.map(String)],
      message: issue.message,
    })),
  );
}

/** Postgres unique violations surface as this SQLSTATE. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '23505';
}
