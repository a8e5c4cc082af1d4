import { BlockList, isIP } from 'node:net';

/** Longest target URL accepted. (Default: 2048 characters) */
export const MAX_URL_LENGTH = 2048;

/**
 * Address ranges that are not on the public internet (IANA special-purpose registries):
 * loopback, private, carrier-grade NAT, link-local (cloud metadata lives at 169.254.169.254),
 * documentation, benchmarking, multicast and reserved. IPv4-mapped IPv6 addresses
 * (`::ffff:127.0.0.1`) are matched against the IPv4 ranges.
 */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/**
 * Whether `address` (an IPv4 or IPv6 literal, without brackets) is private, loopback,
 * link-local or otherwise not publicly routable. The delivery-time SSRF guard applies the same
 * test to every address a host name resolves to.
 */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function isLocalhost(hostname: string): boolean {
  const name = hostname.replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Checks a connection's target URL when it is saved and returns it normalised, or the problem.
 * Only literal hosts can be judged here; names are resolved and checked again on every delivery.
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
  if (!options.allowPrivateTargets && (isLocalhost(host) || isNonPublicAddress(host))) {
    return {
      problem:
        `points at a private, loopback or link-local host (${host}); ` +
        'set SWITCHYARD_ALLOW_PRIVATE_TARGETS=true on the server to allow such targets',
    };
  }
  return { url: url.href };
}
