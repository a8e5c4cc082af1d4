import * as ops from '../generated/graphql.ts';
import { unwrap } from '../errors.ts';
import { pageArgs, toPage } from '../pages.ts';
import type { Request } from '../transport.ts';
import type { CreateRuleInput, ListOptions, Page, Rule, RuleChanges, RuleTrial, SavedRule, TestRuleInput } from '../types.ts';

/** `client.rules`: which events go to which connection, in what shape; and trying them. */
export function rulesApi(request: Request) {
  return {
    async list(options: ListOptions & { connectionId?: string } = {}): Promise<Page<Rule>> {
      const { connectionId, ...page } = options;
      return toPage((await request(ops.ListRulesDocument, { connectionId, ...pageArgs(page) }, 'always')).rules);
    },
    /** Throws `SwitchyardNotFoundError`. */
    async get(id: string): Promise<Rule> {
      const { __typename, ...rule } = unwrap((await request(ops.GetRuleDocument, { id }, 'always')).rule);
      return rule;
    },
    /** Creates a rule; `warnings` names likely mistakes (a condition reading `total` for `payload.total`). */
    async create(input: CreateRuleInput): Promise<SavedRule> {
      const { rule, warnings } = unwrap((await request(ops.CreateRuleDocument, { input }, 'unsent')).createRule);
      return { ...rule, warnings };
    },
    async update(id: string, changes: RuleChanges): Promise<SavedRule> {
      const { rule, warnings } = unwrap((await request(ops.UpdateRuleDocument, { input: { ...changes, id } }, 'always')).updateRule);
      return { ...rule, warnings };
    },
    async delete(id: string): Promise<void> {
      unwrap((await request(ops.DeleteRuleDocument, { input: { id } }, 'unsent')).deleteRule);
    },
    /**
     * Tries a rule on one event without sending anything: `{ ruleId }`, `{ rule: { eventTypes,
     * condition, transform } }`, or both (a saved rule with some fields replaced), with `{ event }`
     * or `{ eventId }`. Returns which patterns matched, the condition's and the transform's values
     * or errors (with their position), and the body that would be sent.
     */
    async test(input: TestRuleInput): Promise<RuleTrial> {
      const { __typename, ...trial } = unwrap((await request(ops.TestRuleDocument, { input }, 'always')).testRule);
      return trial;
    },
  };
}
