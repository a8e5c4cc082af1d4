import { useState } from 'react';
import { RevealSecretDocument, RotateSecretDocument, type EndpointSummaryFragment } from '../../api/generated.ts';
import { usePortal } from '../../portal-context.tsx';
import { useAction } from '../../hooks/use-action.ts';
import { Button } from '../../components/Button.tsx';
import { CopyButton } from '../../components/CopyButton.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { Field } from '../../components/Field.tsx';

const GRACE_PERIODS = [
  { seconds: 0, label: 'Stop at once' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
  { seconds: 604_800, label: '7 days' },
];

/** The signing secret: its hint, "Reveal" (VIEW_SECRETS), "Rotate secret" (MANAGE_SECRETS), copy. */
export function SecretPanel({ endpoint, onRotated }: { endpoint: EndpointSummaryFragment; onRotated(): void }) {
  const { api, can, announce } = usePortal();
  const [secret, setSecret] = useState<string | null>(null);
  const [busy, run] = useAction();
  const [rotating, setRotating] = useState(false);
  const [grace, setGrace] = useState(86_400);

  const reveal = () =>
    run(async () => {
      const { revealConnectionSecret: result } = await api.request(RevealSecretDocument, { id: endpoint.id });
      if (result.__typename === 'RevealConnectionSecretPayload') setSecret(result.signingSecret);
      else announce(result.message);
    });
  const rotate = () =>
    run(async () => {
      const { rotateConnectionSecret: result } = await api.request(RotateSecretDocument, { id: endpoint.id, expireCurrentInSeconds: grace });
      if (result.__typename !== 'RotateConnectionSecretPayload') return announce(result.message);
      setSecret(result.signingSecret);
      setRotating(false);
      announce(grace ? 'Secret rotated: requests carry both signatures until the old secret expires' : 'Secret rotated');
      onRotated();
    });

  return (
    <section className="panel" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      <p className="field-hint">Every request carries a webhook-signature made with this secret; verify it before trusting a request.</p>
      <div className="secret-box">
        <code className="mono" aria-label="Signing secret">{secret ?? endpoint.signingSecretHint ?? 'none'}</code>
        {secret && <CopyButton value={secret} what="signing secret" />}
        {!secret && can('VIEW_SECRETS') && (
          <Button busy={busy} onClick={() => void reveal()}>
            Reveal
          </Button>
        )}
        {secret && (
          <Button variant="ghost" onClick={() => setSecret(null)}>
            Hide
          </Button>
        )}
      </div>
      {can('MANAGE_SECRETS') && (
        <div className="actions actions-start">
          <Button onClick={() => setRotating(true)}>Rotate secret</Button>
        </div>
      )}
      <Dialog title="Rotate secret" open={rotating} onClose={() => setRotating(false)}>
        <div className="stack">
          <p>A new secret signs every request from now on. The current one can keep signing beside it for a while, so your server can switch without missing a request.</p>
          <Field label="Keep the current secret signing for">
            {(props) => (
              <select {...props} value={grace} onChange={(event) => setGrace(Number(event.target.value))}>
                {GRACE_PERIODS.map((period) => (
                  <option key={period.seconds} value={period.seconds}>
                    {period.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <div className="actions">
            <Button onClick={() => setRotating(false)}>Cancel</Button>
            <Button variant="primary" busy={busy} onClick={() => void rotate()}>
              Rotate secret
            </Button>
          </div>
        </div>
      </Dialog>
    </section>
  );
}
