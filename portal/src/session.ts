/** What the server put in the page before any script ran (see src/server/portal/route.ts). */
export interface Bootstrap {
  sessionId: string | null;
  state: 'ACTIVE' | 'EXPIRED' | 'REVOKED' | 'UNKNOWN';
}

export function readBootstrap(): Bootstrap {
  const element = document.getElementById('portal-bootstrap');
  if (!element?.textContent) return { sessionId: null, state: 'UNKNOWN' };
  return JSON.parse(element.textContent) as Bootstrap;
}

const storageKey = (sessionId: string) => `switchyard-portal:${sessionId}`;

/**
 * The session's token. It arrives in the URL fragment, which no server sees; it moves to session
 * storage (this tab only, gone when the tab closes) and the fragment is cleared at once, so it is
 * neither in the address bar nor in the history nor in a bookmark.
 */
export function takeToken(sessionId: string): string | null {
  const fragment = decodeURIComponent(window.location.hash.slice(1));
  if (fragment.startsWith('sy_ps_')) {
    sessionStorage.setItem(storageKey(sessionId), fragment);
    history.replaceState(history.state, '', window.location.pathname + window.location.search);
    return fragment;
  }
  return sessionStorage.getItem(storageKey(sessionId));
}

/** Forgets the token: the session ended. */
export function dropToken(sessionId: string): void {
  sessionStorage.removeItem(storageKey(sessionId));
}

const returnKey = (sessionId: string) => `switchyard-portal-return:${sessionId}`;

/** Where "Back to the app" leads, kept so the ended-session page can still offer it. */
export function rememberReturnUrl(sessionId: string, url: string | null): void {
  if (url) sessionStorage.setItem(returnKey(sessionId), url);
}

export function rememberedReturnUrl(sessionId: string): string | null {
  return sessionStorage.getItem(returnKey(sessionId));
}
