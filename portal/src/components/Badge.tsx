import type { ConnectionStatus, DeliveryStatus } from '../api/generated.ts';

const DELIVERY_LABELS: Record<DeliveryStatus, string> = {
  PENDING: 'Pending',
  DELIVERING: 'Sending',
  SUCCEEDED: 'Succeeded',
  RETRYING: 'Retrying',
  DEAD: 'Failed',
};

const TONES: Record<DeliveryStatus | ConnectionStatus | 'FAILING', string> = {
  PENDING: 'neutral',
  DELIVERING: 'info',
  SUCCEEDED: 'good',
  RETRYING: 'warn',
  DEAD: 'bad',
  ACTIVE: 'good',
  PAUSED: 'neutral',
  DISABLED: 'bad',
  NEEDS_REAUTH: 'warn',
  FAILING: 'warn',
};

export function deliveryStatusLabel(status: DeliveryStatus): string {
  return DELIVERY_LABELS[status];
}

export function DeliveryBadge({ status }: { status: DeliveryStatus }) {
  return <span className={`badge badge-${TONES[status]}`}>{DELIVERY_LABELS[status]}</span>;
}

const ENDPOINT_LABELS: Record<ConnectionStatus | 'FAILING', string> = {
  ACTIVE: 'Active',
  PAUSED: 'Paused',
  DISABLED: 'Disabled',
  NEEDS_REAUTH: 'Needs reconnecting',
  FAILING: 'Failing',
};

/** An endpoint's status; an active one that keeps failing says "Failing". */
export function EndpointBadge({ status, failing }: { status: ConnectionStatus; failing: boolean }) {
  const shown = status === 'ACTIVE' && failing ? 'FAILING' : status;
  return <span className={`badge badge-${TONES[shown]}`}>{ENDPOINT_LABELS[shown]}</span>;
}
