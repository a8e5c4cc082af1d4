import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { newId } from '../../db/ids.ts';
import { Workspace } from '../workspaces/workspace.entity.ts';

export const CONNECTION_KINDS = ['WEBHOOK', 'SLACK', 'HUBSPOT', 'SALESFORCE', 'MAILCHIMP'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

export const CONNECTION_STATUSES = ['ACTIVE', 'PAUSED', 'DISABLED', 'NEEDS_REAUTH'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/**
 * Who a connection belongs to. CUSTOMER: an endpoint of the product's customer, managed in the
 * portal too. OPERATOR: the workspace's own (its alerts): only these receive `switchyard.*`
 * operational events, and portal sessions never see them.
 */
export const CONNECTION_OWNERS = ['CUSTOMER', 'OPERATOR'] as const;
export type ConnectionOwner = (typeof CONNECTION_OWNERS)[number];

/** Time limit of one request when a connection sets none, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 15;

/**
 * Settings of a WEBHOOK connection; other kinds keep their own shape in `config`. As stored,
 * `headers` is their masked form (credential-like values shown as "…Xk9="); the real values are
 * sealed in `sealedHeaders` and opened only to send (webhook-config.ts).
 */
export interface WebhookConfig {
  url: string;
  headers: Record<string, string>;
}

/**
 * A connection's visible settings, in the shape its kind defines (`WebhookConfig`, `SlackConfig`,
 * `MailchimpConfig` ...); its credentials are kept apart, in `connection_credentials`.
 */
export type ConnectionConfig = WebhookConfig | Record<string, unknown>;

/** A destination with its credentials and its delivery policy. */
export const Connection = defineEntity({
  name: 'Connection',
  tableName: 'connections',
  properties: {
    id: p.uuid().primary().onCreate(() => newId()),
    workspace: p.manyToOne(Workspace).deleteRule('cascade'),
    name: p.string().length(100),
    /** For people: what the endpoint is for. */
    description: p.text().default(''),
    kind: p.enum(CONNECTION_KINDS).nativeEnumName('connection_kind'),
    status: p.enum(CONNECTION_STATUSES).nativeEnumName('connection_status').default('ACTIVE'),
    owner: p.enum(CONNECTION_OWNERS).nativeEnumName('connection_owner').default('CUSTOMER'),
    config: p.json<ConnectionConfig>(),
    /** A webhook's custom headers with their real values, sealed by the secret store; null without headers. */
    sealedHeaders: p.text().nullable(),
    retryScheduleSeconds: p.array<number>(Number).columnType('double precision[]').nullable(),
    timeoutSeconds: p.double().default(DEFAULT_TIMEOUT_SECONDS),
    rateLimitPerSecond: p.double().nullable(),
    maxConcurrency: p.integer().nullable(),
    ordered: p.boolean().default(false),
    consecutiveFailures: p.integer().default(0),
    failingSince: p.datetime().nullable(),
    lastFailureReason: p.text().nullable(),
    statusReason: p.text().nullable(),
    /** Token bucket behind `rateLimitPerSecond`, shared by every worker process. */
    rateTokens: p.double().nullable(),
    rateRefilledAt: p.datetime().nullable(),
    /**
     * While the vendor's quota for the account is spent, the connection sends nothing until then;
     * once it has passed, one delivery at a time probes the quota until a success ends the wait.
     */
    throttledUntil: p.datetime().nullable(),
    /** Which quota is spent, for people; null when the connection does not wait for one. */
    throttleReason: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  uniques: [{ properties: ['workspace', 'name'] }],
});

export type Connection = InferEntity<typeof Connection>;
