import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { isNonPublicAddress } from '../../connections/target-url.ts';

/** Error code of a target the guard refused; classified as REFUSED_TARGET. */
export const REFUSED_TARGET = 'EREFUSEDTARGET';

export class RefusedTargetError extends Error {
  readonly code = REFUSED_TARGET;
  constructor(host: string, address: string) {
    super(
      `${host} resolves to ${address}, a private, loopback or link-local address; ` +
        'set SWITCHYARD_ALLOW_PRIVATE_TARGETS=true on the server to allow such targets',
    );
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for sockets that resolves a host once, refuses it when any of its addresses is not
 * public, and hands the socket exactly the addresses it checked: no second resolution a DNS
 * rebinding attack could answer differently.
 */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const refused = addresses.find((entry) => isNonPublicAddress(entry.address));
    if (refused) return callback(new RefusedTargetError(hostname, refused.address), []);
    if (options.all) return callback(null, addresses);
    const [first] = addresses;
    if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
    callback(null, first.address, first.family);
  });
}

/** Literal IP hosts never reach a lookup, so they are checked before connecting. */
export function refusedLiteralHost(url: URL): RefusedTargetError | null {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) !== 0 && isNonPublicAddress(host) ? new RefusedTargetError(host, host) : null;
}
