import type { WebhookConfig } from '../../connections/connection.entity.ts';
import { webhookConfigSchema } from '../../connections/webhook-config.ts';
import { sendWebhook } from '../../deliveries/http/send-webhook.ts';
import { defaultBody } from '../../deliveries/engine/webhook-body.ts';
import { signedHeaders } from '../../signing/standard-webhooks.ts';
import type { DestinationKind, Verdict } from '../destination-kind.ts';

/** A webhook's action input: the exact JSON text that is signed and sent. */
export interface WebhookInput {
  body: string;
}

/**
 * WEBHOOK: an HTTP endpoint that receives signed Standard Webhooks requests. Its settings are the
 * URL and custom headers; its credentials are the signing secrets, issued by Switchyard itself.
 * The action input is the rule's transform result as it is, or the default body. 2xx succeeds;
 * 410 Gone disables the connection and the delivery waits for it; anything else is retried,
 * after `Retry-After` on 429 and 503.
 */
export const webhookKind: DestinationKind<WebhookConfig, null, WebhookInput> = {
  kind: 'WEBHOOK',
  inputField: 'webhook',
  policy: {},

  settingsSchema(context, previous) {
    // Headers left out keep the previous ones. As stored, a connection's headers are masked and
    // their real values sealed apart (webhook-config.ts `storeWebhookConfig`).
    return webhookConfigSchema(context, previous?.config.headers).transform((parsed) => ({
      config: { url: parsed.url, headers: parsed.headers ?? previous?.config.headers ?? {} },
      credentials: null,
    }));
  },

  credentialHints: () => ({}),

  actionInput(event, transformed) {
    return { body: transformed ? transformed.json : JSON.stringify(defaultBody(event, event.publicId)) };
  },

  async perform(input, target) {
    const startedAt = new Date();
    const { url } = target.config;
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const headers = { ...target.config.headers, ...signedHeaders(target.signingSecrets, target.deliveryId, timestamp, input.body) };
    const sent = await sendWebhook(
      { url, headers, body: input.body },
      { timeoutMs: target.timeoutMs, maxResponseBytes: target.http.maxResponseBytes, allowPrivateTargets: target.http.allowPrivateTargets },
    );
    const gone = sent.statusCode === 410;
    const verdict: Verdict = sent.ok ? { kind: 'success' } : gone ? { kind: 'wait' } : { kind: 'retry', retryAfterSeconds: sent.retryAfterSeconds };
    return {
      verdict,
      // 410 Gone: the receiver says the endpoint is gone for good; stop rather than burn retries.
      ...(gone && { connection: { kind: 'disable' as const, reason: `the receiver answered 410 Gone at ${url}` } }),
      method: 'POST',
      url,
      startedAt,
      durationMs: sent.durationMs,
      ...(sent.statusCode !== undefined && { statusCode: sent.statusCode }),
      ...(sent.responseExcerpt !== undefined && { responseExcerpt: sent.responseExcerpt }),
      ...(!sent.ok && { errorClass: sent.errorClass, error: sent.error }),
    };
  },
};
