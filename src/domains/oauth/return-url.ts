/**
 * Where a consent may send a person back to when a portal session started it: the portal itself
 * (`{public url}/portal/...`) or an origin the workspace allows to frame it (`allowedOrigins`,
 * `https://*.example.com` matching its subdomains). A portal token is held in a customer's
 * browser, so an arbitrary `returnUrl` would make the callback an open redirect with the
 * server's name on it. A secret key belongs to the product itself, whose own pages may lie
 * anywhere, and is not held to this.
 */
export interface PortalReturns {
  /** The portal's own base, e.g. `https://switchyard.example.com/portal/`. */
  portalUrl: string;
  allowedOrigins: readonly string[];
}

function onOrigin(url: URL, allowed: string): boolean {
  const wildcard = /^(https?:)\/\/\*\.(.+)$/.exec(allowed);
  if (!wildcard) return url.origin === allowed;
  const [, protocol, rest] = wildcard;
  const base = new URL(`${protocol}//${rest}`);
  return url.protocol === protocol && url.port === base.port && url.hostname.endsWith(`.${base.hostname}`);
}

/** Why `returnUrl` may not be where a portal session's consent returns to, or undefined when it may. */
export function portalReturnProblem(returnUrl: string, returns: PortalReturns): string | undefined {
  const url = new URL(returnUrl);
  const portal = new URL(returns.portalUrl);
  if (url.origin === portal.origin && url.pathname.startsWith(portal.pathname)) return undefined;
  if (returns.allowedOrigins.some((allowed) => onOrigin(url, allowed))) return undefined;
  return `must lead back to the portal (${portal.origin}${portal.pathname}) or to an origin the workspace allows to embed it (updatePortalSettings allowedOrigins) when a portal session asks`;
}
