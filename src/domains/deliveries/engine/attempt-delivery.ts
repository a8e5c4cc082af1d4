import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../../config.ts';
import type { AttemptReport } from '../../destinations/destination-kind.ts';
import { destinationKind } from '../../destinations/destination-kinds.ts';
import { batches, clientFor, performAction, performBatch, type ActionPlan } from '../../destinations/perform-action.ts';
import { accessTokens } from '../../oauth/access-tokens.ts';
import { oauthProvider } from '../../oauth/oauth-providers.ts';
import { maskUrlsIn } from '../../secrets/masking.ts';
import type { AttemptPlan } from '../state/attempt-plan.ts';
import type { AttemptResult } from '../state/attempt-result.ts';

/** What the connection's destination kind needs of a claimed delivery to perform its action. */
function actionPlan(em: EntityManager, config: Config, plan: AttemptPlan): ActionPlan {
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
function resultOf(report: AttemptReport): AttemptResult {
  const { verdict, connection, error, ...request } = report;
  return {
    ...request,
    ok: verdict.kind === 'success',
    ...(verdict.kind !== 'success' && { failure: verdict.kind }),
    ...(verdict.kind === 'retry' && verdict.retryAfterSeconds !== undefined && { retryAfterSeconds: verdict.retryAfterSeconds }),
    ...(connection && { connection }),
    // Kinds mask the credentials they know of; an error may quote a URL the receiver sent back.
    ...(error !== undefined && { error: maskUrlsIn(error) }),
  };
}

/**
 * One try of a delivery already claimed: its connection's destination kind makes the action
 * input (the rule's transform, or the kind's default mapping), performs it and classifies the
 * answer. Never throws for the receiver's, the vendor's or the rule's failures: they come back
 * as the result, for `recordAttempt`, with credentials masked.
 */
async function sendAttempt(em: EntityManager, config: Config, plan: AttemptPlan): Promise<AttemptResult> {
  return resultOf(await performAction(config, actionPlan(em, config, plan)));
}

/**
 * The result of a delivery whose event lost its payload while it waited (erased, or removed by
 * retention in a race with a replay): nothing is sent, as it would go out empty, and it dies at
 * once with the reason, without counting against its connection's health.
 */
function nothingToSend(removedAt: Date): AttemptResult {
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
 * Tries of deliveries claimed together, one promise each: one connection's, so of one kind.
 * A kind that takes batches (Mailchimp) gets them in as few calls as it allows, and each
 * delivery its own result; an item the batch hands back goes on its own. Others go one by one.
 * A delivery whose event has no payload left is not sent at all.
 */
export function sendAttempts(em: EntityManager, config: Config, plans: readonly AttemptPlan[]): Promise<AttemptResult>[] {
  const sendable = plans.filter((plan) => !plan.event.payloadRemovedAt);
  const sent = sendSendable(em, config, sendable);
  return plans.map((plan) => (plan.event.payloadRemovedAt ? Promise.resolve(nothingToSend(plan.event.payloadRemovedAt)) : sent[sendable.indexOf(plan)]!));
}

function sendSendable(em: EntityManager, config: Config, plans: readonly AttemptPlan[]): Promise<AttemptResult>[] {
  if (plans.length === 0) return [];
  const actions = plans.map((plan) => actionPlan(em, config, plan));
  if (!batches(actions)) return plans.map((plan) => sendAttempt(em, config, plan));
  const batch = performBatch(config, actions);
  return plans.map(async (plan, index) => {
    const report = (await batch)[index]!;
    return report === 'unbatched' ? sendAttempt(em, config, plan) : resultOf(report);
  });
}
