import { z } from 'zod';
import type { SettingsContext, StoredSettings } from '../destination-kind.ts';
import { credentialHint } from '../report.ts';

export const STATUSES_IF_NEW = ['SUBSCRIBED', 'PENDING', 'TRANSACTIONAL'] as const;
export type StatusIfNew = (typeof STATUSES_IF_NEW)[number];

/** What a MAILCHIMP connection shows. */
export interface MailchimpConfig {
  /** The audience (list) members are upserted into. */
  listId: string;
  /** The data center the API key belongs to, the part after its dash (`us21`). */
  dataCenter: string;
  /** The status a member gets when Mailchimp does not know the address yet. */
  statusIfNew: StatusIfNew;
  /** Tags every member is given, beside the ones a transform adds. */
  tags: string[];
}

export interface MailchimpCredentials {
  apiKey: string;
}

export type MailchimpSettings = StoredSettings<MailchimpConfig, MailchimpCredentials>;

/**
 * A Marketing API key: an account key, a dash, the data center. The data center names a host,
 * so it is held to letters then digits: no key can steer requests to another host.
 */
const API_KEY = /^[A-Za-z0-9]{16,64}-([a-z]{2,5}[0-9]{1,3})$/;
const LIST_ID = /^[A-Za-z0-9]{1,64}$/;
/** Most tags a connection gives every member. (Mailchimp allows 100 characters a tag name.) */
const MAX_TAGS = 50;

/** The masked API key shown after saving: `…ab12-us21`, whose data center stays readable. */
export function mailchimpHints(credentials: MailchimpCredentials): Record<string, string> {
  const dash = credentials.apiKey.lastIndexOf('-');
  return { apiKey: `${credentialHint(credentials.apiKey.slice(0, dash))}${credentials.apiKey.slice(dash)}` };
}

const tags = z
  .array(z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'), { error: 'must be a list of tag names' })
  .max(MAX_TAGS, `must have at most ${MAX_TAGS} tags`)
  .transform((names) => [...new Set(names)]);

const input = z.object({
  apiKey: z.string().nullish(),
  listId: z.string().nullish(),
  statusIfNew: z.enum(STATUSES_IF_NEW, { error: 'must be SUBSCRIBED, PENDING or TRANSACTIONAL' }).nullish(),
  tags: tags.nullish(),
});

/**
 * The schema of the `mailchimp` field of `createConnection` and `updateConnection`:
 * `{ apiKey, listId, statusIfNew, tags }`. `statusIfNew` defaults to SUBSCRIBED and `tags` to
 * none. When updating, a field left out keeps its value and the masked key sent back keeps the
 * stored one.
 */
export function mailchimpSettingsSchema(_context: SettingsContext, previous?: MailchimpSettings): z.ZodType<MailchimpSettings> {
  return input.transform((given, issues): MailchimpSettings => {
    const stored = previous?.credentials.apiKey;
    const apiKey = given.apiKey != null && stored !== undefined && given.apiKey === mailchimpHints({ apiKey: stored }).apiKey ? stored : (given.apiKey?.trim() ?? stored);
    const listId = given.listId?.trim() ?? previous?.config.listId;
    const dataCenter = apiKey ? API_KEY.exec(apiKey)?.[1] : undefined;
    if (!apiKey) issues.addIssue({ code: 'custom', path: ['apiKey'], message: 'is required' });
    else if (!dataCenter) {
      issues.addIssue({ code: 'custom', path: ['apiKey'], message: 'must be a Mailchimp API key such as "0123456789abcdef0123456789abcdef-us21"; the part after the dash names the data center' });
    }
    if (!listId) issues.addIssue({ code: 'custom', path: ['listId'], message: 'is required (the audience id, under Audience > Settings)' });
    else if (!LIST_ID.test(listId)) issues.addIssue({ code: 'custom', path: ['listId'], message: 'must be an audience id such as "a1b2c3d4e5": letters and digits only' });
    if (!apiKey || !dataCenter || !listId || !LIST_ID.test(listId)) return z.NEVER as never;
    return {
      config: {
        listId,
        dataCenter,
        statusIfNew: given.statusIfNew ?? previous?.config.statusIfNew ?? 'SUBSCRIBED',
        tags: given.tags === null ? [] : (given.tags ?? previous?.config.tags ?? []),
      },
      credentials: { apiKey },
    };
  });
}
