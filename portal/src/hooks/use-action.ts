import { useCallback, useState } from 'react';
import { SessionEndedError } from '../api/client.ts';
import { usePortal } from '../portal-context.tsx';

/**
 * One button's action: busy while it runs, and a failure said in the status region (an ended
 * session shows its own page instead).
 */
export function useAction(): [busy: boolean, run: (action: () => Promise<void>) => Promise<void>] {
  const { announce } = usePortal();
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async (action: () => Promise<void>) => {
      setBusy(true);
      try {
        await action();
      } catch (error) {
        if (!(error instanceof SessionEndedError)) announce((error as Error).message);
      } finally {
        setBusy(false);
      }
    },
    [announce],
  );
  return [busy, run];
}
