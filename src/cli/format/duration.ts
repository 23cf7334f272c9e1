/**
 * Relative times as docker prints them (docker/go-units HumanDuration):
 * `Less than a second`, `1 second`, `47 seconds`, `About a minute`, `6 minutes`,
 * `About an hour`, `22 hours`, `2 days`, `3 weeks`, `4 months`, `5 years`.
 */

// One implementation for the CLI's columns and the container states below it (`Up 3 seconds`).
import { exitedAgo, humanDuration, upFor } from '../../containers/time-text.ts';

export { exitedAgo, humanDuration, upFor };

/** `humanDuration(now - date) + " ago"`: docker's CREATED column (`22 hours ago`). */
export function timeAgo(date: Date | number, now: Date | number = Date.now()): string {
  const t = typeof date === 'number' ? date : date.getTime();
  const n = typeof now === 'number' ? now : now.getTime();
  return humanDuration(n - t) + ' ago';
}
