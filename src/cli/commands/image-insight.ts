/**
 * `image analyze` (with the CI gate) and `image diff`: the insight service's data, as a
 * readable report, `--format json` (docs/INSIGHT.md) or a Go template.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fromSystemError, invalidArgument } from '../../errdefs/index.ts';
import {
  evaluateCi, parseDiveCi, parseRuleValue, type CiRules, type CiVerdict, type ConfigChange, type ImageAnalysis, type ImageDiff, type RuleName,
} from '../../insight/index.ts';
import { renderInspect } from '../format/render.ts';
import { humanSize } from '../format/size.ts';
import { alignTable } from '../format/tabwriter.ts';
import type { CliContext } from '../context.ts';
import type { Options } from '../spec.ts';

const RULE_FLAGS: [string, RuleName][] = [
  ['lowest-efficiency', 'lowestEfficiency'],
  ['highest-wasted-bytes', 'highestWastedBytes'],
  ['highest-user-wasted-percent', 'highestUserWastedPercent'],
];

/** The rules: dive's defaults, then the file, then the flags. Read before any layer is. */
function ciRules(options: Options): CiRules | undefined {
  const flagged = RULE_FLAGS.filter(([flag]) => options[flag] !== undefined);
  if (!options['ci'] && flagged.length === 0) return undefined;
  const file = (options['ci-config'] as string | undefined) ?? '.dive-ci';
  let rules: CiRules = {};
  if (existsSync(file)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw fromSystemError(err, `read ${file}`);
    }
    rules = parseDiveCi(text, file);
  } else if (file !== '.dive-ci') {
    throw invalidArgument(`--ci-config ${file}: no such file`);
  }
  for (const [flag, rule] of flagged) rules[rule] = parseRuleValue(rule, options[flag] as string, `--${flag}`);
  return rules;
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(2)} %`;
}

function table(rows: string[][]): string {
  return alignTable(rows.map((r) => r.join('\t')).join('\n') + '\n');
}

function oneLine(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The readable report. */
export function analysisReport(a: ImageAnalysis): string {
  const t = a.totals;
  const out: string[] = [];
  out.push(`Image: ${a.image.ref} (${a.image.id})`);
  const baseText = a.base.source === 'parent-image' ? `from the parent image ${a.base.parent ?? ''}` : a.base.source === 'history' ? 'told from the history' : 'none found';
  out.push(`Layers: ${t.layers}, of which base: ${a.base.layers} (${baseText})`, '');
  const rows = [['LAYER', 'SIZE', 'ADDED', 'MODIFIED', 'REMOVED', 'WASTED', 'CREATED BY']];
  for (const h of a.history) {
    const l = h.layer === null ? undefined : a.layers[h.layer];
    if (l === undefined) {
      rows.push(['-', '0B', '', '', '', '', oneLine(h.createdBy)]);
      continue;
    }
    rows.push([
      `${l.index}${l.base ? ' (base)' : ''}`, humanSize(l.stored.bytes),
      `${l.added.files} (${humanSize(l.added.bytes)})`, `${l.modified.files} (${humanSize(l.modified.bytes)})`,
      `${l.removed.files} (${humanSize(l.removed.bytes)})`, humanSize(l.wastedBytes), oneLine(l.instruction),
    ]);
  }
  // Layers the history does not account for still get a row.
  for (const l of a.layers) {
    if (a.history.some((h) => h.layer === l.index)) continue;
    rows.push([`${l.index}`, humanSize(l.stored.bytes), `${l.added.files} (${humanSize(l.added.bytes)})`, `${l.modified.files} (${humanSize(l.modified.bytes)})`, `${l.removed.files} (${humanSize(l.removed.bytes)})`, humanSize(l.wastedBytes), '']);
  }
  out.push(table(rows).trimEnd(), '');
  out.push(`Stored:      ${humanSize(t.storedBytes)} (${t.storedBytes} B)`);
  out.push(`Visible:     ${humanSize(t.visibleBytes)} in ${t.visibleFiles} files`);
  out.push(`Wasted:      ${humanSize(t.wastedBytes)} (${t.wastedBytes} B): base image ${humanSize(t.baseWastedBytes)}, yours ${humanSize(t.userWastedBytes)} (${percent(t.userWastedPercent)} of the ${humanSize(t.userStoredBytes)} your layers store)`);
  out.push(`Efficiency:  ${percent(t.efficiency)}`);
  out.push(`Duplicates:  ${humanSize(t.duplicateBytes)} a file-level dedup would save (${a.duplicates.length} ${a.duplicates.length === 1 ? 'body' : 'bodies'} stored more than once)`);
  const biggest = a.layers.filter((l) => l.biggest.length > 0);
  if (biggest.length > 0) {
    out.push('', 'Largest files by layer:');
    for (const l of biggest) out.push(`  ${l.index}: ${l.biggest.slice(0, 3).map((b) => `${b.path} (${humanSize(b.size)})`).join(', ')}`);
  }
  if (a.wasted.length > 0) {
    out.push('', `Wasted files (${Math.min(10, a.wasted.length)} largest of ${a.wasted.length}):`);
    out.push(table([['SIZE', 'LAYER', 'HIDDEN BY', 'PATH'], ...a.wasted.slice(0, 10).map((w) => [humanSize(w.size), String(w.layer), `${w.reason} in ${w.byLayer}`, w.path])]).trimEnd().replace(/^/gm, '  '));
  }
  if (a.duplicates.length > 0) {
    out.push('', 'Duplicate bodies (largest savings first):');
    for (const d of a.duplicates.slice(0, 10)) {
      out.push(`  ${humanSize(d.size)} × ${d.copies.length}: ${d.copies.slice(0, 4).map((c) => `${c.path} (layer ${c.layer})`).join(', ')}${d.copies.length > 4 ? ', …' : ''}`);
    }
  }
  if (a.hints.length > 0) {
    out.push('', 'Hints:');
    for (const h of a.hints) out.push(`  - ${h.message}`, `      made by: ${oneLine(h.instruction, 100)}`);
  }
  if (a.store !== undefined) {
    const s = a.store;
    out.push('', `Store: ${s.images} images, ${s.layers} layers storing ${humanSize(s.storedBytes)}; a file-level dedup would save ${humanSize(s.duplicateBytes)} (${s.duplicateBytes} B)`);
    for (const g of s.groups.slice(0, 5)) out.push(`  ${humanSize(g.size)} × ${g.copies} in ${g.layers.length} layer(s): ${g.sha256.slice(0, 19)}`);
  }
  return `${out.join('\n')}\n`;
}

/** dive's CI lines: one per rule, then the summary. */
export function ciReport(verdict: CiVerdict): string {
  const lines = verdict.results.map((r) => {
    const status = r.status === 'SKIP' ? '(skip)' : r.status;
    return r.message === '' || r.status === 'SKIP' ? `  ${status}: ${r.rule}` : `  ${status}: ${r.rule}: ${r.message}`;
  });
  const count = (s: string): number => verdict.results.filter((r) => r.status === s).length;
  lines.push(`Result:${verdict.pass ? 'PASS' : 'FAIL'} [Total:${verdict.results.length}] [Passed:${count('PASS')}] [Failed:${count('FAIL')}] [Warn:0] [Skipped:${count('SKIP')}]`);
  return `${lines.join('\n')}\n`;
}

function render(ctx: CliContext, value: ImageAnalysis | ImageDiff, format: string): void {
  if (format === 'json') {
    ctx.write(`${JSON.stringify(value)}\n`);
    return;
  }
  const result = renderInspect([value], format);
  if (result.errors.length > 0) throw result.errors[0];
  ctx.write(result.output);
}

export async function imageAnalyze(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const rules = ciRules(options);
  const engine = await ctx.engine();
  const insight = await engine.insight();
  const analysis = await insight.analyzeImage(args[0] as string, { all: Boolean(options['all']) });
  const format = (options['format'] as string | undefined) ?? '';
  if (format === '') ctx.write(analysisReport(analysis));
  else render(ctx, analysis, format);
  if (rules === undefined) return 0;
  const verdict = evaluateCi(analysis, rules);
  const report = ciReport(verdict);
  // With --format the report stays parseable on stdout; the verdict goes to stderr.
  if (format === '') ctx.write(`\nCI rules:\n${report}`);
  else ctx.stderr.write(report);
  return verdict.pass ? 0 : 1;
}

function value(v: ConfigChange['a']): string {
  return v === null ? '(unset)' : JSON.stringify(v);
}

export function diffReport(d: ImageDiff): string {
  const out: string[] = [];
  out.push(`A: ${d.a.ref} (${d.a.id}), ${d.a.layers} layers`);
  out.push(`B: ${d.b.ref} (${d.b.id}), ${d.b.layers} layers`);
  out.push(`Shared layers: ${d.sharedLayers.length}`, '');
  out.push(`Files (${d.files.length} changes):`);
  if (d.files.length > 0) {
    out.push(table(d.files.map((f) => [
      f.kind, f.path,
      f.kind === 'A' ? humanSize(f.sizeB ?? 0) : f.kind === 'D' ? humanSize(f.sizeA ?? 0) : `${humanSize(f.sizeA ?? 0)} → ${humanSize(f.sizeB ?? 0)}`,
    ])).trimEnd().replace(/^/gm, '  '));
  }
  out.push('', `Config (${d.config.length} changes):`);
  for (const c of d.config) out.push(`  ${c.field}${c.key === undefined ? '' : ` ${c.key}`}: ${value(c.a)} → ${value(c.b)}`);
  out.push('', 'History after the common rows:');
  for (const h of d.history.onlyA) out.push(`  - ${oneLine(h, 100)}`);
  for (const h of d.history.onlyB) out.push(`  + ${oneLine(h, 100)}`);
  return `${out.join('\n')}\n`;
}

export async function imageDiff(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const engine = await ctx.engine();
  const insight = await engine.insight();
  const diff = await insight.diffImages(args[0] as string, args[1] as string);
  const format = (options['format'] as string | undefined) ?? '';
  if (format === '') ctx.write(diffReport(diff));
  else render(ctx, diff, format);
}
