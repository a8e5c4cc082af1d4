import { useEffect, useState } from 'react';

/** The portal's screens. The delivery log keeps its filters in the query string, so a view can be shared. */
export type Route =
  | { screen: 'endpoints' }
  | { screen: 'endpoint'; id: string }
  | { screen: 'deliveries'; query: string }
  | { screen: 'delivery'; id: string };

let base = '/portal';

/** Every path of the app is under `/portal/s/<session id>`: a reload opens the same screen. */
export function setBase(sessionId: string): void {
  base = `/portal/s/${sessionId}`;
}

export function href(route: Route): string {
  switch (route.screen) {
    case 'endpoints':
      return base;
    case 'endpoint':
      return `${base}/endpoints/${encodeURIComponent(route.id)}`;
    case 'deliveries':
      return `${base}/deliveries${route.query ? `?${route.query}` : ''}`;
    case 'delivery':
      return `${base}/deliveries/${encodeURIComponent(route.id)}`;
  }
}

function parse(): Route {
  const rest = window.location.pathname.slice(base.length).split('/').filter(Boolean);
  if (rest[0] === 'endpoints' && rest[1]) return { screen: 'endpoint', id: decodeURIComponent(rest[1]) };
  if (rest[0] === 'deliveries' && rest[1]) return { screen: 'delivery', id: decodeURIComponent(rest[1]) };
  if (rest[0] === 'deliveries') return { screen: 'deliveries', query: window.location.search.slice(1) };
  return { screen: 'endpoints' };
}

const NAVIGATED = 'portal:navigated';

/** Goes to `route`; `replace` keeps the history as it is (filters changing, say). */
export function navigate(route: Route, options: { replace?: boolean } = {}): void {
  const target = href(route);
  if (options.replace) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
  window.dispatchEvent(new Event(NAVIGATED));
  if (!options.replace) window.scrollTo({ top: 0 });
}

/** The current route, following links, the back button and `navigate`. */
export function useRoute(): Route {
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const update = () => setRoute(parse());
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATED, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATED, update);
    };
  }, []);
  return route;
}
