import type { DestinationKind } from '../destination-kind.ts';
import { defaultMember, memberFrom, type MailchimpMember } from './mailchimp-member.ts';
import { batchUpsertMembers, MAX_BATCH_MEMBERS, upsertMember } from './mailchimp-requests.ts';
import { mailchimpHints, mailchimpSettingsSchema, type MailchimpConfig, type MailchimpCredentials } from './mailchimp-settings.ts';

/**
 * MAILCHIMP: a member of an audience, added or updated by email. The action input is a member
 * `{ email, mergeFields?, tags?, status? }`; without a transform, the payload's email and names.
 * A backlog goes out in batches of up to 500 members, each member's outcome recorded on its own
 * delivery. Mailchimp allows 10 simultaneous connections per API key, so that is the default
 * concurrency.
 */
export const mailchimpKind: DestinationKind<MailchimpConfig, MailchimpCredentials, MailchimpMember> = {
  kind: 'MAILCHIMP',
  inputField: 'mailchimp',
  policy: { maxConcurrency: 10, reason: 'Mailchimp allows 10 simultaneous connections per API key' },
  signsRequests: false,

  settingsSchema: mailchimpSettingsSchema,
  credentialHints: mailchimpHints,

  actionInput(event, transformed, config) {
    return transformed ? memberFrom(transformed.value, config) : defaultMember(event, config);
  },

  perform: upsertMember,

  batch: {
    maxItems: MAX_BATCH_MEMBERS,
    // One address twice in a call would leave its outcome ambiguous; the second waits its turn.
    key: (member) => member.email.toLowerCase(),
    perform: batchUpsertMembers,
  },
};
