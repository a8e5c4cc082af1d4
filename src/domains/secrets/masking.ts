/**
 * Credentials as people may see them: masked. Used wherever a value that may carry one is shown
 * or recorded (a connection's headers, an attempt's URL and error).
 */

/** Header (and query parameter) names whose values are credentials. */
const SENSITIVE = /auth|cookie|token|secret|key|password|passwd|signature|session|credential|^sig$|^code$/i;

/** Whether a header or query parameter named `name` carries a credential. */
export function isSensitiveName(name: string): boolean {
  return SENSITIVE.test(name);
}

/** The masked form of a credential: its last 4 characters when it is long enough to spare them. */
export function maskedValue(value: string): string {
  return value.length >= 16 ? `…${value.slice(-4)}` : '…';
}

/** `headers` with the values of credential-like headers masked. */
export function maskedHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isSensitiveName(name) ? maskedValue(value) : value]));
}

/**
 * `url` with its credentials masked: a user name and password, and the values of query
 * parameters whose names say they are credentials (`?token=`, `api_key=`, `sig=` ...). Text that
 * is not a URL comes back as it was.
 */
export function maskUrlCredentials(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  let changed = false;
  if (parsed.username || parsed.password) {
    parsed.username = parsed.username ? '…' : '';
    parsed.password = parsed.password ? '…' : '';
    changed = true;
  }
  for (const [name, value] of [...parsed.searchParams]) {
    if (isSensitiveName(name) && value) {
      parsed.searchParams.set(name, '…');
      changed = true;
    }
  }
  return changed ? parsed.href : url;
}

/** Every URL inside `text` (an error message, say) with its credentials masked. */
export function maskUrlsIn(text: string): string {
  return text.replace(/\bhttps?:\/\/[^\s"'<>]+/g, (url) => maskUrlCredentials(url));
}
