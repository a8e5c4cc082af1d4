import type { WebhookConfig } from '../../connections/connection.entity.ts';
import { webhookConfigSchema } from '../../connections/webhook-config.ts';
import { sendWebhook } from '../../deliveries/http/send-webhook.ts';
import { defaultBody } from '../../deliveries/engine/webhook-body.ts';
import { maskedHeaders, maskUrlCredentials } from '../../secrets/masking.ts';
import { signedHeaders } from '../../signing/standard-webhooks.ts';
import type { DestinationKind, Verdict } from '../destination-kind.ts';

/** A webhook's credentials: its custom headers with their real values (an `authorization`, say). */
export interface WebhookCredentials {
  headers: Record<string, string>;
}

/** A webhook's action input: the exact JSON text that is signed and sent. */
export interface WebhookInput {
  body: string;
  /** The default body, which can be rebuilt from the event, so attempts need not keep it. */
  rebuildable: boolean;
}

/**
 * WEBHOOK: an HTTP endpoint that receives signed Standard Webhooks requests. Its settings are the
 * URL and custom headers, shown masked where they carry credentials; it signs with its signing
 * secrets, issued by Switchyard or given by its owner.
 * The action input is the rule's transform result as it is, or the default body. 2xx succeeds;
 * 410 Gone disables the connection and the delivery waits for it; anything else is retried,
 * after `Retry-After` on 429 and 503.
 */
export const webhookKind: DestinationKind<WebhookConfig, WebhookCredentials, WebhookInput> = {
  kind: 'WEBHOOK',
  inputField: 'webhook',
  policy: {},
  signsRequests: true,

  settingsSchema(context, previous) {
    return webhookConfigSchema(context, previous?.credentials.headers).transform((parsed) => {
      // Headers left out keep theirs. Stored, the config holds them masked and their real values
      // are sealed apart (webhook-config.ts `storeWebhookConfig`).
      const headers = parsed.headers ?? previous?.credentials.headers ?? {};
      return { config: { url: parsed.url, headers: maskedHeaders(headers) }, credentials: { headers } };
    });
  },

  credentialHints: () => ({}),

  actionInput(event, transformed) {
    return transformed ? { body: transformed.json, rebuildable: false } : { body: JSON.stringify(defaultBody(event, event.publicId)), rebuildable: true };
  },

  async perform(input, target) {
    const startedAt = new Date();
    const { url } = target.config;
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const signed = signedHeaders(target.signingSecrets, target.deliveryId, timestamp, input.body);
    const sent = await sendWebhook(
      { url, headers: { ...target.credentials.headers, ...signed }, body: input.body },
      { timeoutMs: target.timeoutMs, maxResponseBytes: target.http.maxResponseBytes, allowPrivateTargets: target.http.allowPrivateTargets },
    );
    const shownUrl = maskUrlCredentials(url);
    const gone = sent.statusCode === 410;
    const verdict: Verdict = sent.ok ? { kind: 'success' } : gone ? { kind: 'wait' } : { kind: 'retry', retryAfterSeconds: sent.retryAfterSeconds };
    return {
      verdict,
      // 410 Gone: the receiver says the endpoint is gone for good; stop rather than burn retries.
      ...(gone && { connection: { kind: 'disable' as const, reason: `the receiver answered 410 Gone at ${shownUrl}` } }),
      method: 'POST',
      url: shownUrl,
      startedAt,
      durationMs: sent.durationMs,
      ...(sent.statusCode !== undefined && { statusCode: sent.statusCode }),
      ...(sent.responseExcerpt !== undefined && { responseExcerpt: sent.responseExcerpt }),
      ...(!sent.ok && { errorClass: sent.errorClass, error: sent.error }),
      // The signature is no secret (receivers get it, and it proves nothing about other bodies):
      // shown whole, it lets a customer debug their verification.
      requestHeaders: { ...maskedHeaders(sent.requestHeaders), ...signed },
      ...(!input.rebuildable && { requestBody: input.body }),
    };
  },
};
