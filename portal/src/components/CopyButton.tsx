import { useState } from 'react';
import { usePortal } from '../portal-context.tsx';

/** Copies `value`; `what` names it for the button's accessible name ("Copy signing secret"). */
export function CopyButton({ value, what }: { value: string; what: string }) {
  const { announce } = usePortal();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      announce(`Copied the ${what}`);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      announce(`Could not copy the ${what}: select it and copy it by hand`);
    }
  };
  return (
    <button type="button" className="button button-ghost copy-button" aria-label={`Copy ${what}`} onClick={() => void copy()}>
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}
