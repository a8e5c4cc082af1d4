import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, expect } from 'vitest';
import type { Config } from '../../src/config.ts';
import { closeHttp } from '../../src/domains/deliveries/http/send-webhook.ts';
import { decodeId, encodeId } from '../../src/domains/public-ids.ts';
import type { GraphqlClient } from './graphql.ts';
import type { HubSpotContract } from './hubspot-contract.ts';
import { followConsent } from './oauth-contract.ts';
import type { SalesforceContract } from './salesforce-contract.ts';
import type { SlackContract } from './slack-contract.ts';
import { startTestServer, type TestServer } from './server.ts';

/** A connection of `kind` waiting for its first authorization, as one created without credentials is. */
export async function waitingConnection(db: pg.Client, workspaceId: string, kind: 'HUBSPOT' | 'SALESFORCE' | 'SLACK' | 'WEBHOOK', config: Record<string, unknown> = {}): Promise<{ id: string; publicId: string }> {
  const id = randomUUID();
  await db.query(
    `insert into connections (id, workspace_id, name, kind, status, status_reason, config, created_at, updated_at)
     values ($1, $2, $3, $4, 'NEEDS_REAUTH', 'not authorized yet', $5, now(), now())`,
    [id, decodeId('Workspace', workspaceId), `${kind.toLowerCase()}-${id.slice(0, 8)}`, kind, JSON.stringify(config)],
  );
  return { id, publicId: encodeId('Connection', id) };
}

export const AUTHORIZE = `mutation ($input: AuthorizeConnectionInput!) { authorizeConnection(input: $input) {
  ... on AuthorizeConnectionPayload { authorizationUrl expiresAt }
  ... on ValidationError { message issues { path message } }
  ... on Error { __typename message } } }`;

/** `authorizeConnection`'s answer for `connectionId`. */
export async function authorize(client: GraphqlClient, connectionId: string, returnUrl = 'https://app.example.com/integrations/done?tab=crm') {
  const { authorizeConnection } = await client.request<{ authorizeConnection: { authorizationUrl?: string; expiresAt?: string; message?: string; __typename?: string; issues?: unknown[] } }>(
    AUTHORIZE,
    { input: { connectionId, returnUrl } },
  );
  return authorizeConnection;
}

/** Authorizes `connectionId` through the provider's whole consent, as a person's browser would. */
export async function consentTo(client: GraphqlClient, connectionId: string): Promise<void> {
  const { authorizationUrl } = await authorize(client, connectionId);
  const consent = await followConsent(authorizationUrl!);
  expect(new URL(consent.location).searchParams.get('outcome')).toBe('authorized');
}

/** A test server whose OAuth apps and vendor URLs are the contract servers', with a database client for looking at rows. */
export interface OAuthTestServer {
  server: TestServer;
  config: Config;
  db: pg.Client;
}

/**
 * Starts Switchyard configured for `contracts` (their OAuth apps, API and login URLs), with
 * `overrides` on top of the test defaults, and a database client; both, and the contract
 * servers, are closed after the file's tests.
 */
export async function startOAuthTestServer(
  contracts: { hubspot?: HubSpotContract; salesforce?: SalesforceContract; slack?: SlackContract },
  overrides: Partial<Config> = {},
): Promise<OAuthTestServer> {
  const { hubspot, salesforce, slack } = contracts;
  const server = await startTestServer({
    ...overrides,
    ...(hubspot && { hubspotApiUrl: hubspot.apiUrl, hubspotAuthorizeUrl: hubspot.authorizeUrl, hubspotClientId: hubspot.oauth.clientId, hubspotClientSecret: hubspot.oauth.clientSecret }),
    ...(salesforce && { salesforceLoginUrl: salesforce.loginUrl, salesforceClientId: salesforce.oauth.clientId, salesforceClientSecret: salesforce.oauth.clientSecret }),
    ...(slack && { slackApiUrl: slack.apiUrl, slackAuthorizeUrl: slack.authorizeUrl, slackClientId: slack.oauth.clientId, slackClientSecret: slack.oauth.clientSecret }),
  });
  const db = new pg.Client(server.databaseUrl);
  await db.connect();
  afterAll(async () => {
    await db.end();
    await closeHttp();
    await hubspot?.close();
    await salesforce?.close();
    await slack?.close();
  });
  return { server, config: server.switchyard.services.config, db };
}

/** The environment that points a Switchyard process at `contracts`: their OAuth apps and their URLs. */
export function oauthEnvironment(contracts: { hubspot?: HubSpotContract; salesforce?: SalesforceContract; slack?: SlackContract }): Record<string, string> {
  const { hubspot, salesforce, slack } = contracts;
  return {
    ...(hubspot && {
      SWITCHYARD_HUBSPOT_API_URL: hubspot.apiUrl,
      SWITCHYARD_HUBSPOT_AUTHORIZE_URL: hubspot.authorizeUrl,
      SWITCHYARD_HUBSPOT_CLIENT_ID: hubspot.oauth.clientId,
      SWITCHYARD_HUBSPOT_CLIENT_SECRET: hubspot.oauth.clientSecret,
    }),
    ...(salesforce && {
      SWITCHYARD_SALESFORCE_LOGIN_URL: salesforce.loginUrl,
      SWITCHYARD_SALESFORCE_CLIENT_ID: salesforce.oauth.clientId,
      SWITCHYARD_SALESFORCE_CLIENT_SECRET: salesforce.oauth.clientSecret,
    }),
    ...(slack && {
      SWITCHYARD_SLACK_API_URL: slack.apiUrl,
      SWITCHYARD_SLACK_AUTHORIZE_URL: slack.authorizeUrl,
      SWITCHYARD_SLACK_CLIENT_ID: slack.oauth.clientId,
      SWITCHYARD_SLACK_CLIENT_SECRET: slack.oauth.clientSecret,
    }),
  };
}
