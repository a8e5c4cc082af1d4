/**
 * How every destination kind plugs into delivery.
 *
 * Terminology:
 * - destination kind: what a connection delivers to (WEBHOOK, SLACK, MAILCHIMP ...) and how; one
 *   folder each under `src/domains/destinations/`.
 * - settings: a connection's kind-specific part, split when saved into its `config` (shown to
 *   clients) and its `credentials` (secret: never returned after they are set, masked hints only).
 * - action input: what one delivery asks the vendor to do (a message, a list member). A rule's
 *   transform produces it, or the kind's default mapping does; either way it is checked before
 *   anything is sent, and a mismatch is a MAPPING failure naming the field.
 * - report: what one attempt did (the request, the vendor's answer) and the verdict on it.
 * - verdict: how the vendor's answer is classified: `success`; `retry` (5xx, timeouts, 429 with
 *   its Retry-After); `rejected` (permanent: the delivery is dead at once with the vendor's
 *   message); `wait` (the delivery waits for its connection, which a `connection` change stops);
 *   `throttle` (the vendor's quota for the whole account is spent: the connection waits).
 *
 * - connection change: what an answer says about the connection as a whole: `disable` (the
 *   destination is gone) or `needs-reauth` (the credentials were refused: the connection goes
 *   `NEEDS_REAUTH`, its deliveries wait, and new credentials through `updateConnection` send them).
 *
 * How the engine uses a kind (src/domains/deliveries/engine/attempt-delivery.ts): each claimed
 * delivery becomes an `ActionPlan` (perform-action.ts) with the connection's config and its
 * credentials opened; `actionInput` makes the input, `perform` (or `batch.perform` for deliveries
 * claimed together) sends it; the report is recorded on the attempt, and its verdict and
 * connection change decide the delivery's next state (engine/record-outcome.ts).
 *
 * Adding a kind: a folder with its settings schema, mapping, requests and answers; the module
 * registered in `destination-kinds.ts`; its input field in `SETTINGS_FIELDS`
 * (connections/connection-settings.ts) and as a GraphQL input (resolvers/destination-settings.ts).
 * Its credentials are then sealed by the secret store in `connection_credentials` (bound to the
 * connection, JSON of the kind's `Credentials`), opened only into an attempt's plan or an update.
 *
 * Everything else (claims, leases, retries, rate limits, isolation, replay, streams, health) is
 * the engine's and knows nothing of any kind.
 */
import type { z } from 'zod';
import type { ConnectionKind } from '../connections/connection.entity.ts';
import type { AttemptErrorClass } from '../deliveries/attempt.entity.ts';
import type { EventRecord } from '../events/event-record.ts';
import type { VendorClient } from './http/vendor-client.ts';
import type { VendorUrls } from './vendor-urls.ts';
import type { AccessTokens } from '../oauth/access-tokens.ts';

export type Verdict =
  | { kind: 'success' }
  /** Try again on the connection's schedule, or after `retryAfterSeconds` when that is later. */
  | { kind: 'retry'; retryAfterSeconds?: number }
  /**
   * The vendor's quota for the whole account is spent (HubSpot's 429s, Salesforce's
   * `REQUEST_LIMIT_EXCEEDED`): nothing is wrong with the delivery. The connection waits and sends
   * nothing meanwhile, and the attempt spends none of the schedule's attempts.
   */
  | { kind: 'throttle'; quota: QuotaWait }
  /** The vendor refused this action for good: retrying the same input cannot help. */
  | { kind: 'rejected' }
  /** Nothing is wrong with the delivery; it waits until its connection can deliver again (give a `connection` change with it). */
  | { kind: 'wait' };

/** How long a connection waits for its vendor's quota, as the vendor's answer tells. */
export interface QuotaWait {
  /** Which quota is spent, for people, the same on every answer of it (the connection's `throttleReason`). */
  reason: string;
  /**
   * Seconds until the quota is back, when the answer says or the vendor documents it; absent when
   * it resets at a time nobody can tell (HubSpot's daily limit resets at the account's midnight,
   * in a time zone the API does not give): the connection then waits `SWITCHYARD_QUOTA_PROBE_SECONDS`.
   */
  seconds?: number;
  /** A daily or org-wide limit, whose wait is long and announced as `switchyard.connection.throttled`, not a window of seconds. */
  daily: boolean;
}

/** What an answer says about the connection as a whole, beyond this delivery. */
export type ConnectionChange =
  /** The destination is gone (an archived channel, a deleted audience): stop until resumed. */
  | { kind: 'disable'; reason: string }
  /** The credentials were refused: the connection waits for new ones (`NEEDS_REAUTH`). */
  | { kind: 'needs-reauth'; reason: string };

