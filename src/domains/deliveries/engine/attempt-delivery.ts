import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../../config.ts';
import type { AttemptReport } from '../../destinations/destination-kind.ts';
import { destinationKind } from '../../destinations/destination-kinds.ts';
import { clientFor, performAction, type ActionPlan } from '../../destinations/perform-action.ts';
import { accessTokens } from '../../oauth/access-tokens.ts';
import { oauthProvider } from '../../oauth/oauth-providers.ts';
import { maskUrlsIn } from '../../secrets/masking.ts';
import type { AttemptPlan } from '../state/attempt-plan.ts';
import type { AttemptResult } from '../state/attempt-result.ts';

/** What the connection's destination kind needs of a claimed delivery to perform its action. */
export function actionPlan(em: EntityManager, config: Config, plan: AttemptPlan): ActionPlan {
  const { kind, id } = plan.connection;
  // An OAuth kind's actions get the connection's tokens, refreshed as they need.
  const provider = destinationKind(kind)?.oauth ? oauthProvider(config, kind) : undefined;
  return {
    ...(provider && { tokens: accessTokens(em, config, clientFor(config), provider, id) }),
    deliveryId: plan.deliveryId,
    kind: plan.connection.kind,
    config: plan.connection.config,
    credentials: plan.connection.credentials,
    signingSecrets: plan.secrets,
    timeoutSeconds: plan.connection.timeoutSeconds,
    event: plan.event,
    transform: plan.transform,
  };
}

/** A kind's report as the engine records it: the verdict becomes what the failure means. */
export function resultOf(report: AttemptReport): AttemptResult {
  const { verdict, connection, error, ...request } = report;
  return {
    ...request,
    ok: verdict.kind === 'success',
    ...(verdict.kind !== 'success' && { failure: verdict.kind }),
    ...(verdict.kind === 'retry' && verdict.retryAfterSeconds !== undefined && { retryAfterSeconds: verdict.retryAfterSeconds }),
    ...(verdict.kind === 'throttle' && { quota: verdict.quota }),
    ...(connection && { connection }),
    // Kinds mask the credentials they know of; an error may quote a URL the receiver sent back.
    ...(error !== undefined && { error: maskUrlsIn(error) }),
  };
}

/**
 * The result of a delivery whose event lost its payload while it waited (erased, or removed by
 * retention in a race with a replay): nothing is sent, as it would go out empty, and it dies at
 * once with the reason, without counting against its connection's health.
 */
export function nothingToSend(removedAt: Date): AttemptResult {
  return {
    ok: false,
    failure: 'rejected',
    method: '-',
    url: '-',
    startedAt: new Date(),
    durationMs: 0,
    errorClass: 'PAYLOAD_REMOVED',
    error: `not sent: the event's payload was removed on ${removedAt.toISOString()} (eraseResource or retention), so there is nothing left to send`,
  };
}

/**
 * One try of a delivery already claimed: its connection's destination kind makes the action
 * input (the rule's transform, or the kind's default mapping), performs it and classifies the
 * answer. Never throws for the receiver's, the vendor's or the rule's failures: they come back
 * as the result, for `recordAttempt`, with credentials masked. A delivery whose event has no
 * payload left is not sent at all.
 */
export async function sendAttempt(em: EntityManager, config: Config, plan: AttemptPlan): Promise<AttemptResult> {
  if (plan.event.payloadRemovedAt) return nothingToSend(plan.event.payloadRemovedAt);
  return resultOf(await performAction(config, actionPlan(em, config, plan)));
}
