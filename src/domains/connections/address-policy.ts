import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which IP addresses a delivery may go to: one policy, used when a connection is saved (its
 * literal host) and on every delivery (every address its host name resolves to).
 *
 * The ranges are ipaddr.js's registry of special-purpose blocks (IANA's IPv4 and IPv6
 * special-purpose registries): an address is public when ipaddr.js calls it plain `unicast`.
 * IPv6 forms that carry an IPv4 address a packet may end up at are judged by that IPv4 address:
 * IPv4-mapped, IPv4-translated (SIIT), IPv4-compatible, NAT64's well-known prefix and 6to4. A
 * NAT64 gateway would otherwise take `64:ff9b::a9fe:a9fe` to the cloud metadata service.
 * Teredo (`2001::/32`) hides its real endpoint and is refused outright, like every other range.
 */

/** IPv4-compatible addresses (`::a.b.c.d`, RFC 4291 2.5.5.1), deprecated and absent from ipaddr.js's registry. */
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');
/** NAT64's well-known prefix (RFC 6052); its local-use sibling 64:ff9b:1::/48 stays refused. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/** The IPv4 address that `address` forwards to, when it is one of the forms that embed one. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const bytes = address.toByteArray();
  const range = address.range();
  const last32 = () => new ipaddr.IPv4(bytes.slice(12, 16));
  if (range === 'ipv4Mapped' || range === 'rfc6145') return last32();
  if (range === 'rfc6052' && address.match(NAT64_WELL_KNOWN)) return last32();
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6));
  // `::` and `::1` are in this block too; they are judged as what they are, unspecified and loopback.
  if (range === 'unicast' && address.match(IPV4_COMPATIBLE)) return last32();
  return null;
}

/**
 * The special-purpose range `address` belongs to (`loopback`, `private`, `linkLocal`,
 * `uniqueLocal`, `teredo`, `ipv4Mapped(loopback)` ...), or null when it is a public address.
 * Anything that is not an IP literal is `not an IP address`: the policy never guesses.
 */
export function nonPublicRange(address: string): string | null {
  const plain = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const family = isIP(plain);
  if (family === 0) return 'not an IP address';
  if (family === 4) {
    const range = ipaddr.IPv4.parse(plain).range();
    return range === 'unicast' ? null : range;
  }
  const parsed = ipaddr.IPv6.parse(plain);
  const embedded = embeddedIPv4(parsed);
  if (embedded) {
    const inner = embedded.range();
    return inner === 'unicast' ? null : `${parsed.range()}(${inner})`;
  }
  const range = parsed.range();
  return range === 'unicast' ? null : range;
}

/** Whether `address` (an IPv4 or IPv6 literal, brackets and zone allowed) may be delivered to. */
export function isPublicAddress(address: string): boolean {
  return nonPublicRange(address) === null;
}
