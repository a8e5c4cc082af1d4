import { GraphQLError } from 'graphql';
import { builder } from './builder.ts';
import { publicIdOf } from '../domains/public-ids.ts';
import { ConflictError, NotFoundError, ValidationError, type Issue } from '../domains/errors.ts';
import { unstorableIssues } from '../domains/validation.ts';

/** The errors every mutation may return as data, in this order. */
export const expectedErrors = [ValidationError, NotFoundError, ConflictError];

const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  description: 'An expected failure, returned as data instead of a top-level GraphQL error.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'What went wrong, for people.' }),
  }),
});

const IssueRef = builder.objectRef<Issue>('ValidationIssue').implement({
  description: 'One problem with one input field.',
  fields: (t) => ({
    path: t.exposeStringList('path', { description: 'Path of the field, e.g. ["input", "webhook", "url"].' }),
    message: t.exposeString('message', { description: 'What is wrong with it.' }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input was refused; nothing was changed.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    issues: t.field({ type: [IssueRef], description: 'Every problem found.', resolve: (error) => error.issues }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'No such resource in this workspace.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    resource: t.exposeString('resource', { description: 'Type of the resource asked for.' }),
    id: t.string({ description: 'The id that was asked for.', resolve: publicIdOf }),
  }),
});

builder.objectType(ConflictError, {
  name: 'ConflictError',
  description: 'The change collides with existing state, such as a name already in use.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    path: t.exposeStringList('path', { description: 'Path of the field that collides.' }),
  }),
});

/**
 * Refuses text no column can hold (NUL, unpaired surrogates) in a read's arguments, naming the
 * argument. Reads have no typed errors, so this is a BAD_USER_INPUT error carrying the issues.
 */
export function refuseUnstorableArguments(value: unknown, path: string[]): void {
  const issues = unstorableIssues(value, path);
  if (issues.length === 0) return;
  throw new GraphQLError(new ValidationError(issues).message, { extensions: { code: 'BAD_USER_INPUT', issues } });
}
