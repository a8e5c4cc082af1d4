import * as ops from '../generated/graphql.ts';
import { unwrap } from '../errors.ts';
import type { Request } from '../transport.ts';
import type { CreatePortalSessionInput, PortalSession, PortalSettings, UpdatePortalSettingsInput } from '../types.ts';

/** `client.portal`: sessions of the customer portal and its settings (secret key). */
export function portalApi(request: Request) {
  return {
    /**
     * Opens the customer portal for this workspace (secret key): frame `url` in your product, or
     * open it. Capabilities default to all; the session lasts an hour unless `expiresInSeconds` says.
     */
    async createSession(input: CreatePortalSessionInput = {}): Promise<PortalSession> {
      const { __typename, ...session } = unwrap((await request(ops.CreatePortalSessionDocument, { input }, 'unsent')).createPortalSession);
      return session;
    },
    /** Ends these portal sessions, or every one of the workspace when none is given; returns those ended now. */
    async revokeSessions(sessionIds?: string[]): Promise<string[]> {
      const input = sessionIds ? { sessionIds } : {};
      return unwrap((await request(ops.RevokePortalSessionsDocument, { input }, 'always')).revokePortalSessions).revokedSessionIds;
    },
    /** Sets the portal's look and the origins allowed to frame it; left out stays, null clears. */
    async updateSettings(input: UpdatePortalSettingsInput): Promise<PortalSettings> {
      return unwrap((await request(ops.UpdatePortalSettingsDocument, { input }, 'always')).updatePortalSettings).portalSettings;
    },
  };
}
