import { rememberedReturnUrl } from '../../session.ts';

const WHY = {
  EXPIRED: 'This session has expired.',
  REVOKED: 'This session was ended.',
  MISSING: 'This link does not open a session.',
} as const;

/** What an expired, revoked or broken link shows: a clear page, and the way back. */
export function SessionEnded({ why, sessionId }: { why: keyof typeof WHY; sessionId: string | null }) {
  const back = sessionId ? rememberedReturnUrl(sessionId) : null;
  return (
    <main className="session-ended">
      <h1>Session expired</h1>
      <p>{WHY[why]} Open the webhooks page again from the app to start a new one.</p>
      {back && (
        <p>
          <a className="button button-primary" href={back} target="_top">
            Back to the app
          </a>
        </p>
      )}
    </main>
  );
}
