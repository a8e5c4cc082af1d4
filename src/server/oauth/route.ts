import type { IncomingMessage, ServerResponse } from 'node:http';
import { vendorClient } from '../../domains/destinations/http/vendor-client.ts';
import { callbackUrl, OAUTH_CALLBACK_PATH } from '../../domains/oauth/authorize-connection.ts';
import { completeAuthorization } from '../../domains/oauth/complete-authorization.ts';
import type { Services } from '../../services.ts';

/** Headers of the callback's answers: never cached, no Referer carrying the code onward, no framing. */
const HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
};

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, message: string): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2328}</style>
<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></html>`;
}

/**
 * `GET /oauth/callback`, where every provider sends people back after consent: the answer is a
 * redirect to the consent's return URL with the outcome, or a page saying why the link was
 * refused. Returns whether the request was this route's.
 */
export function handleOAuthCallback(services: Services, req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? '/', 'http://callback.invalid');
  if (url.pathname !== OAUTH_CALLBACK_PATH) return false;
  if (req.method !== 'GET') {
    res.writeHead(405, { ...HEADERS, allow: 'GET', 'content-type': 'text/plain' }).end('Method not allowed');
    return true;
  }
  const { config } = services;
  const http = vendorClient({ maxResponseBytes: config.maxResponseBytes, allowPrivateTargets: config.allowPrivateTargets });
  completeAuthorization(services.orm.em.fork(), config, http, url.searchParams, callbackUrl(config, services.apiUrl ?? '')).then(
    (answer) => {
      if (answer.kind === 'redirect') res.writeHead(302, { ...HEADERS, location: answer.location }).end();
      else res.writeHead(400, { ...HEADERS, 'content-type': 'text/html; charset=utf-8' }).end(page('Authorization refused', answer.message));
    },
    () => {
      if (!res.headersSent) res.writeHead(503, { ...HEADERS, 'content-type': 'text/html; charset=utf-8', 'retry-after': '5' });
      res.end(page('Try again', 'The authorization could not be completed just now. Go back to the application and start it again.'));
    },
  );
  return true;
}
