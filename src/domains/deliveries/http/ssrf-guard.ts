import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { isNonPublicAddress } from '../../connections/target-url.ts';

/** Error code of a target the guard refused; classified as REFUSED_TARGET. */
export const REFUSED_TARGET = 'EREFUSEDTARGET';

export class RefusedTargetError extends Error {
  readonly code = REFUSED_TARGET;
  constructor(host: string, address: string) {
    const subject = host === address ? address : `${host} resolves to ${address}, which`;
    super(
      `${subject} is a private, loopback, link-local or otherwise non-public address; ` +
        'deliveries to it are refused unless the server sets SWITCHYARD_ALLOW_PRIVATE_TARGETS=true',
    );
  }
}

/** The eight 16-bit groups of an IPv6 literal that `isIP` accepted (dotted IPv4 tail allowed). */
function ipv6Groups(address: string): number[] {
  const hex = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);
  const [head = '', tail] = hex.split('::');
  const parse = (part: string) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}

function ipv4Of(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/**
 * The IPv4 address an IPv6 address carries and that a packet to it may end up at: mapped
 * (`::ffff:a.b.c.d`, which `isNonPublicAddress` already matches), compatible (`::a.b.c.d`),
 * SIIT-translated (`::ffff:0:a.b.c.d`), NAT64 well-known prefix (`64:ff9b::a.b.c.d`) and 6to4
 * (`2002:aabb:ccdd::`). Without this, `64:ff9b::a9fe:a9fe` would reach the cloud metadata service
 * through a NAT64 gateway.
 */
function embeddedIPv4(groups: number[]): string | undefined {
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = groups;
  const zeroUpTo = (count: number) => groups.slice(0, count).every((group) => group === 0);
  if (zeroUpTo(5) && (g5 === 0 || g5 === 0xffff)) return ipv4Of(g6, g7);
  if (zeroUpTo(4) && g4 === 0xffff && g5 === 0) return ipv4Of(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && [g2, g3, g4, g5].every((group) => group === 0)) return ipv4Of(g6, g7);
  if (g0 === 0x2002) return ipv4Of(g1 ?? 0, g2 ?? 0);
  return undefined;
}

/**
 * Whether the delivery-time SSRF guard refuses an address: private, loopback, link-local,
 * unique-local, CGNAT, multicast, unspecified, documentation and reserved ranges, IPv6 addresses
 * that embed such an IPv4 address, and Teredo (`2001::/32`, whose real endpoint is hidden).
 * Anything that is not an IP literal is refused too: the guard never guesses.
 */
export function isRefusedAddress(address: string): boolean {
  const plain = address.replace(/%.*$/, '');
  const family = isIP(plain);
  if (family === 0) return true;
  if (isNonPublicAddress(plain)) return true;
  if (family === 4) return false;
  const groups = ipv6Groups(plain);
  if (groups[0] === 0x2001 && groups[1] === 0) return true;
  const embedded = embeddedIPv4(groups);
  return embedded !== undefined && isNonPublicAddress(embedded);
}

/**
 * The `lookup` the delivery sockets use: resolves a host once (every address), refuses it when
 * any address is not public (unless private targets are allowed), and hands the socket exactly
 * the addresses it checked, so there is no second resolution a DNS rebinding attack could answer
 * differently. Used in both modes so that every delivery resolves the same way.
 */
export function guardedLookup(allowPrivateTargets: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = allowPrivateTargets ? undefined : addresses.find((entry) => isRefusedAddress(entry.address));
      if (refused) return callback(new RefusedTargetError(hostname, refused.address), []);
      const [first] = addresses;
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      if (options.all) return callback(null, addresses);
      callback(null, first.address, first.family);
    });
  };
}

/** Literal IP hosts never reach a lookup, so they are checked before connecting. */
export function refusedLiteralHost(url: URL): RefusedTargetError | null {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) !== 0 && isRefusedAddress(host) ? new RefusedTargetError(host, host) : null;
}
