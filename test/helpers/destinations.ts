import { randomUUID } from 'node:crypto';
import { defaultConfig } from '../../src/config.ts';
import type { ActionEvent, ActionTarget, DestinationKind, StoredSettings } from '../../src/domains/destinations/destination-kind.ts';
import { vendorClient } from '../../src/domains/destinations/http/vendor-client.ts';
import { vendorUrls, type VendorUrls } from '../../src/domains/destinations/vendor-urls.ts';
import { encodeId } from '../../src/domains/public-ids.ts';

/** Vendor URLs pointing at local contract servers. */
export function localVendors(urls: { slackApiUrl?: string; slackWebhookBaseUrl?: string; mailchimpApiUrl?: string; hubspotApiUrl?: string; salesforceLoginUrl?: string }): VendorUrls {
  return vendorUrls(defaultConfig(urls));
}

/** An event as an action sees it. */
export function actionEvent(overrides: Partial<ActionEvent> = {}): ActionEvent {
  const id = randomUUID();
  return {
    id,
    publicId: encodeId('Event', id),
    workspaceId: randomUUID(),
    type: 'order.completed',
    resource: 'order',
    resourceId: 'o_42',
    payload: { total: 4200, email: 'Ada.Lovelace@Example.com', firstName: 'Ada', lastName: 'Lovelace' },
    idempotencyKey: null,
    sequence: 7,
    createdAt: new Date('2026-12-01T10:00:00Z'),
    test: false,
    ...overrides,
  };
}

/** Settings parsed as `createConnection` (or, with `previous`, `updateConnection`) would. */
export function settingsOf<C, K, I>(
  kind: DestinationKind<C, K, I>,
  input: unknown,
  vendors: VendorUrls,
  previous?: StoredSettings<C, K>,
  allowPrivateTargets = false,
): { settings?: StoredSettings<C, K>; issues: { path: string; message: string }[] } {
  const parsed = kind.settingsSchema({ allowPrivateTargets, vendors }, previous).safeParse(input);
  if (parsed.success) return { settings: parsed.data, issues: [] };
  return { issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) };
}

/** What `perform` needs, for settings parsed by `settingsOf`. */
export function targetOf<C, K>(settings: StoredSettings<C, K>, vendors: VendorUrls, timeoutMs = 5_000): ActionTarget<C, K> {
  return {
    ...settings,
    deliveryId: encodeId('Delivery', randomUUID()),
    signingSecrets: [],
    timeoutMs,
    http: vendorClient({ maxResponseBytes: 64 * 1024, allowPrivateTargets: false }),
    vendors,
  };
}
