import type { AttemptErrorClass } from '../attempt.entity.ts';
import { REFUSED_TARGET } from './ssrf-guard.ts';

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA', 'ENODATA', 'ESERVFAIL', 'ETIMEOUT']);
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL']);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const TLS_PREFIXES = ['ERR_TLS', 'ERR_SSL', 'CERT_', 'ERR_OSSL'];
const TLS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'HOSTNAME_MISMATCH',
]);
/** undici's wrappers: their code says little, the error they wrap says what happened. */
const WRAPPERS = new Set(['UND_ERR_SOCKET', 'UND_ERR_ABORTED']);

interface Failure {
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
  message?: unknown;
  reason?: unknown;
  address?: unknown;
  port?: unknown;
}

/**
 * The innermost error that says what went wrong: undici wraps socket errors in `cause`, and a
 * connection tried on several addresses fails with an AggregateError of them all.
 */
function rootOf(error: unknown): Failure {
  let current = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as Failure;
  for (let depth = 0; depth < 5; depth++) {
    const inner = current.cause ?? (Array.isArray(current.errors) ? current.errors[0] : undefined);
    const wrapper = typeof current.code !== 'string' || WRAPPERS.has(current.code) || Array.isArray(current.errors);
    if (!wrapper || typeof inner !== 'object' || inner === null) return current;
    current = inner as Failure;
  }
  return current;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** Message for an attempt that ran out of time, before or after the response's headers came. */
export function timeoutMessage(target: URL, timeoutMs: number, statusCode?: number): string {
  return statusCode === undefined
    ? `no response from ${target.host} within ${seconds(timeoutMs)}`
    : `the response from ${target.host} (HTTP ${statusCode}) did not complete within ${seconds(timeoutMs)}`;
}

/**
 * Sorts a transport failure into the class an attempt records, with a message for people.
 * Every class but REFUSED_TARGET is worth retrying; a DNS failure especially (a record that does
 * not exist yet, a resolver hiccup), which is where webhook senders often go wrong.
 */
export function classifyError(error: unknown, target: URL): { errorClass: AttemptErrorClass; error: string } {
  const root = rootOf(error);
  const code = typeof root.code === 'string' ? root.code : '';
  const message = typeof root.message === 'string' ? root.message : '';
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  // A name's address is worth showing: it tells which of several A/AAAA records failed.
  const where = `${host}:${port}${typeof root.address === 'string' && root.address !== host ? ` (${root.address})` : ''}`;
  // OpenSSL reports some handshake failures as a bare EPROTO; only a TLS target can mean that.
  const tls = TLS.has(code) || TLS_PREFIXES.some((prefix) => code.startsWith(prefix)) || (code === 'EPROTO' && target.protocol === 'https:');
  if (code === REFUSED_TARGET) return { errorClass: 'REFUSED_TARGET', error: message };
  if (DNS.has(code)) return { errorClass: 'DNS', error: `DNS lookup failed for ${target.hostname}: ${code}` };
  if (code === 'ECONNREFUSED') return { errorClass: 'CONNECT', error: `connection refused by ${where}` };
  if (UNREACHABLE.has(code)) return { errorClass: 'CONNECT', error: `${where} is unreachable: ${code}` };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { errorClass: 'CONNECT', error: `could not connect to ${where}: connect timeout` };
  if (TIMEOUTS.has(code)) return { errorClass: 'TIMEOUT', error: `${target.host} took too long to answer: ${code}` };
  if (tls) {
    const reason = typeof root.reason === 'string' ? root.reason : message;
    return { errorClass: 'TLS', error: `TLS with ${where} failed: ${code}${reason ? ` (${reason})` : ''}` };
  }
  if (code === 'UND_ERR_SOCKET') return { errorClass: 'NETWORK', error: `${where} closed the connection before the response was complete` };
  if (code === 'ECONNRESET' || code === 'EPIPE') return { errorClass: 'NETWORK', error: `connection to ${where} was reset (${code})` };
  return { errorClass: 'NETWORK', error: `request to ${where} failed: ${[code, message].filter(Boolean).join(' ')}` };
}
