import { isIP } from 'node:net';
import { nonPublicRange } from './address-policy.ts';

/** Longest target URL accepted. */
export const MAX_URL_LENGTH = 2048;

function isLocalhost(hostname: string): boolean {
  const name = hostname.replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Checks a connection's target URL when it is saved and returns it normalised, or the problem.
 * Only literal hosts can be judged here, by the same address policy as every delivery
 * (address-policy.ts); names are resolved and checked on every delivery.
 */
export function checkTargetUrl(
  raw: string,
  options: { allowPrivateTargets: boolean },
): { url: string; problem?: undefined } | { url?: undefined; problem: string } {
  if (raw.length > MAX_URL_LENGTH) return { problem: `must be at most ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { problem: 'must be an absolute http:// or https:// URL, e.g. "https://example.com/webhooks"' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { problem: `must use http or https, not "${url.protocol.slice(0, -1)}"` };
  }
  if (url.username || url.password) {
    return { problem: 'must not contain credentials; send them in a header such as "authorization" instead' };
  }
  if (url.href.length > MAX_URL_LENGTH) return { problem: `must be at most ${MAX_URL_LENGTH} characters` };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!options.allowPrivateTargets && (isLocalhost(host) || (isIP(host) !== 0 && nonPublicRange(host) !== null))) {
    return {
      problem:
        `points at a private, loopback or link-local host (${host}); ` +
        'set SWITCHYARD_ALLOW_PRIVATE_TARGETS=true on the server to allow such targets',
    };
  }
  return { url: url.href };
}
