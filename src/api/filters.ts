/**
 * docker's `filters` query parameter: `{"dangling":{"true":true}}`, or the older
 * `{"dangling":["true"]}`; both become name → values.
 */
import { invalidArgument } from '../errdefs/index.ts';
import type { ApiRequest } from './router.ts';

export function queryFilters(req: ApiRequest, name = 'filters'): Map<string, string[]> {
  const raw = req.queryJson<unknown>(name);
  const filters = new Map<string, string[]>();
  if (raw === undefined || raw === null) return filters;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidArgument(`invalid filter: ${name} must be a JSON object`);
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) filters.set(key, value as string[]);
    else if (typeof value === 'object' && value !== null) filters.set(key, Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] === true));
    else throw invalidArgument(`invalid filter '${key}': its values must be a list or a map`);
  }
  return filters;
}
