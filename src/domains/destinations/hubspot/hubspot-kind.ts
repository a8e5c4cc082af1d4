import type { DestinationKind } from '../destination-kind.ts';
import { defaultHubSpotInput, hubspotInputFrom, type HubSpotInput } from './hubspot-input.ts';
import { MAX_BATCH_CONTACTS, performHubSpot, performHubSpotBatch } from './hubspot-requests.ts';
import { hubspotHints, hubspotSettingsSchema, type HubSpotConfig, type HubSpotCredentials } from './hubspot-settings.ts';

/**
 * HUBSPOT: a contact upserted by email (`UPSERT_CONTACT`, the default) or a custom event sent
 * about one (`SEND_EVENT`), with a private app token or OAuth. The action input is
 * `{ email, properties }` (and `occurredAt` for an event); without a transform, the payload's
 * email, names, phone and company. A backlog of contacts goes out in batch upserts of up to 100,
 * each contact's outcome recorded on its own delivery. HubSpot allows 100 to 190 requests per 10
 * seconds per app and account, so the default is 10 a second per connection.
 */
export const hubspotKind: DestinationKind<HubSpotConfig, HubSpotCredentials, HubSpotInput> = {
  kind: 'HUBSPOT',
  inputField: 'hubspot',
  policy: { rateLimitPerSecond: 10, reason: 'HubSpot allows 100 to 190 requests per 10 seconds per app and account' },
  signsRequests: false,
  oauth: { needsAuthorization: ({ config }) => config.auth === 'OAUTH' },

  settingsSchema: hubspotSettingsSchema,
  credentialHints: hubspotHints,

  actionInput(event, transformed, config) {
    return transformed ? hubspotInputFrom(transformed.value, config, event) : defaultHubSpotInput(event, config);
  },

  perform: performHubSpot,

  batch: {
    maxItems: MAX_BATCH_CONTACTS,
    // Events have no batch endpoint: each goes in a call of its own, paying its own token.
    appliesTo: (config) => config.action === 'UPSERT_CONTACT',
    // HubSpot refuses a batch naming one contact twice; the second waits for the next call.
    key: (input) => input.email.toLowerCase(),
    perform: performHubSpotBatch,
  },
};
