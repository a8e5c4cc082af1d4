/**
 * Errors the SDK throws. Expected failures the API returns as data (validation, not found,
 * conflict) become typed errors here, so callers catch them with `instanceof` instead of
 * inspecting `__typename`.
 */

/** One problem with one input field. */
export interface ValidationIssue {
  /** Path of the field, e.g. `["input", "webhook", "url"]`. */
  path: string[];
  message: string;
}

/** Base class of every error the SDK throws. */
export class SwitchyardError extends Error {
  /** The GraphQL `extensions.code` or a typed error's name, when there is one. */
  readonly code: string | undefined;
  constructor(message: string, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SwitchyardError';
    this.code = code;
  }
}

/** The input was refused; nothing was changed. `issues` names every offending field. */
export class SwitchyardValidationError extends SwitchyardError {
  readonly issues: ValidationIssue[];
  constructor(message: string, issues: ValidationIssue[]) {
    super(message, 'VALIDATION');
    this.name = 'SwitchyardValidationError';
    this.issues = issues;
  }
}

/** No such resource in the key's workspace (another workspace's resources look the same). */
export class SwitchyardNotFoundError extends SwitchyardError {
  readonly resource: string;
  readonly id: string;
  constructor(message: string, resource: string, id: string) {
    super(message, 'NOT_FOUND');
    this.name = 'SwitchyardNotFoundError';
    this.resource = resource;
    this.id = id;
  }
}

/** The change collides with existing state, such as a name already in use. */
export class SwitchyardConflictError extends SwitchyardError {
  readonly path: string[];
  constructor(message: string, path: string[]) {
    super(message, 'CONFLICT');
    this.name = 'SwitchyardConflictError';
    this.path = path;
  }
}

/** The key is missing, unknown or revoked (`UNAUTHENTICATED`), or may not do this (`FORBIDDEN`). */
export class SwitchyardAuthError extends SwitchyardError {
  declare readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN';
  constructor(message: string, code: 'UNAUTHENTICATED' | 'FORBIDDEN') {
    super(message, code);
    this.name = 'SwitchyardAuthError';
  }
}

/** The API could not be reached, or kept failing, after every retry. `cause` is the last failure. */
export class SwitchyardNetworkError extends SwitchyardError {
  /** HTTP status of the last response, if there was one. */
  readonly status: number | undefined;
  constructor(message: string, options: { cause?: unknown; status?: number }) {
    super(message, 'NETWORK', { cause: options.cause });
    this.name = 'SwitchyardNetworkError';
    this.status = options.status;
  }
}

/** What the API puts in a typed error result (see sdk/operations/fragments.graphql). */
export type ErrorResult =
  | { __typename: 'ValidationError'; message: string; issues: ValidationIssue[] }
  | { __typename: 'NotFoundError'; message: string; missingResource: string; missingId: string }
  | { __typename: 'ConflictError'; message: string; path: string[] };

const ERROR_TYPENAMES = new Set(['ValidationError', 'NotFoundError', 'ConflictError']);

/** Returns a result union's success member, or throws its typed error. */
export function unwrap<T extends { __typename: string }>(result: T): Exclude<T, { __typename: ErrorResult['__typename'] }> {
  if (!ERROR_TYPENAMES.has(result.__typename)) return result as Exclude<T, { __typename: ErrorResult['__typename'] }>;
  throw errorFromResult(result as unknown as ErrorResult);
}

function errorFromResult(error: ErrorResult): SwitchyardError {
  switch (error.__typename) {
    case 'ValidationError':
      return new SwitchyardValidationError(error.message, error.issues);
    case 'NotFoundError':
      return new SwitchyardNotFoundError(error.message, error.missingResource, error.missingId);
    case 'ConflictError':
      return new SwitchyardConflictError(error.message, error.path);
  }
}

/** A top-level GraphQL error, as it arrives in a response. */
export interface GraphqlErrorBody {
  message: string;
  extensions?: { code?: unknown } & Record<string, unknown>;
}

/** Turns a response's top-level errors into one SDK error (the first one decides its class). */
export function errorFromGraphql(errors: readonly GraphqlErrorBody[]): SwitchyardError {
  const [first] = errors;
  const message = errors.map((error) => error.message).join('; ') || 'The API answered with an error';
  const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : undefined;
  if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') return new SwitchyardAuthError(message, code);
  return new SwitchyardError(message, code);
}
