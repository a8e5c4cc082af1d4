import type { DeliveryFilter, DeliveryStatus } from '../../api/generated.ts';

/** The time ranges the log offers; `custom` uses `from` and `to`. */
export const RANGES = [
  { value: 'any', label: 'Any time', seconds: null },
  { value: '1h', label: 'Last hour', seconds: 3600 },
  { value: '24h', label: 'Last 24 hours', seconds: 86_400 },
  { value: '7d', label: 'Last 7 days', seconds: 604_800 },
  { value: 'custom', label: 'Custom', seconds: null },
] as const;

export type RangeValue = (typeof RANGES)[number]['value'];

/** The log's filters as the query string keeps them, so a filtered view survives a reload and can be shared. */
export interface LogFilter {
  status: DeliveryStatus | '';
  eventType: string;
  endpoint: string;
  range: RangeValue;
  /** `datetime-local` values, for the custom range. */
  from: string;
  to: string;
}

export function parseLogFilter(query: string): LogFilter {
  const params = new URLSearchParams(query);
  const range = RANGES.find((option) => option.value === params.get('range'))?.value ?? 'any';
  return {
    status: (params.get('status') ?? '') as LogFilter['status'],
    eventType: params.get('eventType') ?? '',
    endpoint: params.get('endpoint') ?? '',
    range,
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };
}

export function logFilterQuery(filter: LogFilter): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value && !(key === 'range' && value === 'any')) params.set(key, value);
  return params.toString();
}

/** The filter as the API takes it, with preset ranges counted back from `now`. */
export function apiFilter(filter: LogFilter, now: number = Date.now()): DeliveryFilter {
  const preset = RANGES.find((option) => option.value === filter.range);
  const since = preset?.seconds ? new Date(now - preset.seconds * 1000).toISOString() : filter.range === 'custom' && filter.from ? new Date(filter.from).toISOString() : undefined;
  const until = filter.range === 'custom' && filter.to ? new Date(filter.to).toISOString() : undefined;
  return {
    ...(filter.status ? { status: filter.status } : {}),
    ...(filter.eventType ? { eventType: filter.eventType } : {}),
    ...(filter.endpoint ? { connectionId: filter.endpoint } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
  };
}
