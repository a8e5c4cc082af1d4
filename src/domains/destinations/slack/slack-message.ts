import { z } from 'zod';
import type { ActionEvent } from '../destination-kind.ts';
import { checkActionInput } from '../mapping.ts';

/** Slack's documented limits (https://docs.slack.dev/reference/block-kit/blocks). */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  /** `text` beyond this is truncated by Slack, and `chat.postMessage` may refuse it. */
  text: 40_000,
} as const;

type Block = Record<string, unknown> & { type: string };

/** A SLACK action input: what a rule's transform returns, and what the default mapping makes. */
export interface SlackMessage {
  /** The notification text, and the whole message when there are no blocks. */
  text: string;
  blocks?: Block[];
  thread_ts?: string;
  unfurl_links?: boolean;
  unfurl_media?: boolean;
  username?: string;
  icon_emoji?: string;
  icon_url?: string;
}

const block = z.looseObject({ type: z.string({ error: 'is required (a string such as "section")' }) });

const message = z.strictObject(
  {
    text: z.string({ error: 'is required (a string: the notification text)' }),
    blocks: z.array(block, { error: 'must be an array of Block Kit blocks' }).optional(),
    thread_ts: z.string().optional(),
    unfurl_links: z.boolean().optional(),
    unfurl_media: z.boolean().optional(),
    username: z.string().optional(),
    icon_emoji: z.string().optional(),
    icon_url: z.string().optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}; a Slack message has text, blocks, thread_ts, unfurl_links, unfurl_media, username, icon_emoji and icon_url` : 'must be an object { text, blocks? }') },
);

/** `value` cut to `max` characters, an ellipsis marking the cut, never half a character or entity. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  let cut = value.slice(0, max - 1);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.replace(/&[a-z]{0,4}$/, '')}…`;
}

/** Escapes the three characters Slack's text treats as markup. */
export function escapeText(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function clampText(object: unknown, max: number): unknown {
  if (typeof object !== 'object' || object === null || typeof (object as { text?: unknown }).text !== 'string') return object;
  return { ...object, text: truncate((object as { text: string }).text, max) };
}

/** One block within Slack's limits: long texts truncated, extra fields and elements dropped. */
function clampBlock(original: Block): Block {
  switch (original.type) {
    case 'header':
      return { ...original, text: clampText(original.text, SLACK_LIMITS.headerText) };
    case 'section': {
      const clamped: Block = { ...original, text: clampText(original.text, SLACK_LIMITS.sectionText) };
      if (original.text === undefined) delete clamped.text;
      if (Array.isArray(original.fields)) {
        clamped.fields = original.fields.slice(0, SLACK_LIMITS.sectionFields).map((field) => clampText(field, SLACK_LIMITS.fieldText));
      }
      return clamped;
    }
    case 'context':
      return Array.isArray(original.elements)
        ? { ...original, elements: original.elements.slice(0, SLACK_LIMITS.contextElements).map((element) => clampText(element, SLACK_LIMITS.fieldText)) }
        : original;
    default:
      return original;
  }
}

/**
 * A message within Slack's limits: at most 50 blocks, header texts of 150 characters, section
 * texts of 3000, fields of 2000, `text` of 40,000. What is longer is truncated, never refused:
 * a message cut short beats a message lost to `invalid_blocks`.
 */
export function withinLimits(input: SlackMessage): SlackMessage {
  const clamped: SlackMessage = { ...input, text: truncate(input.text, SLACK_LIMITS.text) };
  if (input.blocks) clamped.blocks = input.blocks.slice(0, SLACK_LIMITS.blocks).map(clampBlock);
  return clamped;
}

/** A transform's result as a Slack message, checked and brought within Slack's limits. */
export function slackMessageFrom(value: unknown): SlackMessage {
  return withinLimits(checkActionInput(message, value, 'a Slack message { text, blocks? }') as SlackMessage);
}

/**
 * The default message: a header with the event type, the resource and its id as fields, the
 * payload as a code block (truncated to fit), and the event's id, sequence and time as context
 * (a test send says so there).
 * `text` carries the same in one line for notifications.
 */
export function defaultSlackMessage(event: ActionEvent): SlackMessage {
  const subject = [event.resource, event.resourceId].filter(Boolean).join(' ');
  const fields = [
    event.resource && { type: 'mrkdwn', text: `*Resource*\n${escapeText(event.resource)}` },
    event.resourceId && { type: 'mrkdwn', text: `*Resource id*\n${escapeText(event.resourceId)}` },
  ].filter(Boolean);
  const fence = '```';
  const payload = escapeText(JSON.stringify(event.payload, null, 2) ?? 'null');
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: event.type, emoji: false } },
    ...(fields.length > 0 ? [{ type: 'section', fields }] : []),
    { type: 'section', text: { type: 'mrkdwn', text: `${fence}${truncate(payload, SLACK_LIMITS.sectionText - 2 * fence.length)}${fence}` } },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `${event.test ? 'Test send · ' : ''}${event.publicId} · sequence ${event.sequence} · ${event.createdAt.toISOString()}` }],
    },
  ];
  return withinLimits({ text: escapeText(subject ? `${event.type}: ${subject}` : event.type), blocks });
}
