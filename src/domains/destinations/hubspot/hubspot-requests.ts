import { excerptOf } from '../../deliveries/http/send-request.ts';
import type { ActionTarget, AttemptReport } from '../destination-kind.ts';
import { sendAuthorized } from '../http/authorized-call.ts';
import { JSON_HEADERS, jsonBody, type VendorCall, type VendorExchange } from '../http/vendor-client.ts';
import { deadline, reportOf } from '../report.ts';
import { classifyHubSpotAnswer, refusesToken, type HubSpotError } from './hubspot-answers.ts';
import type { HubSpotInput } from './hubspot-input.ts';
import type { HubSpotConfig, HubSpotCredentials } from './hubspot-settings.ts';

type Target = ActionTarget<HubSpotConfig, HubSpotCredentials>;
type Contact = Extract<HubSpotInput, { action: 'UPSERT_CONTACT' }>;

/** Most inputs in one batch upsert (HubSpot's limit). */
export const MAX_BATCH_CONTACTS = 100;

const UPSERT_PATH = '/crm/v3/objects/contacts/batch/upsert';

/** Sends `body` to `path` with the connection's token, refreshed once if HubSpot refuses it. */
function send(target: Target, path: string, body: unknown, timeoutMs: () => number) {
  const url = `${target.vendors.hubspotApi.url}${path}`;
  const call = (token: { accessToken: string }): VendorCall => ({
    method: 'POST',
    url,
    headers: { ...JSON_HEADERS, authorization: `Bearer ${token.accessToken}` },
    body: JSON.stringify(body),
    base: target.vendors.hubspotApi,
  });
  return sendAuthorized({ http: target.http, fixedToken: target.credentials.accessToken, tokens: target.tokens, call, shown: { method: 'POST', url }, refused: refusesToken, timeoutMs });
}

function upsertInput(contact: Contact, traceId: string) {
  return { id: contact.email, idProperty: 'email', properties: contact.properties, objectWriteTraceId: traceId };
}

/**
 * Performs one action: a contact goes through the batch upsert with one input (HubSpot's v3 API
 * upserts by email only there); an event is `POST /events/v3/send`, where 204 is success.
 */
export async function performHubSpot(input: HubSpotInput, target: Target): Promise<AttemptReport> {
  const left = deadline(target.timeoutMs);
  const sent =
    input.action === 'SEND_EVENT'
      ? await send(target, '/events/v3/send', { eventName: target.config.eventName, email: input.email, properties: input.properties, occurredAt: input.occurredAt }, left)
      : await send(target, UPSERT_PATH, { inputs: [upsertInput(input, target.deliveryId)] }, left);
  if ('report' in sent) return sent.report;
  const report = reportOf(sent.exchange, classifyHubSpotAnswer(sent.exchange));
  if (sent.exchange.statusCode !== 207 || input.action === 'SEND_EVENT') return report;
  return itemReports(sent.exchange, [target.deliveryId])[0]!;
}

interface BatchAnswer {
  results?: { objectWriteTraceId?: unknown }[];
  errors?: (HubSpotError & { status?: unknown })[];
}

/**
 * Each input's own report from a 207: an input in `results` succeeded; one named by an error's
 * `context.objectWriteTraceId` failed with that error (a `VALIDATION_ERROR` is rejected, anything
 * else retried); one named by neither is retried, as its outcome is unknown.
 */
function itemReports(exchange: VendorExchange, traceIds: readonly string[]): AttemptReport[] {
  const answer = (jsonBody(exchange) ?? {}) as BatchAnswer;
  const succeeded = new Map((answer.results ?? []).map((result) => [String(result.objectWriteTraceId), result]));
  const failed = new Map<string, HubSpotError>();
  for (const error of answer.errors ?? []) {
    const traces = Array.isArray(error.context?.objectWriteTraceId) ? error.context.objectWriteTraceId : [];
    for (const trace of traces) failed.set(String(trace), error);
  }
  const base = reportOf(exchange, { verdict: { kind: 'success' } });
  return traceIds.map((traceId): AttemptReport => {
    const result = succeeded.get(traceId);
    if (result) return { ...base, responseExcerpt: excerptOf(JSON.stringify(result)) };
    const error = failed.get(traceId);
    if (!error) {
      return { ...base, verdict: { kind: 'retry' }, errorClass: 'HTTP', error: 'HubSpot answered 207 without an outcome for this contact', responseExcerpt: undefined };
    }
    const category = typeof error.category === 'string' ? error.category : 'ERROR';
    const message = `HubSpot refused the contact: ${category}${typeof error.message === 'string' ? `: ${error.message.slice(0, 500)}` : ''}`;
    const rejected = category === 'VALIDATION_ERROR';
    return {
      ...base,
      verdict: rejected ? { kind: 'rejected' } : { kind: 'retry' },
      vendorCode: category,
      errorClass: rejected ? 'REJECTED' : 'HTTP',
      error: message,
      responseExcerpt: excerptOf(JSON.stringify(error)),
    };
  });
}

/**
 * A backlog's contacts in one batch upsert of up to 100 inputs, each traced by its delivery's id
 * (`objectWriteTraceId`) so a 207 tells each delivery its own outcome. Events are not batched:
 * a SEND_EVENT connection is claimed one delivery a call, and events claimed together as the
 * action changed are handed back (`unbatched`) to go on their own. When HubSpot refuses a whole batch of several inputs
 * with a 400, each is sent on its own, so only the bad one fails.
 */
export async function performHubSpotBatch(inputs: readonly HubSpotInput[], target: Target, deliveryIds?: readonly string[]): Promise<(AttemptReport | 'unbatched')[]> {
  if (inputs.some((input) => input.action !== 'UPSERT_CONTACT')) return inputs.map(() => 'unbatched');
  const traceIds = inputs.map((_, index) => deliveryIds?.[index] ?? String(index));
  const sent = await send(target, UPSERT_PATH, { inputs: (inputs as Contact[]).map((contact, index) => upsertInput(contact, traceIds[index]!)) }, deadline(target.timeoutMs));
  if ('report' in sent) return inputs.map(() => sent.report);
  const status = sent.exchange.statusCode;
  if (status === 207) return itemReports(sent.exchange, traceIds);
  if (status === 400 && inputs.length > 1) return inputs.map(() => 'unbatched');
  const report = reportOf(sent.exchange, classifyHubSpotAnswer(sent.exchange));
  return inputs.map(() => report);
}
