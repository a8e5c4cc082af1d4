import { dateTime, timeAgo } from '../format.ts';

/** A time as people read it ("3 minutes ago"), with the exact time on hover and for machines. */
export function Time({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={dateTime(iso)}>
      {timeAgo(iso)}
    </time>
  );
}
