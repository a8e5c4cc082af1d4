import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from '../../connections/address-policy.ts';

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

/**
 * Whether the delivery-time SSRF guard refuses an address: everything the address policy does
 * not call public (address-policy.ts), the same policy that checks a URL when it is saved.
 */
export function isRefusedAddress(address: string): boolean {
  return !isPublicAddress(address);
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
