/**
 * jsonata's parse tree (`jsonata(source).ast()`), as far as Switchyard's walks over it read it:
 * the cost bound of an expression (bounded-cost.ts), its direct evaluator (direct-evaluation.ts)
 * and the names it reads from the top of its input (unknown-fields.ts). jsonata does not type its
 * tree; these are the fields its parser sets.
 */
export interface AstNode {
  type: string;
  value?: unknown;
  /** Where the node's token ends in the source. */
  position?: number;
  steps?: AstNode[];
  /** A binary operator's left operand, or an object constructor's key-value pairs. */
  lhs?: AstNode | AstNode[][];
  rhs?: AstNode;
  expression?: AstNode;
  expressions?: AstNode[];
  condition?: AstNode;
  then?: AstNode;
  else?: AstNode;
  /** A function call's arguments. */
  arguments?: AstNode[];
  stages?: unknown[];
  predicate?: unknown[];
  group?: unknown;
  focus?: unknown;
  tuple?: unknown;
}
