import { z } from 'zod';
import type { SettingsContext, StoredSettings } from '../destination-kind.ts';
import { credentialHint } from '../report.ts';

export const HUBSPOT_ACTIONS = ['UPSERT_CONTACT', 'SEND_EVENT'] as const;
export type HubSpotAction = (typeof HUBSPOT_ACTIONS)[number];

/** What a HUBSPOT connection shows: what it does, and how it authenticates. */
export interface HubSpotConfig {
  action: HubSpotAction;
  /** The custom event's internal name (`pe1234567_order_completed`), for SEND_EVENT. */
  eventName: string | null;
  /** `PRIVATE_APP`: the connection's own token; `OAUTH`: tokens from a consent, kept fresh by Switchyard. */
  auth: 'PRIVATE_APP' | 'OAUTH';
}

/** A private app token, when the connection has one; OAuth tokens are kept apart (oauth_grants). */
export interface HubSpotCredentials {
  accessToken?: string;
}

export type HubSpotSettings = StoredSettings<HubSpotConfig, HubSpotCredentials>;

/** HubSpot's private app tokens: `pat-` and the account's region, then a UUID. */
const PRIVATE_APP_TOKEN = /^pat-[a-z0-9]{2,8}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Custom event internal names: `pe` and the account id, then the event's name. */
const EVENT_NAME = /^pe\d+_[a-z0-9_]{1,100}$/;

/** The masked token shown after saving: `pat-na1-…9f3c`. */
export function hubspotHints(credentials: HubSpotCredentials): Record<string, string> {
  if (!credentials.accessToken) return {};
  const region = /^pat-[a-z0-9]+-/i.exec(credentials.accessToken)?.[0] ?? 'pat-';
  return { accessToken: credentialHint(credentials.accessToken, region) };
}

const input = z.object({
  accessToken: z.string().nullish(),
  action: z.enum(HUBSPOT_ACTIONS, { error: `must be one of ${HUBSPOT_ACTIONS.join(', ')}` }).nullish(),
  eventName: z.string().nullish(),
});

/**
 * The schema of the `hubspot` field: `{ accessToken?, action?, eventName? }`. Without
 * `accessToken` the connection authorizes through OAuth (`authorizeConnection`). SEND_EVENT needs
 * the custom event's internal name. When updating, fields left out keep theirs, the masked token
 * sent back keeps the stored one, and `accessToken: null` switches to OAuth.
 */
export function hubspotSettingsSchema(_context: SettingsContext, previous?: HubSpotSettings): z.ZodType<HubSpotSettings> {
  return input.transform((given, issues): HubSpotSettings => {
    const stored = previous?.credentials.accessToken;
    const masked = stored !== undefined && given.accessToken === hubspotHints({ accessToken: stored }).accessToken;
    const token = given.accessToken === undefined || masked ? stored : (given.accessToken ?? undefined);
    if (token !== undefined && !PRIVATE_APP_TOKEN.test(token.trim())) {
      issues.addIssue({ code: 'custom', path: ['accessToken'], message: 'must be a HubSpot private app token, "pat-na1-..." (leave it out to authorize through OAuth)' });
    }
    const action = given.action ?? previous?.config.action ?? 'UPSERT_CONTACT';
    const eventName = given.eventName === undefined ? (previous?.config.eventName ?? null) : given.eventName;
    if (action === 'SEND_EVENT' && !eventName) {
      issues.addIssue({ code: 'custom', path: ['eventName'], message: 'is required with action SEND_EVENT: the custom event\'s internal name, e.g. "pe1234567_order_completed"' });
    } else if (action === 'SEND_EVENT' && !EVENT_NAME.test(eventName!)) {
      issues.addIssue({ code: 'custom', path: ['eventName'], message: 'must be a custom event\'s internal name, "pe<account id>_<name>", e.g. "pe1234567_order_completed"' });
    } else if (action === 'UPSERT_CONTACT' && given.eventName) {
      issues.addIssue({ code: 'custom', path: ['eventName'], message: 'is for action SEND_EVENT; UPSERT_CONTACT upserts contacts by email' });
    }
    return {
      config: { action, eventName: action === 'SEND_EVENT' ? eventName : null, auth: token === undefined ? 'OAUTH' : 'PRIVATE_APP' },
      credentials: token === undefined ? {} : { accessToken: token.trim() },
    };
  });
}