/** One attempt of one action: the request made, the answer, and the verdict on it. */
export interface AttemptReport {
  verdict: Verdict;
  connection?: ConnectionChange;
  /** The request, as a user debugging it needs it; credentials in the URL are masked. */
  method: string;
  url: string;
  startedAt: Date;
  durationMs: number;
  /** The HTTP status the vendor answered; absent when no complete answer came. */
  statusCode?: number;
  /** The vendor's own error code or title, e.g. `channel_not_found`, `Member In Compliance State`. */
  vendorCode?: string;
  /** The start of the vendor's answer, at most 4096 characters. */
  responseExcerpt?: string;
  /** Set exactly when the verdict is not `success`. */
  errorClass?: AttemptErrorClass;
  /** One line for people saying what went wrong; set with `errorClass`. */
  error?: string;
  /** The headers sent, credentials masked; absent when no request was made. */
  requestHeaders?: Record<string, string>;
  /** The body sent, when it cannot be rebuilt from the event (a transform's result, a vendor's request). */
  requestBody?: string;
}

/** What saving settings may look at beside the input. */
export interface SettingsContext {
  /** `config.allowPrivateTargets`: user-supplied URLs may point at private hosts. */
  allowPrivateTargets: boolean;
  vendors: VendorUrls;
}

/** A connection's settings as stored: the visible config and the secret credentials. */
export interface StoredSettings<Config, Credentials> {
  config: Config;
  credentials: Credentials;
}

/** The event an action is made from, with the public ids receivers see. */
export interface ActionEvent extends EventRecord {
  publicId: string;
}

/** Everything one action needs to be performed. */
export interface ActionTarget<Config, Credentials> {
  config: Config;
  credentials: Credentials;
  /** The delivery's public id: the `webhook-id`, the same on every retry and replay. */
  deliveryId: string;
  /** The connection's live signing secrets, newest first (what WEBHOOK signs with). */
  signingSecrets: readonly string[];
  /** Deadline of the whole action, every request it makes included. */
  timeoutMs: number;
  http: VendorClient;
  vendors: VendorUrls;
  /** The connection's OAuth access tokens, kept fresh, for a kind with `oauth`; absent otherwise. */
  tokens?: AccessTokens;
}

/** Limits a kind applies when a connection sets none; a connection may set lower ones only. */
export interface VendorPolicy {
  rateLimitPerSecond?: number;
  maxConcurrency?: number;
  /** Why these numbers, for the error that refuses higher ones. */
  reason?: string;
}

/**
 * Sends many deliveries' actions in one call when a connection has a backlog. Each item comes back
 * with a report of its own; `unbatched` hands an item back to be performed on its own.
 */
export interface BatchAction<Config, Credentials, Input> {
  /** Most items in one call. */
  maxItems: number;
  /**
   * Whether a connection with `config` sends batches at all: one whose action has no batch
   * endpoint (HubSpot's events) is claimed a delivery a call. (Default: every connection of the kind)
   */
  appliesTo?(config: Config): boolean;
  /** Whether two items may not share a call (the same email twice, say). */
  key(input: Input): string;
  /** `deliveryIds` are the items' deliveries' public ids, in order, for vendors that trace each item. */
  perform(inputs: readonly Input[], target: ActionTarget<Config, Credentials>, deliveryIds?: readonly string[]): Promise<(AttemptReport | 'unbatched')[]>;
}

/**
 * One destination kind. `Config` is what clients see, `Credentials` what they never see again,
 * `Input` the action input a transform or the default mapping produces.
 */
export interface DestinationKind<Config, Credentials, Input> {
  readonly kind: ConnectionKind;
  /** The field of `createConnection`'s and `updateConnection`'s input that carries the settings. */
  readonly inputField: string;
  readonly policy: VendorPolicy;
  /**
   * Whether the kind authenticates through OAuth (Switchyard's consent or the product's own
   * tokens): such a connection's actions get `tokens`, and `needsAuthorization` says whether a
   * connection with these settings starts `NEEDS_REAUTH` until it is authorized. (Default: no OAuth)
   */
  readonly oauth?: { needsAuthorization(settings: StoredSettings<Config, Credentials>): boolean };
  /** Whether its requests carry Standard Webhooks signatures, so the connection has signing secrets. */
  readonly signsRequests: boolean;
  /** The settings' schema; `previous` when updating, so left-out and masked fields keep theirs. */
  settingsSchema(
    context: SettingsContext,
    previous?: StoredSettings<Config, Credentials>,
  ): z.ZodType<StoredSettings<Config, Credentials>>;
  /** Masked forms of the credentials, e.g. `{ botToken: "xoxb-…k9Zq" }`. */
  credentialHints(credentials: Credentials): Record<string, string>;
  /**
   * The action input: the rule's transform result, checked, or the default mapping of the event.
   * @throws MappingError naming the field that is missing or wrong
   */
  actionInput(event: ActionEvent, transformed: { value: unknown; json: string } | null, config: Config): Input;
  /** Performs one action and classifies the vendor's answer. Never throws for the vendor's failures. */
  perform(input: Input, target: ActionTarget<Config, Credentials>): Promise<AttemptReport>;
  readonly batch?: BatchAction<Config, Credentials, Input>;
}
