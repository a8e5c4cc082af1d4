// The SDK's public types under plain names; the generated file keeps GraphQL's names.
import type {
  EmitEventMutation,
  EmitEventSeenByIdMutation,
  GetDeliveryQuery,
  CreateWorkspaceMutation,
  CreateConnectionMutation,
  SendTestEventMutation,
  CreatePortalSessionMutation,
  UpdatePortalSettingsMutation,
  TestRuleQuery,
  GetWorkspaceQuery,
  UpdateWorkspaceSettingsInput,
  RuleFieldsFragment,
  GetEventQuery,
  DeliveryAttemptsSubscription,
  DeliveryUpdatedSubscription,
  CreateApiKeyMutation,
  UpdateConnectionInput,
  UpdateRuleInput,
} from './generated/graphql.ts';

export type {
  ApiKeyFieldsFragment as ApiKey,
  ApiKeyKind,
  AttemptErrorClass,
  AttemptStatus,
  ConnectionFieldsFragment as Connection,
  ConnectionKind,
  ConnectionStatus,
  CreateApiKeyInput,
  CreateConnectionInput,
  CreateRuleInput,
  CreateWorkspaceInput,
  CreatePortalSessionInput,
  PortalCapability,
  UpdatePortalSettingsInput,
  DeliveryAttemptFieldsFragment as DeliveryAttempt,
  DeliveryFieldsFragment as Delivery,
  DeliveryFilter,
  DeliveryStatus,
  EmitEventInput,
  EventFieldsFragment as Event,
  EventFilter,
  EventTypeFieldsFragment as EventType,
  RuleFieldsFragment as Rule,
  TestRuleInput,
  TrialEventInput,
  UpsertEventTypeInput,
  WebhookConfigInput,
  WorkspaceFieldsFragment as Workspace,
} from './generated/graphql.ts';

type Success<T, Name extends string> = Extract<T, { __typename: Name }>;

/** A new event (or a secret key's duplicate) with its deliveries, and whether it repeated an idempotency key. */
export type EmittedEvent = Omit<Success<EmitEventMutation['emitEvent'], 'EmitEventPayload'>, '__typename'>;
/**
 * A publishable key's duplicate: an idempotency key used before, whose original event the key may
 * see by id only (its payload and deliveries need the secret key).
 */
export type DuplicateSeenById = Omit<Success<EmitEventSeenByIdMutation['emitEvent'], 'EmitEventPayload'>, '__typename'>;
/**
 * What `emit` returns. With a secret key, always an `EmittedEvent`; with a publishable key, a
 * duplicate is a `DuplicateSeenById` (tell them apart with `'deliveries' in result.event`).
 */
export type EmitResult = EmittedEvent | DuplicateSeenById;
/** A delivery with every attempt, oldest first. */
export type DeliveryWithAttempts = Omit<Success<GetDeliveryQuery['delivery'], 'Delivery'>, '__typename'>;
/** A new workspace and its first keys, shown this once. */
export type CreatedWorkspace = Omit<Success<CreateWorkspaceMutation['createWorkspace'], 'CreateWorkspacePayload'>, '__typename'>;
/** An event with the deliveries it made. */
export type EventWithDeliveries = Omit<Success<GetEventQuery['event'], 'Event'>, '__typename'>;
/** A new API key and its plaintext, shown this once. */
export type CreatedApiKey = Omit<Success<CreateApiKeyMutation['createApiKey'], 'CreateApiKeyPayload'>, '__typename'>;
/** A new connection and its signing secret, shown this once. */
export type CreatedConnection = Omit<Success<CreateConnectionMutation['createConnection'], 'CreateConnectionPayload'>, '__typename'>;
/** A test event and its one delivery, queued. */
export type TestSend = Omit<Success<SendTestEventMutation['sendTestEvent'], 'SendTestEventPayload'>, '__typename'>;
/** What a rule would do with one event (see `rules.test`). */
export type RuleTrial = Omit<Success<TestRuleQuery['testRule'], 'TestRulePayload'>, '__typename'>;
/** A rule as saved, with the likely mistakes it was saved with. */
export type SavedRule = RuleFieldsFragment & { warnings: string[] };
/** The key's workspace with its settings. */
export type WorkspaceWithSettings = GetWorkspaceQuery['workspace'];
export type WorkspaceSettingsChanges = UpdateWorkspaceSettingsInput;
export type ConnectionChanges = Omit<UpdateConnectionInput, 'id'>;
export type RuleChanges = Omit<UpdateRuleInput, 'id'>;

/** An attempt as a stream sends it, with its place in the stream. */
export type StreamedAttempt = Omit<DeliveryAttemptsSubscription['deliveryAttempts'], 'cursor'> & { cursor: string };
/** A delivery as a stream sends it after a change, with the change's place in the stream. */
export type StreamedDelivery = Omit<DeliveryUpdatedSubscription['deliveryUpdated'], 'cursor'> & { cursor: string };

/** One page of a list, newest first. Pass `nextCursor` as `cursor` for the next page. */
export interface Page<T> {
  data: T[];
  hasMore: boolean;
  nextCursor: string | null;
}

export interface ListOptions {
  /** Items per page. (Default: the server's) */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string | null;
}

/** What `portal.createSession` returns: the URL that opens the portal, and the token, shown this once. */
export type PortalSession = Omit<Success<CreatePortalSessionMutation['createPortalSession'], 'CreatePortalSessionPayload'>, '__typename'>;

/** A workspace's portal settings. */
export type PortalSettings = Success<UpdatePortalSettingsMutation['updatePortalSettings'], 'UpdatePortalSettingsPayload'>['portalSettings'];
