import type { ActionTarget, AttemptReport } from '../destination-kind.ts';
import { JSON_HEADERS, jsonBody, type VendorExchange } from '../http/vendor-client.ts';
import { deadline, reportOf } from '../report.ts';
import type { VendorBase } from '../vendor-urls.ts';
import { classifyMailchimpAnswer } from './mailchimp-answers.ts';
import { subscriberHash, type MailchimpMember } from './mailchimp-member.ts';
import type { MailchimpConfig, MailchimpCredentials } from './mailchimp-settings.ts';

type Target = ActionTarget<MailchimpConfig, MailchimpCredentials>;

/** Most members in one batch call (Mailchimp's limit). */
export const MAX_BATCH_MEMBERS = 500;

/**
 * What a batch answer is asked to hold: who was created and updated, and each refusal. Without
 * `fields` Mailchimp returns every member's whole record, about 2 KB each.
 */
const BATCH_FIELDS = 'new_members.email_address,updated_members.email_address,errors,total_created,total_updated,error_count';

function apiBase(target: Target): VendorBase {
  const { mailchimpApi } = target.vendors;
  return { ...mailchimpApi, url: mailchimpApi.url.replaceAll('{dc}', target.config.dataCenter) };
}

/** HTTP basic auth: Mailchimp takes any user name and the API key as the password. */
function headers(target: Target): Record<string, string> {
  return { ...JSON_HEADERS, authorization: `Basic ${Buffer.from(`switchyard:${target.credentials.apiKey}`).toString('base64')}` };
}

function listUrl(target: Target): string {
  return `${apiBase(target).url}/lists/${encodeURIComponent(target.config.listId)}`;
}

/**
 * Adds or updates one member: `PUT .../members/{hash}` with `status_if_new` (and `status` when the
 * input sets one), then, when there are tags, `POST .../members/{hash}/tags`. Both are idempotent,
 * so a retry after a failed tag call repeats the upsert harmlessly.
 */
export async function upsertMember(member: MailchimpMember, target: Target): Promise<AttemptReport> {
  const left = deadline(target.timeoutMs);
  const memberUrl = `${listUrl(target)}/members/${subscriberHash(member.email)}`;
  const base = apiBase(target);
  const upsert = await target.http.send(
    {
      method: 'PUT',
      url: memberUrl,
      headers: headers(target),
      body: JSON.stringify({
        email_address: member.email,
        status_if_new: member.statusIfNew,
        ...(member.status && { status: member.status }),
        ...(Object.keys(member.mergeFields).length > 0 && { merge_fields: member.mergeFields }),
      }),
      base,
    },
    left(),
  );
  const upserted = classifyMailchimpAnswer(upsert, target.config.listId);
  if (upserted.verdict.kind !== 'success' || member.tags.length === 0) return reportOf(upsert, upserted);
  const tagged = await target.http.send(
    {
      method: 'POST',
      url: `${memberUrl}/tags`,
      headers: headers(target),
      body: JSON.stringify({ tags: member.tags.map((name) => ({ name, status: 'active' })) }),
      base,
    },
    left(),
  );
  const classified = classifyMailchimpAnswer(tagged, target.config.listId);
  return classified.verdict.kind === 'success' ? reportOf(upsert, upserted) : reportOf(tagged, classified);
}

interface BatchAnswer {
  new_members?: { email_address?: unknown }[];
  updated_members?: { email_address?: unknown }[];
  errors?: { email_address?: unknown; error?: unknown; error_code?: unknown; field?: unknown; field_message?: unknown }[];
}

const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : '');

/** Each member's own outcome in a batch answer that succeeded as a whole. */
function memberOutcomes(exchange: VendorExchange, members: readonly MailchimpMember[]): (AttemptReport | 'unbatched')[] {
  const answer = (jsonBody(exchange) ?? {}) as BatchAnswer;
  const created = new Set((answer.new_members ?? []).map((entry) => lower(entry.email_address)));
  const updated = new Set((answer.updated_members ?? []).map((entry) => lower(entry.email_address)));
  const refused = new Map((answer.errors ?? []).map((entry) => [lower(entry.email_address), entry]));
  return members.map((member) => {
    const address = member.email.toLowerCase();
    const refusal = refused.get(address);
    const excerpt = (body: unknown) => ({ ...exchange, body: JSON.stringify(body) });
    if (refusal?.error_code === 'ERROR_CONTACT_EXISTS') return 'unbatched';
    if (refusal) {
      const field = typeof refusal.field === 'string' && refusal.field ? ` (${refusal.field}: ${String(refusal.field_message ?? '')})` : '';
      return reportOf(excerpt(refusal), {
        verdict: { kind: 'rejected' },
        vendorCode: typeof refusal.error_code === 'string' ? refusal.error_code : 'ERROR_GENERIC',
        errorClass: 'REJECTED',
        error: `Mailchimp refused ${member.email}: ${String(refusal.error ?? 'no reason given')}${field}`,
      });
    }
    const outcome = created.has(address) ? 'created' : updated.has(address) ? 'updated' : undefined;
    if (outcome) return reportOf(excerpt({ email_address: member.email, outcome }), { verdict: { kind: 'success' } });
    return reportOf(excerpt(answer), { verdict: { kind: 'retry' }, errorClass: 'HTTP', error: `Mailchimp's batch answer did not mention ${member.email}` });
  });
}

/**
 * Adds or updates up to 500 members in one call, `POST .../lists/{listId}`, and gives each its own
 * outcome from the answer's `errors`. Mailchimp's batch sets `status` on existing members too,
 * which would resubscribe people who unsubscribed, so only members whose input sets a status go
 * with `update_existing: true`; the others go with `update_existing: false`, which creates the new
 * ones, and those Mailchimp already has come back `unbatched`, to be upserted one by one with
 * `status_if_new` like any single delivery.
 */
export async function batchUpsertMembers(members: readonly MailchimpMember[], target: Target): Promise<(AttemptReport | 'unbatched')[]> {
  const left = deadline(target.timeoutMs);
  const outcomes = new Map<MailchimpMember, AttemptReport | 'unbatched'>();
  for (const updateExisting of [true, false]) {
    const group = members.filter((member) => (member.status !== undefined) === updateExisting);
    if (group.length === 0) continue;
    const exchange = await target.http.send(
      {
        method: 'POST',
        url: `${listUrl(target)}?fields=${BATCH_FIELDS}`,
        headers: headers(target),
        body: JSON.stringify({
          members: group.map((member) => ({
            email_address: member.email,
            status: member.status ?? member.statusIfNew,
            ...(Object.keys(member.mergeFields).length > 0 && { merge_fields: member.mergeFields }),
            ...(member.tags.length > 0 && { tags: member.tags }),
          })),
          update_existing: updateExisting,
        }),
        base: apiBase(target),
      },
      left(),
    );
    const classified = classifyMailchimpAnswer(exchange, target.config.listId);
    const reports = classified.verdict.kind === 'success' ? memberOutcomes(exchange, group) : group.map(() => reportOf(exchange, classified));
    group.forEach((member, index) => outcomes.set(member, reports[index]!));
  }
  return members.map((member) => outcomes.get(member)!);
}
