/**
 * docker's output formats on top of the template engine: `--format` for lists
 * (`table`, `table TEMPLATE`, `json`, any template) and for `inspect` (indented JSON,
 * `json`, any template), with docker/cli's header rules and table alignment.
 */
import { compareGoStrings, GoStruct, GoTemplate, marshalJSON, TemplateError } from '@strata/go-template';
import { invalidArgument } from '../../errdefs/index.ts';
import type { StrataError } from '../../errdefs/index.ts';
import { dockerFunctions, headerFunctions } from './docker-functions.ts';
import { alignTable } from './tabwriter.ts';

/** One row of a list: its fields as properties; a function property is a method (`Label(name)`). */
export type ListRow = Readonly<Record<string, unknown>>;

export interface RenderListOptions {
  /** The `--format` value: '' or 'table' → the default table, 'json', 'table TEMPLATE', or a template. */
  format?: string | undefined;
  /** The command's default, e.g. `table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}`. */
  defaultFormat: string;
  /** `--quiet`: with no format or `table`, print `quietFormat` per row instead. */
  quiet?: boolean | undefined;
  /** What `--quiet` prints. Default `{{.ID}}`. */
  quietFormat?: string;
  /** Column titles by field name (docker's header context): `{ ID: 'IMAGE ID', CreatedSince: 'CREATED' }`. */
  headers: Readonly<Record<string, string>>;
  /** The Go type named in errors about unknown fields, e.g. `*formatter.imageContext`. */
  typeName: string;
}

/** docker's SubHeaderContext.Label: `{{.Label "com.example.vendor"}}` in a header shows `vendor`. */
function headerLabel(name: string): string {
  const parts = name.split('.');
  return (parts[parts.length - 1] ?? '').replace(/[-_]/g, ' ');
}

/** docker's Format.templateString: drops `table`, trims spaces, turns `\t` and `\n` escapes into characters. */
export function templateString(format: string): string {
  if (format === 'table') return '';
  if (format === 'json') return '{{json .}}';
  let out = format.startsWith('table') ? format.slice('table'.length) : format;
  out = out.replace(/^ +| +$/g, '');
  return out.replace(/\\t|\\n/g, (m) => (m === '\\t' ? '\t' : '\n'));
}

const templateCache = new Map<string, GoTemplate>();

/** Parses a docker format template (cached), failing like docker: `template parsing error: …`. */
export function parseFormat(source: string): GoTemplate {
  let t = templateCache.get(source);
  if (t === undefined) {
    try {
      t = GoTemplate.parse(source, dockerFunctions);
    } catch (err) {
      throw formatError(err);
    }
    if (templateCache.size > 64) templateCache.clear();
    templateCache.set(source, t);
  }
  return t;
}

/**
 * A template failure as strata's error: the engine throws plain Errors (TemplateError,
 * with Go's message), which docker prints after `template parsing error: `, exiting 1.
 */
function formatError(err: unknown): StrataError {
  return invalidArgument(`template parsing error: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/**
 * The JSON docker prints for a list row (`--format json`, `{{json .}}`): every field
 * and niladic method, keys sorted, HTML characters escaped (docker marshals a map with
 * json.Marshal).
 */
export function rowJSON(row: ListRow): string {
  const m = new Map<string, unknown>();
  for (const key of Object.keys(row)) {
    const v = row[key];
    if (!/^[A-Z]/.test(key)) continue;
    if (typeof v === 'function') {
      if (v.length === 0) m.set(key, (v as () => unknown).call(row));
    } else m.set(key, v);
  }
  const sorted = new Map([...m].sort((a, b) => compareGoStrings(a[0], b[0])));
  return marshalJSON(sorted, { escapeHTML: true });
}

/**
 * Renders a list the way docker/cli's formatter does:
 * - no format or `table`: the default (or, with `quiet`, the quiet format);
 * - `table TEMPLATE`: a header row, then one row per item, aligned in columns of at
 *   least 10 characters with 3 spaces between them; the header is the template
 *   executed over the column titles (a field without a title shows `<no value>`);
 * - `json`: `{{json .}}` per row; any other text: the template per row.
 * Every row ends with a newline. Throws invalid-argument with docker's message
 * (`template parsing error: template: :1: unclosed action`) for a bad template and for
 * an execution error; nothing is returned then.
 */
export function renderList(rows: readonly ListRow[], options: RenderListOptions): string {
  let format = options.format ?? '';
  if (format === '' || format === 'table') {
    format = options.quiet === true ? (options.quietFormat ?? '{{.ID}}') : options.defaultFormat;
  }
  const isTable = format.startsWith('table');
  const tmpl = parseFormat(templateString(format));
  let body = '';
  for (const row of rows) {
    const data = new GoStruct(row, options.typeName, { marshalJSON: () => rowJSON(row) });
    try {
      body += tmpl.execute(data) + '\n';
    } catch (err) {
      throw formatError(err);
    }
  }
  if (!isTable) return body;
  const header: Record<string, unknown> = { ...options.headers, Label: headerLabel };
  let headerLine: string;
  try {
    headerLine = tmpl.execute(header, { funcs: headerFunctions });
  } catch (err) {
    // docker ignores header errors and keeps what was written before them.
    headerLine = err instanceof TemplateError ? err.partial : '';
  }
  return alignTable(headerLine + '\n' + body);
}

export interface RenderInspectOptions {
  /** Escape <, > and & in the default JSON output (docker does for objects it marshals itself, not for daemon JSON). */
  escapeHTML?: boolean;
}

export interface InspectResult {
  /** The text to print on stdout. */
  output: string;
  /** One error per value the template failed on (docker prints them after the output and exits 1). */
  errors: StrataError[];
}

/** The value as the JSON data docker would decode from the daemon's answer: plain maps, no methods. */
function rawValue(v: unknown): unknown {
  // Go decodes JSON objects into map[string]interface{}, whose keys print and marshal sorted.
  return JSON.parse(marshalJSON(v, { escapeHTML: false }), (_key, value: unknown) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => compareGoStrings(a, b)))
      : value) as unknown;
}

/**
 * `docker inspect`'s output: with no format, the values as a JSON array indented with
 * four spaces (`[]` when empty); with `json`, the array on one line; with a template,
 * the template per value, each followed by a newline (a lone newline when nothing was
 * printed). A value the template fails on is retried as plain JSON data with
 * `missingkey=error`, as docker does, and reported in `errors` if it fails again.
 * Throws invalid-argument for a template that does not parse.
 */
export function renderInspect(values: readonly unknown[], format = '', options: RenderInspectOptions = {}): InspectResult {
  const escapeHTML = options.escapeHTML ?? false;
  if (format === '') {
    if (values.length === 0) return { output: '[]\n', errors: [] };
    return { output: marshalJSON(values, { escapeHTML, indent: '    ' }) + '\n', errors: [] };
  }
  if (format === 'json') {
    if (values.length === 0) return { output: '[]\n', errors: [] };
    return { output: marshalJSON(values, { escapeHTML }) + '\n', errors: [] };
  }
  const tmpl = parseFormat(format);
  let output = '';
  const errors: StrataError[] = [];
  for (const v of values) {
    try {
      output += tmpl.execute(v) + '\n';
      continue;
    } catch {
      // fall back to the raw data, as docker's tryRawInspectFallback
    }
    try {
      output += tmpl.execute(rawValue(v), { missingKey: 'error' }) + '\n';
    } catch (err) {
      errors.push(formatError(err));
    }
  }
  return { output: output === '' ? '\n' : output, errors };
}
