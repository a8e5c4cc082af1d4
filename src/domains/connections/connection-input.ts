import { z } from 'zod';
import { CONNECTION_KINDS, CONNECTION_OWNERS } from './connection.entity.ts';
import { policyFields } from './connection-policy.ts';
import { SETTINGS_FIELDS, type SettingsField } from './connection-settings.ts';
import type { SettingsContext } from '../destinations/destination-kind.ts';
import { ValidationError, type Issue } from '../errors.ts';
import { unstorableIssues } from '../validation.ts';
import { eventTypePatterns } from '../rules/rule.service.ts';
import { signingSecretProblem } from '../signing/standard-webhooks.ts';

/** What creating or changing a connection may look at beside its input. */
export interface ConnectionOptions extends SettingsContext {
  /** The change comes from a portal session: the fields only the workspace owner sets are refused. (Default: false) */
  fromPortal?: boolean;
}

const name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
const description = z.string().trim().max(500, 'must be at most 500 characters').nullish();

const owner = z.enum(CONNECTION_OWNERS, { error: `must be one of ${CONNECTION_OWNERS.join(', ')}` }).nullish();

const signingSecret = z
  .string()
  .superRefine((secret, context) => {
    const problem = signingSecretProblem(secret);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  })
  .nullish();

/** Each kind's settings field, parsed by its kind (see `parseSettings`). */
const settingsFields = Object.fromEntries(SETTINGS_FIELDS.map((field) => [field, z.unknown().optional()])) as Record<
  SettingsField,
  z.ZodOptional<z.ZodUnknown>
>;

/** `createConnection`'s input but for the kind's settings. */
export const createInput = z.object({
  name,
  description,
  kind: z.enum(CONNECTION_KINDS, { error: `must be one of ${CONNECTION_KINDS.join(', ')}` }),
  owner,
  signingSecret,
  eventTypes: eventTypePatterns.nullish(),
  ...settingsFields,
  ...policyFields,
});

/** `updateConnection`'s input but for the kind's settings. */
export const updateInput = z.object({ name: name.nullish(), description, owner, eventTypes: eventTypePatterns.nullish(), ...settingsFields, ...policyFields });

/**
 * The input's issues as zod finds them, paths starting at `input`. Text Postgres cannot store
 * (NUL, unpaired surrogates) and runaway nesting, anywhere in the input (the kind's settings
 * included), are refused first, as `parseInput` does.
 */
export function shapeIssues<S extends z.ZodType>(schema: S, input: unknown): { data?: z.infer<S>; issues: Issue[] } {
  const unstorable = unstorableIssues(input, ['input']);
  if (unstorable.length > 0) throw new ValidationError(unstorable);
  const parsed = schema.safeParse(input);
  if (parsed.success) return { data: parsed.data, issues: [] };
  return { issues: parsed.error.issues.map((issue) => ({ path: ['input', ...issue.path.map(String)], message: issue.message })) };
}

/** The settings fields of a raw input, read even when other fields are wrong, so every problem is named at once. */
export function settingsOf(input: unknown): Partial<Record<SettingsField, unknown>> {
  return typeof input === 'object' && input !== null ? (input as Partial<Record<SettingsField, unknown>>) : {};
}

/** Throws every issue at once, when there are any. */
export function refuseIf(issues: Issue[]): void {
  if (issues.length > 0) throw new ValidationError(issues);
}

/** Delivery policy and ownership, which a workspace's own engineers set; a customer in the portal may not change them. */
const OWNER_ONLY_FIELDS = ['retryScheduleSeconds', 'timeoutSeconds', 'maxConcurrency', 'ordered', 'owner'] as const;

/** Refuses, from a portal session, the fields only the workspace owner may set. */
export function refuseOwnerOnlyFields(input: unknown, options: ConnectionOptions): void {
  if (!options.fromPortal || typeof input !== 'object' || input === null) return;
  const given = OWNER_ONLY_FIELDS.filter((field) => (input as Record<string, unknown>)[field] !== undefined);
  refuseIf(given.map((field) => ({ path: ['input', field], message: 'is set by the workspace owner and cannot be changed from the portal' })));
}
