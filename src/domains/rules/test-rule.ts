import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { newId } from '../../db/ids.ts';
import { defaultBody } from '../deliveries/engine/webhook-body.ts';
import { eventTypeName } from '../event-types/event-type-name.ts';
import { payloadLimitIssues } from '../events/check-payload.ts';
import { findEvent } from '../events/event-queries.ts';
import type { EventRecord } from '../events/event-record.ts';
import { ValidationError } from '../errors.ts';
import { CompiledExpression, evaluate, ExpressionError, tryCompile } from '../expressions/expression.ts';
import { truthy } from '../expressions/guarded-evaluation.ts';
import { evaluateTransform, expressionInput, unknownFieldWarnings, type ExpressionInput } from '../expressions/rule-expressions.ts';
import { encodeId } from '../public-ids.ts';
import { parseInput } from '../validation.ts';
import { compilePattern, patternProblem } from './match-pattern.ts';
import { getRule } from './rule.service.ts';

/** Why an expression could not be compiled or evaluated, with where. */
export interface ExpressionFailure {
  /** jsonata's code (`S0...` syntax, `D1012` time limit, `T...` type) or Switchyard's (`NO_OUTPUT` ...). */
  code: string;
  message: string;
  /** Character position in the expression, when known. */
  position: number | null;
}

/** What one expression did with the event. */
export interface ExpressionTrial {
  source: string;
  /** Its result; undefined when it produced nothing or failed. */
  value: unknown;
  error: ExpressionFailure | null;
}

/** What a rule would do with one event. */
export interface RuleTrial {
  /** The type matched a pattern and the condition (if any) passed: the rule routes the event. */
  matched: boolean;
  patterns: { pattern: string; matched: boolean }[];
  condition: (ExpressionTrial & { passed: boolean }) | null;
  transform: ExpressionTrial | null;
  /** The request body the connection would get, as sent; null when the transform fails. */
  body: string | null;
  /** Names the expressions read that no event has (see `unknownFieldWarnings`). */
  warnings: string[];
}

const trialEvent = z.object({
  type: eventTypeName,
  resource: z.string().max(200).nullish(),
  resourceId: z.string().max(200).nullish(),
  payload: z.unknown().optional(),
  sequence: z.number().int().min(0).nullish(),
  timestamp: z.date().nullish(),
});

const testRuleInput = z
  .object({
    ruleId: z.string().nullish(),
    rule: z
      .object({
        eventTypes: z
          .array(z.string().trim().superRefine((pattern, context) => {
            const problem = patternProblem(pattern);
            if (problem) context.addIssue({ code: 'custom', message: problem });
          }))
          .min(1, 'must list at least one pattern, e.g. "order.*" or "*"')
          .nullish(),
        condition: z.string().nullish(),
        transform: z.string().nullish(),
      })
      .nullish(),
    event: trialEvent.nullish(),
    eventId: z.string().nullish(),
  })
  .superRefine((input, context) => {
    if (!input.ruleId && !input.rule?.eventTypes) {
      context.addIssue({ code: 'custom', path: ['rule', 'eventTypes'], message: 'give the rule\'s eventTypes, or a ruleId' });
    }
    if (!input.event === !input.eventId) {
      context.addIssue({ code: 'custom', path: ['event'], message: 'give either an event or an eventId' });
    }
  });

/**
 * Runs a rule against one event without sending anything: which patterns match, what the
 * condition and the transform evaluate to (or the error and its position, syntax errors
 * included), and the body the connection would get. The rule is a saved one (`ruleId`), a draft
 * (`rule`), or a saved one with the draft's fields in place of its own (an edit tried before it is
 * saved). The event is given (`event`) or stored (`eventId`). Ids are storage ids.
 */
export async function testRule(em: EntityManager, config: Config, workspaceId: string, input: unknown): Promise<RuleTrial> {
  const data = parseInput(testRuleInput, input);
  const saved = data.ruleId ? await getRule(em, workspaceId, data.ruleId) : null;
  const draft = data.rule ?? {};
  const rule = {
    eventTypes: draft.eventTypes ?? saved!.eventTypes,
    condition: draft.condition !== undefined ? draft.condition : (saved?.condition ?? null),
    transform: draft.transform !== undefined ? draft.transform : (saved?.transform ?? null),
  };
  const tooLarge = data.event ? payloadLimitIssues(config, data.event.payload ?? {}, ['input', 'event']) : [];
  if (tooLarge.length > 0) throw new ValidationError(tooLarge);
  const event = data.eventId ? await findEvent(em, workspaceId, data.eventId) : adHocEvent(workspaceId, data.event!);
  const expressionEvent = expressionInput(event);
  const limits = { timeoutMs: config.expressionTimeoutMs };

  const patterns = rule.eventTypes.map((pattern) => ({ pattern, matched: compilePattern(pattern)(event.type) }));
  const condition = blankToNull(rule.condition);
  const transform = blankToNull(rule.transform);
  const conditionTrial = condition ? await tryCondition(condition, expressionEvent, limits) : null;
  const transformTrial = transform
    ? await tryTransform(transform, expressionEvent, { ...limits, maxBytes: config.maxTransformBytes })
    : null;
  return {
    matched: patterns.some((pattern) => pattern.matched) && (!conditionTrial || conditionTrial.passed),
    patterns,
    condition: conditionTrial,
    transform: transformTrial && { source: transformTrial.source, value: transformTrial.value, error: transformTrial.error },
    body: transformTrial ? transformTrial.body : JSON.stringify(defaultBody(event, encodeId('Event', event.id))),
    warnings: [...unknownFieldWarnings('condition', condition), ...unknownFieldWarnings('transform', transform)],
  };
}

function blankToNull(source: string | null): string | null {
  return source === null || source.trim() === '' ? null : source;
}

/** The event a trial runs on when none is stored: numbered 1 and accepted now unless told. */
function adHocEvent(workspaceId: string, event: z.infer<typeof trialEvent>): EventRecord {
  return {
    id: newId(),
    workspaceId,
    type: event.type,
    resource: event.resource ?? null,
    resourceId: event.resourceId ?? null,
    payload: event.payload ?? {},
    idempotencyKey: null,
    sequence: event.sequence ?? 1,
    createdAt: event.timestamp ?? new Date(),
    test: false,
  };
}

function failureOf(error: unknown): ExpressionFailure {
  if (error instanceof ExpressionError) return { code: error.code, message: error.message, position: error.position };
  if (error instanceof ValidationError) return { code: 'INVALID', message: error.message, position: null };
  throw error;
}

async function tryCondition(source: string, input: ExpressionInput, limits: { timeoutMs: number }) {
  const compiled = tryCompile(source);
  if (!(compiled instanceof CompiledExpression)) return { source, value: undefined, passed: false, error: failureOf(compiled) };
  try {
    const value = await evaluate(compiled, input, limits);
    return { source, value, passed: truthy(value), error: null };
  } catch (error) {
    return { source, value: undefined, passed: false, error: failureOf(error) };
  }
}

async function tryTransform(source: string, input: ExpressionInput, limits: { timeoutMs: number; maxBytes: number }) {
  const compiled = tryCompile(source);
  if (!(compiled instanceof CompiledExpression)) return { source, value: undefined, body: null, error: failureOf(compiled) };
  try {
    const body = await evaluateTransform(compiled, input, limits);
    return { source, value: JSON.parse(body) as unknown, body, error: null };
  } catch (error) {
    return { source, value: undefined, body: null, error: failureOf(error) };
  }
}
