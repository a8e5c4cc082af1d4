import type { AttemptErrorClass } from '../attempt.entity.ts';
import { REFUSED_TARGET } from './ssrf-guard.ts';

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA', 'ENODATA', 'ESERVFAIL']);
const CONNECT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);
const TLS_PREFIXES = ['ERR_TLS', 'ERR_SSL', 'CERT_', 'ERR_OSSL'];
const TLS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'HOSTNAME_MISMATCH',
]);

/** The code of an error or of the first error it wraps (undici wraps socket errors in `cause`). */
function codeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET' && code !== 'UND_ERR_ABORTED') return code;
    if (!cause) return typeof code === 'string' ? code : undefined;
    current = cause;
  }
  return undefined;
}

/**
 * Sorts a transport failure into the class an attempt records, with a message for people.
 * Every class but REFUSED_TARGET is worth retrying; a DNS failure especially (a record that does
 * not exist yet, a resolver hiccup), which is where webhook senders often go wrong.
 */
export function classifyError(error: unknown, target: URL): { errorClass: AttemptErrorClass; error: string } {
  const code = codeOf(error) ?? '';
  const message = error instanceof Error ? error.message : String(error);
  const where = `${target.hostname}:${target.port || (target.protocol === 'https:' ? 443 : 80)}`;
  if (code === REFUSED_TARGET) return { errorClass: 'REFUSED_TARGET', error: message };
  if (DNS.has(code)) return { errorClass: 'DNS', error: `DNS lookup failed for ${target.hostname}: ${code}` };
  if (CONNECT.has(code)) return { errorClass: 'CONNECT', error: `could not connect to ${where}: ${code}` };
  if (TLS.has(code) || TLS_PREFIXES.some((prefix) => code.startsWith(prefix))) {
    return { errorClass: 'TLS', error: `TLS failed with ${where}: ${code} ${message}`.trim() };
  }
  return { errorClass: 'NETWORK', error: `connection to ${where} failed: ${code || message}` };
}
