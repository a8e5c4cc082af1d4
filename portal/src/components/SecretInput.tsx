import type { InputHTMLAttributes } from 'react';

interface Props extends Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'> {
  value: string;
  /** The value typed or pasted, its surrounding whitespace cut (a pasted key often has some). */
  onValue(value: string): void;
}

/** A field for a credential (a key, a token, a URL with a secret in it): monospace, never autocompleted or spell-checked. */
export function SecretInput({ value, onValue, ...props }: Props) {
  return <input {...props} className="mono" autoComplete="off" spellCheck={false} value={value} onChange={(event) => onValue(event.target.value.trim())} />;
}
