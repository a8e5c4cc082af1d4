import { createHash, randomBytes } from 'node:crypto';
import { startContractServer, type ContractReply, type ContractRequest, type ContractServer } from './contract-server.ts';

/**
 * A local stand-in for Mailchimp's Marketing API 3.0 as Mailchimp documents it: list members
 * addressed by the MD5 of the lowercased email (https://mailchimp.com/developer/marketing/api/list-members/),
 * HTTP basic auth with the API key as password and its data center in the URL, errors as
 * `application/problem+json` (https://mailchimp.com/developer/marketing/docs/errors/), at most 10
 * simultaneous connections per key (429 without `Retry-After`), batch subscribe with each member's
 * error in `errors` (https://mailchimp.com/developer/marketing/api/lists/batch-subscribe-or-unsubscribe/)
 * and `fields` to trim answers. Mount it at `apiUrl` with `{dc}` in the path.
 */
export interface MailchimpContract {
  server: ContractServer;
  /** What to configure as `SWITCHYARD_MAILCHIMP_API_URL`: `http://127.0.0.1:<port>/{dc}/3.0`. */
  apiUrl: string;
  /** A new account's API key (`<32 hex>-<dc>`). */
  addAccount(dataCenter?: string): string;
  /** A new audience of the key's account; `requiredMergeFields` must be given for new members. */
  addList(apiKey: string, options?: { requiredMergeFields?: string[] }): string;
  /** The member, by email in any case. */
  member(listId: string, email: string): StoredMember | undefined;
  /** Puts a member in place, e.g. one who unsubscribed or bounced. */
  seedMember(listId: string, email: string, member: Partial<StoredMember>): void;
  /** The address was permanently deleted (GDPR): it cannot be re-imported. */
  forget(listId: string, email: string): void;
  revokeKey(apiKey: string): void;
  disableAccount(apiKey: string): void;
  /** Milliseconds every answer takes, so simultaneous connections can be counted. */
  latencyMs: number;
  /** Answers the next `count` requests with `reply` instead (a bodyless 403, a 503 ...). */
  failNext(count: number, reply: ContractReply): void;
  /** The most requests one key had in flight at once. */
  maxInFlight(apiKey: string): number;
  close(): Promise<void>;
}

export interface StoredMember {
  email_address: string;
  status: 'subscribed' | 'unsubscribed' | 'cleaned' | 'pending' | 'transactional';
  merge_fields: Record<string, unknown>;
  tags: string[];
  /** Unsubscribed, bounced or under compliance review: cannot be subscribed again through the API. */
  compliance: boolean;
}

/** A member change allowed, or refused: as a problem document and as a batch error. */
type Change =
  | { member: StoredMember; created: boolean }
  | { refused: ContractReply; generic: string; field?: string; fieldMessage?: string };

interface Account {
  dataCenter: string;
  state: 'active' | 'revoked' | 'disabled';
}

interface List {
  apiKey: string;
  members: Map<string, StoredMember>;
  forgotten: Set<string>;
  required: string[];
}

export const MAX_SIMULTANEOUS = 10;
const STATUSES = new Set(['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional']);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const md5 = (value: string) => createHash('md5').update(value).digest('hex');

function problem(status: number, title: string, detail: string, errors?: { field: string; message: string }[]): ContractReply {
  return {
    status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    body: { type: 'https://mailchimp.com/developer/marketing/docs/errors/', title, status, detail, instance: randomBytes(8).toString('hex'), ...(errors && { errors }) },
  };
}

const invalidResource = (detail: string, errors?: { field: string; message: string }[]) => problem(400, 'Invalid Resource', detail, errors);

/** `value` with only the dotted `fields` kept (Mailchimp's `fields` query parameter); arrays keep them per element. */
function pick(value: unknown, fields: string[]): unknown {
  if (Array.isArray(value)) return value.map((element) => pick(element, fields));
  if (typeof value !== 'object' || value === null) return value;
  const kept: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const own = fields.filter((field) => field === key || field.startsWith(`${key}.`)).map((field) => field.slice(key.length + 1));
    if (own.length === 0) continue;
    kept[key] = own.includes('') ? inner : pick(inner, own);
  }
  return kept;
}

function memberView(listId: string, member: StoredMember) {
  const hash = md5(member.email_address.toLowerCase());
  return {
    id: hash,
    email_address: member.email_address,
    unique_email_id: hash.slice(0, 10),
    contact_id: hash.slice(10, 20),
    status: member.status,
    merge_fields: member.merge_fields,
    tags_count: member.tags.length,
    tags: member.tags.map((name, index) => ({ id: index + 1, name })),
    list_id: listId,
    last_changed: new Date().toISOString(),
  };
}

