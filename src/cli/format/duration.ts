/**
 * Relative times as docker prints them (docker/go-units HumanDuration):
 * `Less than a second`, `1 second`, `47 seconds`, `About a minute`, `6 minutes`,
 * `About an hour`, `22 hours`, `2 days`, `3 weeks`, `4 months`, `5 years`.
 */

/** go-units HumanDuration of a duration in milliseconds. */
export function humanDuration(ms: number): string {
  // Go truncates Duration.Seconds()/Minutes() toward zero when converting to int.
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3600000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3600000) / 24 / 365)} years`;
}

/** `humanDuration(now - date) + " ago"`: docker's CREATED column (`22 hours ago`). */
export function timeAgo(date: Date | number, now: Date | number = Date.now()): string {
  const t = typeof date === 'number' ? date : date.getTime();
  const n = typeof now === 'number' ? now : now.getTime();
  return humanDuration(n - t) + ' ago';
}

/** docker ps STATUS for a running container: `Up 3 seconds` (plus ` (Paused)` etc. by the caller). */
export function upFor(startedAt: Date | number, now: Date | number = Date.now()): string {
  const t = typeof startedAt === 'number' ? startedAt : startedAt.getTime();
  const n = typeof now === 'number' ? now : now.getTime();
  return 'Up ' + humanDuration(n - t);
}

/** docker ps STATUS for a stopped container: `Exited (0) 2 minutes ago`. */
export function exitedAgo(exitCode: number, finishedAt: Date | number, now: Date | number = Date.now()): string {
  return `Exited (${exitCode}) ${timeAgo(finishedAt, now)}`;
}
