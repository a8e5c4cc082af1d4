import type { Config } from '../../../config.ts';
import { storedExpression } from '../../expressions/expression.ts';
import { evaluateTransform, expressionInput } from '../../expressions/rule-expressions.ts';
import { encodeId } from '../../public-ids.ts';
import { signedHeaders } from '../../signing/standard-webhooks.ts';
import { maskedHeaders, maskUrlCredentials, maskUrlsIn } from '../../secrets/masking.ts';
import { sendWebhook } from '../http/send-webhook.ts';
import type { AttemptPlan } from '../state/attempt-plan.ts';
import type { AttemptResult } from '../state/attempt-result.ts';
import { defaultBody } from './webhook-body.ts';

/**
 * One try of a delivery already claimed: shape and sign the body and send it. Never throws for
 * the receiver's or the rule's failures: they come back as the result, for `recordAttempt`, with
 * credentials in its URL and error (a `?token=`, a user:password) masked.
 */
export async function sendAttempt(config: Config, plan: AttemptPlan): Promise<AttemptResult> {
  const startedAt = new Date();
  const url = plan.connection.webhook.url;
  let body: string;
  try {
    body = plan.transform
      ? await evaluateTransform(storedExpression(plan.transform), expressionInput(plan.event), {
          timeoutMs: config.expressionTimeoutMs,
          maxBytes: config.maxTransformBytes,
        })
      : JSON.stringify(defaultBody(plan.event, encodeId('Event', plan.event.id)));
  } catch (error) {
    return { ok: false, url: maskUrlCredentials(url), startedAt, durationMs: Date.now() - startedAt.getTime(), errorClass: 'EXPRESSION', error: (error as Error).message };
  }
  const timestamp = Math.floor(Date.now() / 1000);
  const signed = signedHeaders(plan.secrets, encodeId('Delivery', plan.deliveryId), timestamp, body);
  const headers = { ...plan.connection.webhook.headers, ...signed };
  const response = await sendWebhook(
    { url, headers, body },
    {
      timeoutMs: plan.connection.timeoutSeconds * 1000,
      maxResponseBytes: config.maxResponseBytes,
      allowPrivateTargets: config.allowPrivateTargets,
    },
  );
  return {
    ok: response.ok,
    url: maskUrlCredentials(url),
    startedAt,
    durationMs: response.durationMs,
    statusCode: response.statusCode,
    responseExcerpt: response.responseExcerpt,
    retryAfterSeconds: response.retryAfterSeconds,
    errorClass: response.errorClass,
    error: response.error && maskUrlsIn(response.error),
    // The signature is no secret (receivers get it, and it proves nothing about other bodies):
    // shown whole, it lets a customer debug their verification.
    requestHeaders: { ...maskedHeaders(response.requestHeaders), ...signed },
    ...(plan.transform ? { requestBody: body } : {}),
  };
}
