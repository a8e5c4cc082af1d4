import type { ComponentType } from 'react';
import type { ConnectionKind, CreateConnectionInput } from '../api/generated.ts';

/** Errors of a form, keyed by the input path after `input` ("webhook.url", "signingSecret"). */
export type FieldErrors = Record<string, string>;

export interface KindFieldsProps<Values> {
  values: Values;
  onChange(values: Values): void;
  errors: FieldErrors;
}

/**
 * One kind of destination as the "Add endpoint" form offers it: its own fields, the part of
 * `createConnection`'s input they fill, and a name to suggest. A new kind is one more of these
 * in `destinations/index.ts`; one created waiting for an OAuth consent is sent to it at once.
 */
export interface DestinationKind<Values> {
  kind: ConnectionKind;
  label: string;
  description: string;
  initial(): Values;
  Fields: ComponentType<KindFieldsProps<Values>>;
  /** Problems the browser can tell before asking the API, keyed as FieldErrors. */
  check(values: Values): FieldErrors;
  toInput(values: Values): Omit<CreateConnectionInput, 'name' | 'description' | 'eventTypes'>;
  suggestName(values: Values): string | null;
}

/** Server issues as FieldErrors: the first message per field, headers' own paths folded into the headers field. */
export function fieldErrors(issues: readonly { path: readonly string[]; message: string }[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const path = issue.path.slice(1);
    const key = path[0] === 'webhook' && path[1] === 'headers' ? 'webhook.headers' : path.join('.');
    const label = key === 'webhook.headers' && path[2] ? `${path[2]}: ${issue.message}` : issue.message;
    errors[key] ??= label;
  }
  return errors;
}
