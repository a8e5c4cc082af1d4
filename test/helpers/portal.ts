import type { GraphqlClient } from './graphql.ts';

export const CREATE_PORTAL_SESSION = `mutation ($input: CreatePortalSessionInput!) { createPortalSession(input: $input) {
  __typename
  ... on CreatePortalSessionPayload { url token sessionId expiresAt capabilities }
  ... on ValidationError { issues { path message } } } }`;

export interface OpenedPortalSession {
  url: string;
  token: string;
  sessionId: string;
  expiresAt: string;
  capabilities: string[];
}

/** Opens a portal session with the workspace's secret key (every capability unless given). */
export async function openPortalSession(secret: GraphqlClient, input: Record<string, unknown> = {}): Promise<OpenedPortalSession> {
  const { createPortalSession } = await secret.request(CREATE_PORTAL_SESSION, { input });
  if (createPortalSession.__typename !== 'CreatePortalSessionPayload') throw new Error(JSON.stringify(createPortalSession));
  return createPortalSession;
}

/** Sets the workspace's portal settings; throws on a typed error. */
export async function setPortalSettings(secret: GraphqlClient, input: Record<string, unknown>) {
  const { updatePortalSettings } = await secret.request(
    `mutation ($input: UpdatePortalSettingsInput!) { updatePortalSettings(input: $input) {
       __typename ... on UpdatePortalSettingsPayload { portalSettings { allowedOrigins displayName brandColor logoUrl } }
       ... on ValidationError { issues { path message } } } }`,
    { input },
  );
  return updatePortalSettings;
}
