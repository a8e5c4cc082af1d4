import { randomBytes } from 'node:crypto';
import { injectedFaults, startContractServer, type ContractReply, type ContractRequest, type ContractServer } from './contract-server.ts';
import { oauthProvider, type OAuthProvider } from './oauth-contract.ts';

/**
 * A local stand-in for Salesforce that behaves as Salesforce documents it: the web server OAuth
 * flow at `/services/oauth2/authorize` and `/services/oauth2/token` (PKCE; answers with
 * `instance_url`, `issued_at`, no `expires_in`; refresh answers without a refresh token;
 * `invalid_grant` for a revoked one), and upserts by external id
 * (`PATCH {instance}/services/data/v62.0/sobjects/{sobject}/{field}/{value}`: 201 created, 200
 * updated, 300 multiple matches) with errors as `[{ message, errorCode, fields }]`: 401
 * `INVALID_SESSION_ID`, 403 `REQUEST_LIMIT_EXCEEDED`, 400 `UNABLE_TO_LOCK_ROW`, `INVALID_FIELD`,
 * `REQUIRED_FIELD_MISSING`. The instance is this server itself, on the login URL's host.
 */
export interface SalesforceContract {
  server: ContractServer;
  oauth: OAuthProvider;
  /** What to configure as `SWITCHYARD_SALESFORCE_LOGIN_URL`; also the `instance_url` it grants. */
  loginUrl: string;
  /** Records by sobject, then by external id. */
  readonly records: Map<string, Map<string, { id: string; fields: Record<string, unknown> }>>;
  /** Two records of `sobject` share `externalId`: the next upsert of it answers 300. */
  duplicate(sobject: string, externalId: string): void;
  /** Answers the next `count` data requests (not OAuth ones) with `reply` instead. */
  failNext(count: number, reply: ContractReply): void;
  close(): Promise<void>;
}

interface SObject {
  externalIdField: string;
  fields: Set<string>;
  required: string[];
}

const SOBJECTS: Record<string, SObject> = {
  Contact: { externalIdField: 'External_Id__c', fields: new Set(['External_Id__c', 'FirstName', 'LastName', 'Email', 'Phone', 'Title']), required: ['LastName'] },
  Account: { externalIdField: 'External_Id__c', fields: new Set(['External_Id__c', 'Name', 'Website', 'Phone', 'Industry']), required: ['Name'] },
};

/** Salesforce's error body. */
export function salesforceError(status: number, errorCode: string, message: string, fields: string[] = []): ContractReply {
  return { status, body: [{ message, errorCode, fields }] };
}

const recordId = (prefix: string) => `${prefix}${randomBytes(6).toString('hex').toUpperCase()}AAA`;

export async function startSalesforceContract(options: { rotateRefreshTokens?: boolean } = {}): Promise<SalesforceContract> {
  let origin = '';
  const oauth = oauthProvider(
    {
      authorizePath: '/services/oauth2/authorize',
      granted: ({ accessToken, refreshToken, scope }) => ({
        status: 200,
        body: {
          access_token: accessToken,
          ...(refreshToken && { refresh_token: refreshToken }),
          signature: randomBytes(32).toString('base64'),
          scope,
          instance_url: origin,
          id: `${origin}/id/00D000000000001EAA/005000000000001AAA`,
          token_type: 'Bearer',
          issued_at: String(Date.now()),
        },
      }),
      refused: (reason) =>
        reason === 'client' ? { status: 400, body: { error: 'invalid_client', error_description: 'invalid client credentials' } }
        : reason === 'refresh_token' ? { status: 400, body: { error: 'invalid_grant', error_description: 'expired access/refresh token' } }
        : reason === 'redirect_uri' ? { status: 400, body: { error: 'redirect_uri_mismatch', error_description: 'redirect_uri must match configuration' } }
        : { status: 400, body: { error: 'invalid_grant', error_description: 'authentication failure' } },
      returnsRefreshTokenOnRefresh: false,
    },
    // Salesforce's session timeout is the org's (2 hours by default) and no answer says it.
    { accessTokenLifetimeSeconds: 7200, rotateRefreshTokens: options.rotateRefreshTokens ?? false, tokenPrefix: '00D000000000001!' },
  );
  const records = new Map<string, Map<string, { id: string; fields: Record<string, unknown> }>>();
  const duplicates = new Set<string>();
  const faults = injectedFaults();

  function upsert(request: ContractRequest, sobjectName: string, field: string, value: string): ContractReply {
    const sobject = SOBJECTS[sobjectName];
    if (!sobject) return salesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
    if (field !== sobject.externalIdField && field !== 'Id') return salesforceError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${field}`);
    let fields: Record<string, unknown>;
    try {
      fields = JSON.parse(request.body) as Record<string, unknown>;
    } catch {
      return salesforceError(400, 'JSON_PARSER_ERROR', 'Unexpected character in the JSON body');
    }
    const unknown = Object.keys(fields).find((name) => !sobject.fields.has(name));
    if (unknown) return salesforceError(400, 'INVALID_FIELD', `No such column '${unknown}' on sobject of type ${sobjectName}`, [unknown]);
    if (field in fields) return salesforceError(400, 'INVALID_FIELD', `The external ID field ${field} cannot be set in the body of an upsert`, [field]);
    const key = `${sobjectName}/${value}`;
    if (duplicates.has(key)) {
      return { status: 300, body: [`/services/data/v62.0/sobjects/${sobjectName}/${recordId('003')}`, `/services/data/v62.0/sobjects/${sobjectName}/${recordId('003')}`] };
    }
    let table = records.get(sobjectName);
    if (!table) records.set(sobjectName, (table = new Map()));
    const existing = table.get(value);
    if (!existing) {
      const missing = sobject.required.filter((name) => fields[name] == null || fields[name] === '');
      if (missing.length > 0) return salesforceError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
      const created = { id: recordId(sobjectName === 'Contact' ? '003' : '001'), fields: { ...fields, [field]: value } };
      table.set(value, created);
      return { status: 201, body: { id: created.id, success: true, errors: [], created: true } };
    }
    existing.fields = { ...existing.fields, ...fields };
    return { status: 200, body: { id: existing.id, success: true, errors: [], created: false } };
  }

  const server = await startContractServer((request) => {
    if (request.path.startsWith('/services/oauth2/authorize')) return oauth.authorize(request);
    if (request.path === '/services/oauth2/token' && request.method === 'POST') return oauth.token(request);
    const fault = faults.next();
    if (fault) return fault;
    const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    if (!oauth.isLive(token)) return salesforceError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    const match = /^\/services\/data\/v62\.0\/sobjects\/([A-Za-z0-9_]+)\/([A-Za-z0-9_]+)\/([^/]+)$/.exec(request.path);
    if (request.method === 'PATCH' && match) return upsert(request, match[1]!, match[2]!, decodeURIComponent(match[3]!));
    return salesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
  });
  origin = server.origin;

  return {
    server,
    oauth,
    loginUrl: server.origin,
    records,
    duplicate: (sobject, externalId) => void duplicates.add(`${sobject}/${externalId}`),
    failNext: faults.failNext,
    close: () => server.close(),
  };
}
