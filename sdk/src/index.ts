// @switchyard/sdk: a typed client for the Switchyard API, and webhook verification for receivers.
export { createClient, type ClientOptions, type SubscribeOptions, type SwitchyardClient } from './client.ts';
export type { Stream } from './subscriptions.ts';
export {
  SwitchyardError,
  SwitchyardValidationError,
  SwitchyardNotFoundError,
  SwitchyardConflictError,
  SwitchyardAuthError,
  SwitchyardNetworkError,
  type ValidationIssue,
} from './errors.ts';
export {
  verifyWebhook,
  WebhookVerificationError,
  type VerifyOptions,
  type WebhookHeaders,
  type WebhookVerificationFailure,
} from './verify.ts';
export type * from './types.ts';
