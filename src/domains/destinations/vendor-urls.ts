import { HUBSPOT_API_URL, MAILCHIMP_API_URL, SALESFORCE_LOGIN_URL, SLACK_API_URL, SLACK_WEBHOOK_BASE_URL, type Config } from '../../config.ts';

/** One vendor's base URL, and whether the operator chose it instead of the vendor's own. */
export interface VendorBase {
  url: string;
  /**
   * The operator configured this base, so requests to it pass the private-address guard: a
   * proxy on the private network or a test server on 127.0.0.1 works without opening every
   * webhook to private targets. Connections never choose a vendor's host.
   */
  operatorChosen: boolean;
}

/** Where each vendor's API lives: its official base URL unless the operator configured another. */
export interface VendorUrls {
  /** `SWITCHYARD_SLACK_API_URL`, without a trailing slash. */
  slackApi: VendorBase;
  /** `SWITCHYARD_SLACK_WEBHOOK_BASE_URL`: every incoming webhook URL starts with it. */
  slackWebhooks: VendorBase;
  /** `SWITCHYARD_MAILCHIMP_API_URL`, where `{dc}` stands for the API key's data center. */
  mailchimpApi: VendorBase;
  /** `SWITCHYARD_HUBSPOT_API_URL`: the CRM and events APIs, and HubSpot's OAuth token endpoint. */
  hubspotApi: VendorBase;
  /**
   * `SWITCHYARD_SALESFORCE_LOGIN_URL`: Salesforce's OAuth endpoints. Data calls go to each
   * grant's own instance URL instead (salesforce-instance.ts).
   */
  salesforceLogin: VendorBase;
}

/** The vendor URLs of a configuration. */
export function vendorUrls(
  config: Pick<Config, 'slackApiUrl' | 'slackWebhookBaseUrl' | 'mailchimpApiUrl' | 'hubspotApiUrl' | 'salesforceLoginUrl'>,
): VendorUrls {
  const base = (url: string, official: string): VendorBase => ({ url, operatorChosen: url !== official });
  return {
    slackApi: base(config.slackApiUrl, SLACK_API_URL),
    slackWebhooks: base(config.slackWebhookBaseUrl, SLACK_WEBHOOK_BASE_URL),
    mailchimpApi: base(config.mailchimpApiUrl, MAILCHIMP_API_URL),
    hubspotApi: base(config.hubspotApiUrl, HUBSPOT_API_URL),
    salesforceLogin: base(config.salesforceLoginUrl, SALESFORCE_LOGIN_URL),
  };
}

/**
 * Whether `url` lies on `base`: the same scheme, host and port, and a path at or below the base's
 * path. Compared parsed, so `https://hooks.slack.com.evil.example` or
 * `https://hooks.slack.com@evil.example` are not on `https://hooks.slack.com`.
 */
export function isOnBase(url: URL, base: string): boolean {
  const root = new URL(base);
  if (url.protocol !== root.protocol || url.host !== root.host) return false;
  const prefix = root.pathname.endsWith('/') ? root.pathname : `${root.pathname}/`;
  return url.pathname === root.pathname || url.pathname.startsWith(prefix);
}
