/**
 * Expected failures, shared by every domain. The GraphQL layer exposes each as a typed error
 * in the schema; anything else is unexpected and reaches clients masked.
 */

export interface Issue {
  /** Path of the offending input field, e.g. `["input", "webhook", "url"]`. */
  path: string[];
  message: string;
}

export class ValidationError extends Error {
  readonly issues: Issue[];
  constructor(issues: Issue[]) {
    super(issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
    this.name = 'ValidationError';
    this.issues = issues;
  }

  /** A ValidationError about one field. */
  static field(path: string[], message: string): ValidationError {
    return new ValidationError([{ path, message }]);
  }
}

/** A resource is missing, or belongs to another workspace: both look the same. */
export class NotFoundError extends Error {
  readonly resource: string;
  readonly id: string;
  constructor(resource: string, id: string) {
    super(`${resource} ${id} not found`);
    this.name = 'NotFoundError';
    this.resource = resource;
    this.id = id;
  }
}

/** The request collides with existing state, e.g. a name already taken. */
export class ConflictError extends Error {
  readonly path: string[];
  constructor(path: string[], message: string) {
    super(message);
    this.name = 'ConflictError';
    this.path = path;
  }
}