export async function startMailchimpContract(): Promise<MailchimpContract> {
  const accounts = new Map<string, Account>();
  const lists = new Map<string, List>();
  const injected: { count: number; reply: ContractReply }[] = [];
  let latencyMs = 0;

  const keyOf = (request: ContractRequest) => {
    const basic = /^Basic (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    if (!basic) return '';
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  };

  /** A member change with Mailchimp's rules, or why it is refused (title, detail, errors). */
  function change(list: List, email: string, wanted: { status?: string; statusIfNew?: string; mergeFields?: Record<string, unknown>; tags?: string[] }): Change {
    const address = email.toLowerCase();
    if (!EMAIL.test(email)) return { refused: invalidResource('Please provide a valid email address.'), generic: `${email} looks fake or invalid, please enter a real email address.` };
    if (list.forgotten.has(address)) {
      const detail = `${email} was permanently deleted and cannot be re-imported. The contact must re-subscribe to get back on the list.`;
      return { refused: problem(400, 'Forgotten Email Not Subscribed', detail), generic: detail };
    }
    const existing = list.members.get(address);
    if (wanted.status !== undefined && !STATUSES.has(wanted.status)) return { refused: invalidResource('The resource submitted could not be validated.', [{ field: 'status', message: 'Schema describes enum, NULL found instead' }]), generic: 'Invalid status' };
    if (existing) {
      if (existing.compliance && wanted.status === 'subscribed') {
        const detail = `${email} is already a list member in compliance state due to unsubscribe, bounce, or compliance review.`;
        return { refused: problem(400, 'Member In Compliance State', detail), generic: `${email} is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.` };
      }
      const updated: StoredMember = {
        ...existing,
        status: (wanted.status as StoredMember['status']) ?? existing.status,
        merge_fields: { ...existing.merge_fields, ...wanted.mergeFields },
        tags: [...new Set([...existing.tags, ...(wanted.tags ?? [])])],
      };
      return { member: updated, created: false };
    }
    const status = wanted.status ?? wanted.statusIfNew;
    if (!status || !STATUSES.has(status)) return { refused: invalidResource('The resource submitted could not be validated. For field-specific details, see the \'errors\' array.', [{ field: 'status', message: 'Schema describes enum, NULL found instead' }]), generic: 'status is required' };
    const missing = list.required.filter((tag) => wanted.mergeFields?.[tag] === undefined || wanted.mergeFields[tag] === '');
    if (missing.length > 0) {
      return { refused: invalidResource('Your merge fields were invalid.', missing.map((field) => ({ field, message: 'Please enter a value' }))), generic: 'Your merge fields were invalid.', field: missing[0], fieldMessage: 'Please enter a value' };
    }
    return { member: { email_address: email, status: status as StoredMember['status'], merge_fields: { ...wanted.mergeFields }, tags: wanted.tags ?? [], compliance: false }, created: true };
  }

  function route(request: ContractRequest, server: ContractServer): ContractReply {
    const match = /^\/([a-z]+[0-9]+)\/3\.0(\/.*)$/.exec(request.path);
    if (!match) return problem(404, 'Resource Not Found', 'The requested resource could not be found.');
    const [, dataCenter, path] = match as unknown as [string, string, string];
    const apiKey = keyOf(request);
    if (!apiKey) return problem(401, 'API Key Missing', 'Your request did not include an API key.');
    const account = accounts.get(apiKey);
    if (!account || account.state === 'revoked' || account.dataCenter !== dataCenter) {
      return problem(401, 'API Key Invalid', "Your API key may be invalid, or you've attempted to access the wrong datacenter.");
    }
    if (account.state === 'disabled') return problem(403, 'User Disabled', 'This account has been disabled.');
    if (server.inFlight(apiKey) > MAX_SIMULTANEOUS) return problem(429, 'Too Many Requests', `You have exceeded the limit of ${MAX_SIMULTANEOUS} simultaneous connections.`);
    if (path === '/ping') return { status: 200, body: { health_status: "Everything's Chimpy!" } };
    const [, , listId, collection, hash, sub] = path.split('/');
    const list = listId ? lists.get(listId) : undefined;
    if (!list || list.apiKey !== apiKey) return problem(404, 'Resource Not Found', 'The requested resource could not be found.');
    let body: Record<string, unknown>;
    try {
      body = request.body ? (JSON.parse(request.body) as Record<string, unknown>) : {};
    } catch {
      return problem(400, 'JSON Parse Error', 'We encountered an unspecified JSON parsing error.');
    }
    const fields = request.query.get('fields')?.split(',').filter(Boolean);
    const ok = (status: number, value: unknown): ContractReply => ({ status, body: fields ? pick(value, fields) : value });

    if (collection === undefined && request.method === 'POST') return batch(listId!, list, body, ok);
    if (collection !== 'members' || !hash) return problem(404, 'Resource Not Found', 'The requested resource could not be found.');
    if (sub === 'tags' && request.method === 'POST') {
      const member = [...list.members.values()].find((candidate) => md5(candidate.email_address.toLowerCase()) === hash);
      if (!member) return problem(404, 'Resource Not Found', 'The requested resource could not be found.');
      for (const tag of (body.tags ?? []) as { name: string; status: string }[]) {
        member.tags = tag.status === 'inactive' ? member.tags.filter((name) => name !== tag.name) : [...new Set([...member.tags, tag.name])];
      }
      return { status: 204 };
    }
    if (sub !== undefined) return problem(404, 'Resource Not Found', 'The requested resource could not be found.');
    if (request.method === 'GET') {
      const member = [...list.members.values()].find((candidate) => md5(candidate.email_address.toLowerCase()) === hash);
      return member ? ok(200, memberView(listId!, member)) : problem(404, 'Resource Not Found', 'The requested resource could not be found.');
    }
    if (request.method !== 'PUT') return problem(405, 'Method Not Allowed', "The requested method and resource are not compatible. See the Allow header for this resource's available methods.");
    const email = typeof body.email_address === 'string' ? body.email_address : '';
    if (!email) return invalidResource('The resource submitted could not be validated.', [{ field: 'email_address', message: 'This value should not be blank.' }]);
    if (md5(email.toLowerCase()) !== hash) return invalidResource('The subscriber hash in the URL does not match the email_address in the request body: hash the lowercased address.');
    const result = change(list, email, {
      status: body.status as string | undefined,
      statusIfNew: body.status_if_new as string | undefined,
      mergeFields: body.merge_fields as Record<string, unknown> | undefined,
    });
    if ('refused' in result) return result.refused;
    list.members.set(email.toLowerCase(), result.member);
    return ok(200, memberView(listId!, result.member));
  }

  function batch(listId: string, list: List, body: Record<string, unknown>, ok: (status: number, value: unknown) => ContractReply): ContractReply {
    const members = body.members;
    if (!Array.isArray(members)) return invalidResource('The resource submitted could not be validated.', [{ field: 'members', message: 'Schema describes array, NULL found instead' }]);
    if (members.length > 500) return invalidResource('The resource submitted could not be validated.', [{ field: 'members', message: 'A maximum of 500 members may be added or updated with each call.' }]);
    const created: StoredMember[] = [];
    const updated: StoredMember[] = [];
    const errors: Record<string, unknown>[] = [];
    for (const entry of members as Record<string, unknown>[]) {
      const email = typeof entry.email_address === 'string' ? entry.email_address : '';
      const existing = list.members.get(email.toLowerCase());
      if (existing && body.update_existing !== true) {
        errors.push({ email_address: email, error: `${email} is already a list member. Use PUT to insert or update list members.`, error_code: 'ERROR_CONTACT_EXISTS', field: '', field_message: '' });
        continue;
      }
      const result = change(list, email, { status: entry.status as string | undefined, mergeFields: entry.merge_fields as Record<string, unknown> | undefined, tags: entry.tags as string[] | undefined });
      if ('refused' in result) {
        errors.push({ email_address: email, error: result.generic, error_code: 'ERROR_GENERIC', field: result.field ?? '', field_message: result.fieldMessage ?? '' });
        continue;
      }
      list.members.set(email.toLowerCase(), result.member);
      (result.created ? created : updated).push(result.member);
    }
    return ok(200, {
      new_members: created.map((member) => memberView(listId, member)),
      updated_members: updated.map((member) => memberView(listId, member)),
      errors,
      total_created: created.length,
      total_updated: updated.length,
      error_count: errors.length,
      _links: [],
    });
  }

  const server = await startContractServer((request, contract) => {
    const fault = injected[0];
    const reply: ContractReply = fault ? fault.reply : route(request, contract);
    if (fault && --fault.count <= 0) injected.shift();
    return { ...reply, delayMs: reply.delayMs ?? latencyMs };
  }, keyOf);

  const listOf = (listId: string) => {
    const list = lists.get(listId);
    if (!list) throw new Error(`no list ${listId}`);
    return list;
  };
  return {
    server,
    apiUrl: `${server.origin}/{dc}/3.0`,
    addAccount(dataCenter = 'us21') {
      const apiKey = `${randomBytes(16).toString('hex')}-${dataCenter}`;
      accounts.set(apiKey, { dataCenter, state: 'active' });
      return apiKey;
    },
    addList(apiKey, options = {}) {
      const id = randomBytes(5).toString('hex');
      lists.set(id, { apiKey, members: new Map(), forgotten: new Set(), required: options.requiredMergeFields ?? [] });
      return id;
    },
    member: (listId, email) => listOf(listId).members.get(email.toLowerCase()),
    seedMember(listId, email, member) {
      listOf(listId).members.set(email.toLowerCase(), { email_address: email, status: 'subscribed', merge_fields: {}, tags: [], compliance: false, ...member });
    },
    forget: (listId, email) => void listOf(listId).forgotten.add(email.toLowerCase()),
    revokeKey: (apiKey) => void (accounts.get(apiKey)!.state = 'revoked'),
    disableAccount: (apiKey) => void (accounts.get(apiKey)!.state = 'disabled'),
    get latencyMs() {
      return latencyMs;
    },
    set latencyMs(value: number) {
      latencyMs = value;
    },
    failNext: (count, reply) => void injected.push({ count, reply }),
    maxInFlight: (apiKey) => server.maxInFlight(apiKey),
    close: () => server.close(),
  };
}
