import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { vendorUrls } from '../src/domains/destinations/vendor-urls.ts';
import { oauthProvider } from '../src/domains/oauth/oauth-providers.ts';

describe('vendor URLs', () => {
  it("are each vendor's official ones unless configured: APIs, webhook base, consent pages and token endpoints", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      slackApiUrl: 'https://slack.com/api',
      slackWebhookBaseUrl: 'https://hooks.slack.com',
      mailchimpApiUrl: 'https://{dc}.api.mailchimp.com/3.0',
      hubspotApiUrl: 'https://api.hubapi.com',
      hubspotAuthorizeUrl: 'https://app.hubspot.com/oauth/authorize',
      salesforceLoginUrl: 'https://login.salesforce.com',
      slackAuthorizeUrl: 'https://slack.com/oauth/v2/authorize',
    });
    // The official bases are not the operator's choice: requests to them get no pass through the private-address guard.
    expect(Object.values(vendorUrls(config)).every((base) => !base.operatorChosen)).toBe(true);
    const endpoints = (['HUBSPOT', 'SALESFORCE', 'SLACK'] as const).map((kind) => {
      const { authorizeUrl, tokenUrl } = oauthProvider(config, kind)!;
      return [kind, authorizeUrl, tokenUrl];
    });
    expect(endpoints).toEqual([
      ['HUBSPOT', 'https://app.hubspot.com/oauth/authorize', 'https://api.hubapi.com/oauth/v1/token'],
      ['SALESFORCE', 'https://login.salesforce.com/services/oauth2/authorize', 'https://login.salesforce.com/services/oauth2/token'],
      ['SLACK', 'https://slack.com/oauth/v2/authorize', 'https://slack.com/api/oauth.v2.access'],
    ]);
  });

  it('move with their variables: a sandbox, a proxy or a test server', () => {
    const config = loadConfig({
      SWITCHYARD_HUBSPOT_API_URL: 'http://127.0.0.1:9001',
      SWITCHYARD_SALESFORCE_LOGIN_URL: 'https://test.salesforce.com',
      SWITCHYARD_SLACK_API_URL: 'http://127.0.0.1:9002/api',
    });
    expect(oauthProvider(config, 'HUBSPOT')!.tokenUrl).toBe('http://127.0.0.1:9001/oauth/v1/token');
    expect(oauthProvider(config, 'SALESFORCE')!.authorizeUrl).toBe('https://test.salesforce.com/services/oauth2/authorize');
    expect(oauthProvider(config, 'SLACK')!.tokenUrl).toBe('http://127.0.0.1:9002/api/oauth.v2.access');
    expect(vendorUrls(config).hubspotApi).toEqual({ url: 'http://127.0.0.1:9001', operatorChosen: true });
  });
});
