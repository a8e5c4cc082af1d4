import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../../services.ts';
import { PORTAL_DIST } from './build.ts';
import { decodeId } from '../../domains/public-ids.ts';
import { PORTAL_PATH } from '../../domains/portal/portal-session.service.ts';
import { portalFrame, type PortalBootstrap } from '../../domains/portal/portal-frame.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** Vite names every asset after its content hash, so a name never changes meaning. */
const ASSET = /^\/portal\/assets\/([A-Za-z0-9_.-]+)$/;
const SESSION_PAGE = /^\/portal\/s\/([A-Za-z0-9_]+)(?:\/[A-Za-z0-9_/-]*)?$/;
const BOOTSTRAP_MARK = '<!--portal-bootstrap-->';

/**
 * The headers every portal page carries. `frame-ancestors` is the workspace's allowed origins
 * (`'self'` without any), so only the product that embeds the portal can frame it; scripts,
 * styles and requests stay on this origin; no page is ever cached, and no URL leaves as a Referer.
 */
function pageHeaders(frameAncestors: string): Record<string, string> {
  const policy = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' https: data:",
    "connect-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${frameAncestors}`,
  ].join('; ');
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': policy,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  };
}

let indexHtml: Promise<string> | null = null;

/** The built `index.html`, read once per process (re-read after a failed read). */
function builtIndex(): Promise<string> {
  indexHtml ??= readFile(join(PORTAL_DIST, 'index.html'), 'utf8').catch((error: unknown) => {
    indexHtml = null;
    throw error;
  });
  return indexHtml;
}

/** `<script type="application/json">` is data, not code: the CSP has nothing to allow for it. */
function withBootstrap(html: string, bootstrap: PortalBootstrap): string {
  const json = JSON.stringify(bootstrap).replaceAll('<', '\\u003c');
  return html.replace(BOOTSTRAP_MARK, `<script type="application/json" id="portal-bootstrap">${json}</script>`);
}

async function servePage(services: Services, sessionPublicId: string | null, res: ServerResponse): Promise<void> {
  let sessionId: string | null = null;
  if (sessionPublicId) {
    try {
      sessionId = decodeId('PortalSession', sessionPublicId);
    } catch {
      sessionId = null;
    }
  }
  const frame = await portalFrame(services.orm.em.fork(), sessionId, sessionPublicId);
  let html: string;
  try {
    html = await builtIndex();
  } catch {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('The portal is not built yet: run `npm run build:portal` (npm install does it).');
    return;
  }
  res.writeHead(200, pageHeaders(frame.frameAncestors)).end(withBootstrap(html, frame.bootstrap));
}

async function serveAsset(name: string, res: ServerResponse): Promise<void> {
  try {
    const body = await readFile(join(PORTAL_DIST, 'assets', name));
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
      'cross-origin-resource-policy': 'same-origin',
    });
    res.end(body);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
  }
}

/**
 * Serves the portal under `/portal`: its hashed assets, and its page at `/portal` and
 * `/portal/s/<session id>` (and any path below, for the app's own routes). Returns false for
 * other URLs.
 */
export function handlePortal(services: Services, req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '/').split('?')[0]!;
  if (path !== PORTAL_PATH && !path.startsWith(`${PORTAL_PATH}/`)) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed');
    return true;
  }
  const asset = path.match(ASSET);
  const page = path.match(SESSION_PAGE);
  const done = asset
    ? serveAsset(asset[1]!, res)
    : page
      ? servePage(services, page[1]!, res)
      : path === PORTAL_PATH || path === `${PORTAL_PATH}/`
        ? servePage(services, null, res)
        : Promise.resolve(void res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found'));
  done.catch(() => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
    res.end();
  });
  return true;
}
