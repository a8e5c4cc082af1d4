import { describe, expect, it } from 'vitest';
import { redactSecrets, serializeError } from '../src/observability/redaction.ts';

describe('log redaction', () => {
  it('masks keys, signing secrets, bearer tokens and passwords in URLs wherever they appear in a line', () => {
    const line = JSON.stringify({
      msg: 'failed with sy_sk_AbC-123_x and whsec_dGVzdA+/= for Bearer eyJhbGciOi.x-y',
      url: 'postgres://app:p%40ss-word@db.internal:5432/switchyard',
    });
    const masked = redactSecrets(line);
    for (const secret of ['AbC-123_x', 'dGVzdA', 'eyJhbGciOi', 'p%40ss-word']) expect(masked).not.toContain(secret);
    expect(masked).toContain('sy_sk_[redacted]');
    expect(masked).toContain('postgres://app:[redacted]@db.internal:5432/switchyard');
  });

  it('reduces an error to what says what went wrong, leaving out the values Postgres quotes', () => {
    const error = Object.assign(new Error('duplicate key value violates unique constraint "api_keys_hash_unique"'), {
      code: '23505',
      detail: 'Key (hash)=(9f86d081884c7d65) already exists.',
      where: 'SQL statement',
    });
    const serialized = serializeError(new Error('outer', { cause: error }));
    expect(JSON.stringify(serialized)).not.toContain('9f86d081884c7d65');
    expect(serialized.cause).toMatchObject({ type: 'Error', code: '23505', message: expect.stringContaining('api_keys_hash_unique') });
  });
});
