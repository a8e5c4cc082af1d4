import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createApi, SessionEndedError } from './api/client.ts';
import { PortalHomeDocument, type PortalHomeQuery } from './api/generated.ts';
import { PortalContext, type Portal } from './portal-context.tsx';
import { dropToken, rememberReturnUrl, type Bootstrap } from './session.ts';
import { applyBrandColor } from './theme.ts';
import { Shell } from './shell.tsx';
import { SessionEnded } from './scenes/session-ended/SessionEnded.tsx';

type State =
  | { phase: 'loading' }
  | { phase: 'ready'; home: PortalHomeQuery }
  | { phase: 'ended'; why: 'EXPIRED' | 'REVOKED' | 'MISSING' }
  | { phase: 'failed'; message: string };

/** Opens the session: checks the token with the API, then shows the portal or why it cannot. */
export function App({ bootstrap, token }: { bootstrap: Bootstrap; token: string | null }) {
  const initial: State =
    bootstrap.state === 'EXPIRED' || bootstrap.state === 'REVOKED'
      ? { phase: 'ended', why: bootstrap.state }
      : !token
        ? { phase: 'ended', why: 'MISSING' }
        : { phase: 'loading' };
  const [state, setState] = useState<State>(initial);
  const [message, setMessage] = useState('');
  const ended = useCallback(() => {
    if (bootstrap.sessionId) dropToken(bootstrap.sessionId);
    setState({ phase: 'ended', why: 'EXPIRED' });
  }, [bootstrap.sessionId]);
  const api = useMemo(() => (token ? createApi(token, ended) : null), [token, ended]);
  useEffect(() => () => api?.close(), [api]);

  useEffect(() => {
    if (!api || state.phase !== 'loading') return;
    api.request(PortalHomeDocument).then(
      (home) => {
        applyBrandColor(home.workspace.portalSettings.brandColor);
        if (bootstrap.sessionId) rememberReturnUrl(bootstrap.sessionId, home.portalSession.returnUrl);
        setState({ phase: 'ready', home });
      },
      (error: unknown) => {
        if (!(error instanceof SessionEndedError)) setState({ phase: 'failed', message: (error as Error).message });
      },
    );
  }, [api, state.phase, bootstrap.sessionId]);

  // The session ends on its own at expiresAt: say so then, rather than at the next failed request.
  const expiresAt = state.phase === 'ready' ? state.home.portalSession.expiresAt : null;
  useEffect(() => {
    if (!expiresAt) return;
    const timer = setTimeout(ended, Math.max(0, new Date(expiresAt).getTime() - Date.now()));
    return () => clearTimeout(timer);
  }, [expiresAt, ended]);

  const announceTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const announce = useCallback((text: string) => {
    setMessage(text);
    clearTimeout(announceTimer.current);
    announceTimer.current = setTimeout(() => setMessage(''), 5000);
  }, []);

  const portal = useMemo<Portal | null>(() => {
    if (state.phase !== 'ready' || !api) return null;
    const { portalSession, workspace } = state.home;
    return { api, session: portalSession, workspace, can: (capability) => portalSession.capabilities.includes(capability), announce };
  }, [state, api, announce]);

  return (
    <>
      {state.phase === 'loading' && <p className="page-message" role="status">Loading…</p>}
      {state.phase === 'failed' && (
        <p className="page-message" role="alert">
          The portal could not load: {state.message}
        </p>
      )}
      {state.phase === 'ended' && <SessionEnded why={state.why} sessionId={bootstrap.sessionId} />}
      {portal && (
        <PortalContext.Provider value={portal}>
          <Shell />
        </PortalContext.Provider>
      )}
      <div className="visually-hidden" role="status" aria-live="polite">
        {message}
      </div>
      {message && (
        <div className="toast" aria-hidden="true">
          {message}
        </div>
      )}
    </>
  );
}
