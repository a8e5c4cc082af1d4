import type { VendorBase } from '../destinations/vendor-urls.ts';

/**
 * Domains Salesforce serves orgs from (instances, My Domains, sandboxes, Government Cloud,
 * Salesforce in China). An `instance_url` elsewhere did not come from Salesforce, and sending a
 * token there would hand it away.
 */
const SALESFORCE_DOMAINS = ['salesforce.com', 'force.com', 'cloudforce.com', 'database.com', 'salesforce.mil', 'sfcrmproducts.cn'];

/**
 * Why `instanceUrl` may not receive a Salesforce grant's calls, or undefined when it may: it must
 * be an https origin on an official Salesforce domain, or on the configured login URL's host (a
 * proxy, a test server), with no path, credentials, query or fragment.
 */
export function salesforceInstanceProblem(instanceUrl: string | undefined, login: VendorBase): string | undefined {
  if (!instanceUrl) return 'Salesforce granted no instance_url';
  let url: URL;
  try {
    url = new URL(instanceUrl);
  } catch {
    return `Salesforce's instance_url ${JSON.stringify(instanceUrl.slice(0, 200))} is not a URL`;
  }
  const loginUrl = new URL(login.url);
  const onLoginHost = url.protocol === loginUrl.protocol && url.host === loginUrl.host;
  const official = url.protocol === 'https:' && url.port === '' && SALESFORCE_DOMAINS.some((domain) => url.hostname === domain || url.hostname.endsWith(`.${domain}`));
  if (!onLoginHost && !official) return `Salesforce's instance_url ${url.origin} is not on a Salesforce domain nor on ${loginUrl.host} (SWITCHYARD_SALESFORCE_LOGIN_URL)`;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return `Salesforce's instance_url ${url.origin} must be an origin alone`;
  return undefined;
}

/** The instance URL's origin, the base every data call of the grant must lie on. */
export function instanceBase(instanceUrl: string, login: VendorBase): VendorBase {
  const origin = new URL(instanceUrl).origin;
  return { url: origin, operatorChosen: login.operatorChosen && new URL(login.url).host === new URL(origin).host };
}
