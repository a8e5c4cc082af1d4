import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { Rule } from './rule.entity.ts';
import { patternProblem, reachesOperationalEvents } from './match-pattern.ts';
import { refuseOperationalRoutes } from './operational-routes.ts';
import { Connection } from '../connections/connection.entity.ts';
import { compileExpression, evaluate, ExpressionError } from '../expressions/expression.ts';
import { expressionInput } from '../expressions/rule-expressions.ts';
import { ConflictError, NotFoundError, ValidationError, type Issue } from '../errors.ts';
import { isUniqueViolation, parseInput } from '../validation.ts';

/** Most patterns one rule may list. */
export const MAX_PATTERNS = 50;

const name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

/** 1 to 50 event-type patterns, each checked, duplicates dropped. */
export const eventTypePatterns = z
  .array(
    z
      .string()
      .trim()
      .superRefine((pattern, context) => {
        const problem = patternProblem(pattern);
        if (problem) context.addIssue({ code: 'custom', message: problem });
      }),
  )
  .min(1, 'must list at least one pattern, e.g. "order.*" or "*"')
  .max(MAX_PATTERNS, `must list at most ${MAX_PATTERNS} patterns`)
  .transform((patterns) => [...new Set(patterns)]);

/**
 * A JSONata expression, compiled now so a syntax error is refused with its position; blank
 * means none (null), left out means unchanged (undefined).
 */
function expression(field: 'condition' | 'transform') {
  return z
    .string()
    .nullish()
    .transform((source, context) => {
      if (source === undefined) return undefined;
      if (source === null || source.trim() === '') return null;
      try {
        compileExpression(source, field);
        return source;
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        for (const issue of error.issues) context.addIssue({ code: 'custom', message: issue.message });
        return z.NEVER;
      }
    });
}

/** The guardrails' codes: too deep, too long, too large a sequence, too much memory. */
const RUNAWAY = new Set(['D1011', 'D1012', 'D2014', 'D2015', 'MEMORY_LIMIT']);

/** Options of the rule mutations. */
export interface RuleOptions {
  /** `config.expressionTimeoutMs`, the limit of the trial run. */
  expressionTimeoutMs: number;
}

/**
 * Runs each expression once on an empty sample event, so one that cannot finish whatever the
 * event (runaway recursion, endless loop) is refused when saved rather than on every delivery.
 * Other errors are the sample's fault (it has no payload) and are ignored.
 */
async function refuseRunaways(expressions: { condition?: string | null; transform?: string | null }, options: RuleOptions) {
  const sample = expressionInput({ type: 'sample.event', sequence: 0, createdAt: new Date(), payload: {} });
  const issues: Issue[] = [];
  for (const field of ['condition', 'transform'] as const) {
    const source = expressions[field];
    if (!source) continue;
    try {
      await evaluate(compileExpression(source, field), sample, { timeoutMs: options.expressionTimeoutMs });
    } catch (error) {
      if (error instanceof ExpressionError && RUNAWAY.has(error.code)) {
        issues.push({ path: ['input', field], message: `does not finish on a sample event: ${error.message}` });
      }
    }
  }
  if (issues.length) throw new ValidationError(issues);
}

const fields = {
  condition: expression('condition'),
  transform: expression('transform'),
  enabled: z.boolean().nullish(),
};

const createInput = z.object({ name, eventTypes: eventTypePatterns, connectionId: z.string(), ...fields });
const updateInput = z.object({ name: name.nullish(), eventTypes: eventTypePatterns.nullish(), connectionId: z.string().optional(), ...fields });

function nameTaken(ruleName: string): ConflictError {
  return new ConflictError(['input', 'name'], `a rule named "${ruleName}" already exists in this workspace`);
}

async function assertConnection(em: EntityManager, workspaceId: string, connectionId: string): Promise<void> {
  if (!(await em.count(Connection, { id: connectionId, workspace: workspaceId }))) {
    throw new NotFoundError('Connection', connectionId);
  }
}

async function assertNameFree(em: EntityManager, workspaceId: string, ruleName: string): Promise<void> {
  if (await em.count(Rule, { workspace: workspaceId, name: ruleName })) throw nameTaken(ruleName);
}

/** Flushes, mapping a lost race on the name to a ConflictError. */
async function commit(em: EntityManager, ruleName: string): Promise<void> {
  try {
    await em.flush();
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(ruleName);
    throw error;
  }
}

/**
 * Creates a rule. `input.connectionId` is the connection's internal id; one of another
 * workspace is not found, as an unknown one. A rule whose patterns reach `switchyard.*`
 * operational events must target an OPERATOR connection (see operational-routes.ts).
 */
export async function createRule(em: EntityManager, workspaceId: string, input: unknown, options: RuleOptions): Promise<Rule> {
  const data = parseInput(createInput, input);
  await refuseRunaways(data, options);
  await assertConnection(em, workspaceId, data.connectionId);
  await assertNameFree(em, workspaceId, data.name);
  return em.transactional(async (tx) => {
    const rule = tx.create(Rule, {
      workspace: workspaceId,
      connection: data.connectionId,
      name: data.name,
      eventTypes: data.eventTypes,
      condition: data.condition ?? null,
      transform: data.transform ?? null,
      enabled: data.enabled ?? true,
    });
    await commit(tx, data.name);
    await refuseMisroutedAlerts(tx, workspaceId, rule, ['input', 'connectionId']);
    return rule;
  });
}

/** `refuseOperationalRoutes` for a rule just written, when its patterns reach operational events at all. */
async function refuseMisroutedAlerts(tx: EntityManager, workspaceId: string, rule: Rule, path: string[]): Promise<void> {
  if (rule.eventTypes.some(reachesOperationalEvents)) await refuseOperationalRoutes(tx, workspaceId, rule.connection.id, path);
}

/** The rule `id` of the workspace. */
export async function getRule(em: EntityManager, workspaceId: string, id: string): Promise<Rule> {
  const rule = await em.findOne(Rule, { id, workspace: workspaceId });
  if (!rule) throw new NotFoundError('Rule', id);
  return rule;
}

/** Changes the fields present in `input`; `condition: null` or `transform: null` removes it. */
export async function updateRule(
  em: EntityManager,
  workspaceId: string,
  id: string,
  input: unknown,
  options: RuleOptions,
): Promise<Rule> {
  const rule = await getRule(em, workspaceId, id);
  const data = parseInput(updateInput, input);
  await refuseRunaways(data, options);
  if (data.connectionId) {
    await assertConnection(em, workspaceId, data.connectionId);
    rule.connection = em.getReference(Connection, data.connectionId);
  }
  if (data.name && data.name !== rule.name) {
    await assertNameFree(em, workspaceId, data.name);
    rule.name = data.name;
  }
  if (data.eventTypes) rule.eventTypes = data.eventTypes;
  if (data.condition !== undefined) rule.condition = data.condition;
  if (data.transform !== undefined) rule.transform = data.transform;
  if (data.enabled != null) rule.enabled = data.enabled;
  return em.transactional(async (tx) => {
    await commit(tx, rule.name);
    await refuseMisroutedAlerts(tx, workspaceId, rule, ['input', data.connectionId ? 'connectionId' : 'eventTypes']);
    return rule;
  });
}

/** Deletes a rule; deliveries it made keep their history without it. Returns the id. */
export async function deleteRule(em: EntityManager, workspaceId: string, id: string): Promise<string> {
  if (!(await em.nativeDelete(Rule, { id, workspace: workspaceId }))) throw new NotFoundError('Rule', id);
  return id;
}
