import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ActionEvent } from '../destination-kind.ts';
import { checkActionInput, MappingError } from '../mapping.ts';
import type { MailchimpConfig } from './mailchimp-settings.ts';

export const MEMBER_STATUSES = ['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** A MAILCHIMP action input: one list member to add or update. */
export interface MailchimpMember {
  email: string;
  /** Merge fields by tag (`FNAME`, `LNAME`, ...). */
  mergeFields: Record<string, unknown>;
  /** The connection's tags and the transform's, each given once. */
  tags: string[];
  /** The status to set whether or not the member exists; absent, new members get `statusIfNew`. */
  status?: MemberStatus;
  /** The status a member gets when the address is new to the audience. */
  statusIfNew: Lowercase<MailchimpConfig['statusIfNew']>;
}

/**
 * The subscriber hash Mailchimp addresses a member by: the MD5 of the lowercased address.
 * Hashing the address as given would make `Ada@Example.com` and `ada@example.com` two members.
 */
export function subscriberHash(email: string): string {
  return createHash('md5').update(email.toLowerCase()).digest('hex');
}

const email = z
  .string({ error: 'is required (a string: the member\'s email address)' })
  .trim()
  .min(3, 'must be an email address')
  .max(254, 'must be at most 254 characters')
  .refine((value) => /^[^\s@]+@[^\s@]+$/.test(value), 'must be an email address such as "ada@example.com"');

const member = z.strictObject(
  {
    email,
    mergeFields: z.record(z.string(), z.unknown(), { error: 'must be an object of merge tags to values, e.g. { "FNAME": "Ada" }' }).optional(),
    tags: z.array(z.string().trim().min(1).max(100), { error: 'must be a list of tag names' }).max(50).optional(),
    status: z
      .string()
      .transform((value) => value.toLowerCase())
      .pipe(z.enum(MEMBER_STATUSES, { error: `must be one of ${MEMBER_STATUSES.join(', ')}` }))
      .optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}; a member has email, mergeFields, tags and status` : 'must be an object { email, mergeFields?, tags?, status? }') },
);

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function completed(config: MailchimpConfig, input: { email: string; mergeFields?: Record<string, unknown>; tags?: string[]; status?: MemberStatus }): MailchimpMember {
  return {
    email: input.email,
    mergeFields: input.mergeFields ?? {},
    tags: [...new Set([...config.tags, ...(input.tags ?? [])])],
    ...(input.status && { status: input.status }),
    statusIfNew: config.statusIfNew.toLowerCase() as MailchimpMember['statusIfNew'],
  };
}

/** A transform's result as a member, checked, with the connection's tags and status added. */
export function memberFrom(value: unknown, config: MailchimpConfig): MailchimpMember {
  return completed(config, checkActionInput(member, value, 'a Mailchimp member { email, mergeFields?, tags?, status? }'));
}

/**
 * The default member: `email` from `payload.email`, `FNAME` and `LNAME` from
 * `payload.firstName`/`first_name` and `payload.lastName`/`last_name` when present.
 * @throws MappingError when the payload has no email
 */
export function defaultMember(event: ActionEvent, config: MailchimpConfig): MailchimpMember {
  const payload = (typeof event.payload === 'object' && event.payload !== null ? event.payload : {}) as Record<string, unknown>;
  const address = stringOf(payload.email);
  if (!address) {
    throw new MappingError(
      'payload.email',
      'the default mapping needs payload.email (a string); emit it in the payload, or give the rule a transform that returns { email }',
    );
  }
  const checked = email.safeParse(address);
  if (!checked.success) throw new MappingError('payload.email', `payload.email ${checked.error.issues[0]?.message ?? 'is not an email address'}`);
  const first = stringOf(payload.firstName) ?? stringOf(payload.first_name);
  const last = stringOf(payload.lastName) ?? stringOf(payload.last_name);
  return completed(config, { email: checked.data, mergeFields: { ...(first && { FNAME: first }), ...(last && { LNAME: last }) } });
}
