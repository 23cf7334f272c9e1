/**
 * The CI gate, with dive's rules and file: `.dive-ci` is YAML with a `rules:` map of
 * `lowestEfficiency` (a ratio), `highestWastedBytes` (bytes: `20MB`, `1.5GiB`, `5000`) and
 * `highestUserWastedPercent` (a ratio, as dive reads it: 0.1 is 10 %), each also `disabled`.
 * Only that subset of YAML is read; anything else is refused naming the file and line.
 */
import { invalidArgument } from '../errdefs/index.ts';
import type { ImageAnalysis } from './analysis-types.ts';

export type RuleName = 'highestUserWastedPercent' | 'highestWastedBytes' | 'lowestEfficiency';

/** A rule's threshold, or 'disabled'. */
export type CiRules = Partial<Record<RuleName, number | 'disabled'>>;

/** dive's defaults, used for a rule neither the file nor a flag sets. */
export const DEFAULT_CI_RULES: Required<CiRules> = { lowestEfficiency: 0.9, highestWastedBytes: 'disabled', highestUserWastedPercent: 0.1 };

const RULE_NAMES: readonly RuleName[] = ['highestUserWastedPercent', 'highestWastedBytes', 'lowestEfficiency'];

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, ki: 1024, kib: 1024,
  m: 1e6, mb: 1e6, mi: 1024 ** 2, mib: 1024 ** 2,
  g: 1e9, gb: 1e9, gi: 1024 ** 3, gib: 1024 ** 3,
  t: 1e12, tb: 1e12, ti: 1024 ** 4, tib: 1024 ** 4,
  p: 1e15, pb: 1e15, pi: 1024 ** 5, pib: 1024 ** 5,
};

/** `20MB`, `1.5 GiB`, `5000` → bytes (go-humanize's ParseBytes, which dive uses). Undefined when not a size. */
export function parseByteSize(text: string): number | undefined {
  const m = /^([0-9][0-9,]*(?:\.[0-9]+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  if (m === null) return undefined;
  const unit = UNITS[(m[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.floor(Number((m[1] ?? '').replaceAll(',', '')) * unit);
}

/**
 * One rule's value from `source` (a file line or a flag).
 * @throws invalid-argument naming `where`
 */
export function parseRuleValue(rule: RuleName, text: string, where: string): number | 'disabled' {
  const value = text.trim();
  if (value === 'disabled') return value;
  if (rule === 'highestWastedBytes') {
    const bytes = parseByteSize(value);
    if (bytes === undefined) throw invalidArgument(`${where}: invalid ${rule} "${value}": want a size such as 20MB, 1GiB or 5000, or disabled`);
    return bytes;
  }
  const n = /^[0-9]*\.?[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw invalidArgument(`${where}: invalid ${rule} "${value}": want a number such as 0.9, or disabled`);
  if (rule === 'lowestEfficiency' && n > 1) throw invalidArgument(`${where}: invalid ${rule} "${value}": efficiency is a ratio between 0 and 1`);
  return n;
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) return v.slice(1, -1);
  return v;
}

/** Reads a `.dive-ci` file's text. @throws invalid-argument naming `file:line` */
export function parseDiveCi(text: string, file: string): CiRules {
  const rules: CiRules = {};
  let inRules = false;
  let sawRules = false;
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const where = `${file}:${i + 1}`;
    const line = raw.replace(/(^|\s)#.*$/, '').trimEnd();
    if (line.trim() === '' || line.trim() === '---') continue;
    if (/\t/.test(line.slice(0, line.length - line.trimStart().length))) throw invalidArgument(`${where}: a tab in the indentation (YAML allows spaces only)`);
    const m = /^(\s*)([A-Za-z_][A-Za-z0-9_-]*)\s*:(?:\s+(.*))?$/.exec(line);
    if (m === null) throw invalidArgument(`${where}: not a "key: value" line: ${JSON.stringify(raw.trim())}`);
    const [, indent = '', key = '', value = ''] = m;
    if (indent === '') {
      inRules = key === 'rules';
      if (inRules) {
        if (value.trim() !== '') throw invalidArgument(`${where}: "rules:" must be followed by indented rules, one a line`);
        sawRules = true;
      }
      continue;
    }
    if (!inRules) continue;
    if (!(RULE_NAMES as readonly string[]).includes(key)) {
      throw invalidArgument(`${where}: unknown rule "${key}": the rules are ${RULE_NAMES.join(', ')}`);
    }
    if (value.trim() === '') throw invalidArgument(`${where}: rule ${key} has no value`);
    rules[key as RuleName] = parseRuleValue(key as RuleName, unquote(value), where);
  }
  if (!sawRules && lines.some((l) => l.trim() !== '' && !l.trim().startsWith('#'))) {
    throw invalidArgument(`${file}: no "rules:" section (dive's format: rules: then lowestEfficiency, highestWastedBytes, highestUserWastedPercent)`);
  }
  return rules;
}

export interface RuleResult {
  rule: RuleName;
  status: 'PASS' | 'FAIL' | 'SKIP';
  /** Why it failed, or '' */
  message: string;
}

export interface CiVerdict {
  pass: boolean;
  results: RuleResult[];
}

/** Evaluates the rules (defaults filled in) against an analysis, in dive's order and words. */
export function evaluateCi(analysis: ImageAnalysis, rules: CiRules): CiVerdict {
  const all: Required<CiRules> = { ...DEFAULT_CI_RULES, ...rules };
  const t = analysis.totals;
  const results = RULE_NAMES.map((rule): RuleResult => {
    const limit = all[rule];
    if (limit === 'disabled') return { rule, status: 'SKIP', message: 'rule disabled' };
    switch (rule) {
      case 'lowestEfficiency':
        return t.efficiency < limit
          ? { rule, status: 'FAIL', message: `image efficiency is too low (efficiency=${t.efficiency} < threshold=${limit})` }
          : { rule, status: 'PASS', message: '' };
      case 'highestWastedBytes':
        return t.wastedBytes > limit
          ? { rule, status: 'FAIL', message: `too many bytes wasted (wasted-bytes=${t.wastedBytes} > threshold=${limit})` }
          : { rule, status: 'PASS', message: '' };
      case 'highestUserWastedPercent':
        return t.userWastedPercent > limit
          ? { rule, status: 'FAIL', message: `too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes=${t.userWastedPercent} > threshold=${limit})` }
          : { rule, status: 'PASS', message: '' };
    }
  });
  return { pass: results.every((r) => r.status !== 'FAIL'), results };
}
