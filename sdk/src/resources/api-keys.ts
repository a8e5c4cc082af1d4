import * as ops from '../generated/graphql.ts';
import { unwrap } from '../errors.ts';
import { pageArgs, toPage } from '../pages.ts';
import type { Request } from '../transport.ts';
import type { ApiKey, CreatedApiKey, CreateApiKeyInput, ListOptions, Page } from '../types.ts';

/** `client.apiKeys`: the workspace's keys (secret key). */
export function apiKeysApi(request: Request) {
  return {
    /** Keys, newest first, revoked ones included; only their prefix is shown. */
    async list(options: ListOptions = {}): Promise<Page<ApiKey>> {
      return toPage((await request(ops.ListApiKeysDocument, pageArgs(options), 'always')).apiKeys);
    },
    /** Creates a key; `key` is its plaintext, returned this once. */
    async create(input: CreateApiKeyInput): Promise<CreatedApiKey> {
      const { __typename, ...created } = unwrap((await request(ops.CreateApiKeyDocument, { input }, 'unsent')).createApiKey);
      return created;
    },
    /** Revokes a key at once: requests with it are refused from then on. */
    async revoke(id: string): Promise<ApiKey> {
      return unwrap((await request(ops.RevokeApiKeyDocument, { input: { id } }, 'always')).revokeApiKey).apiKey;
    },
  };
}
