/**
 * The entry point of the Dockerfile frontend: text in, typed model out.
 */
import type { CheckDirective, Dockerfile, Instruction, LintWarning, SourceLocation, Stage } from './ast.ts';
import { DetailError, DockerfileError } from './errors.ts';
import { parseGoBool } from './go-format.ts';
import type { FromHeader } from './instructions.ts';
import { parseInstruction } from './instructions.ts';
import { parseLines } from './line-parser.ts';

export interface ParseOptions {
  /** The name errors and locations use: `Dockerfile` (default) or the `-f` path as given. */
  file?: string;
}

/**
 * Parses a Dockerfile into stages of typed instructions, with nothing expanded yet.
 *
 * Throws a DockerfileError (a StrataError with code `invalid-argument`) naming the file and
 * line, in BuildKit's words: an empty file, an invalid parser directive, an unknown
 * instruction or flag, a wrong argument count, an unterminated heredoc, an instruction before
 * the first FROM, or no FROM at all. Never throws anything else for any input.
 */
export function parseDockerfile(source: string | Uint8Array, options: ParseOptions = {}): Dockerfile {
  const file = options.file ?? 'Dockerfile';
  const text = typeof source === 'string' ? source : new TextDecoder('utf-8').decode(source);
  if (text.length === 0) {
    throw new DockerfileError({ file }, 'the Dockerfile cannot be empty', { hint: 'start it with a FROM instruction' });
  }
  const raw = parseLines(text, file);
  let check: CheckDirective | undefined;
  const checkDirective = raw.directives.find((d) => d.name === 'check');
  if (checkDirective !== undefined) {
    try {
      check = parseCheckDirective(checkDirective.value);
    } catch (err) {
      throw new DockerfileError(
        { file, line: checkDirective.line, column: 1, endLine: checkDirective.line },
        `failed to parse check options: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  const deferred: DockerfileError[] = [];
  const ctx = {
    file,
    escapeToken: raw.escapeToken,
    parseTrigger: (expr: string) => parseTrigger(expr, file),
    deferError: (err: DockerfileError) => deferred.push(err),
  };
  const metaArgs: Dockerfile['metaArgs'] = [];
  const stages: Stage[] = [];
  const fromWarnings: LintWarning[] = [];
  for (const node of raw.nodes) {
    const parsed = parseInstruction(node, ctx);
    if (parsed.kind === 'FROM') {
      stages.push(stageFrom(parsed, stages.length));
      fromWarnings.push(...lintFrom(parsed));
      continue;
    }
    if (stages.length === 0) {
      if (parsed.kind === 'ARG') {
        metaArgs.push(parsed);
        continue;
      }
      throw new DockerfileError(
        { file, line: parsed.location.line, column: parsed.location.column, endLine: parsed.location.endLine },
        'no build stage in current context',
        { hint: `a Dockerfile must start with FROM (only ARG may come before it); ${parsed.keyword} is on line ${parsed.location.line}` },
      );
    }
    stages[stages.length - 1]?.instructions.push(parsed);
  }
  if (stages.length === 0) {
    throw new DockerfileError({ file }, 'dockerfile contains no stages to build', { hint: 'add a FROM instruction' });
  }
  const firstDeferred = deferred[0];
  if (firstDeferred !== undefined) throw firstDeferred;
  const syntax = raw.directives.find((d) => d.name === 'syntax')?.value;
  const warnings = filterWarnings([...raw.warnings, ...fromWarnings, ...lint(stages)], check);
  return { file, escapeToken: raw.escapeToken, directives: raw.directives, syntax, check, metaArgs, stages, warnings };
}

function stageFrom(h: FromHeader, index: number): Stage {
  return {
    index,
    name: h.name,
    baseName: h.baseName,
    platform: h.platform,
    keyword: h.keyword,
    location: h.location,
    original: h.original,
    comments: h.comments,
    docComment: h.docComment,
    instructions: [],
  };
}

/**
 * Parses an ONBUILD trigger the way BuildKit does when the image is used: as a one-instruction
 * Dockerfile with the default escape character. Throws a DockerfileError.
 */
export function parseTrigger(expression: string, file = 'Dockerfile'): Instruction {
  const raw = parseLines(expression, file);
  if (raw.nodes.length !== 1) throw new DockerfileError({ file }, 'onbuild trigger should be a single expression');
  const node = raw.nodes[0];
  if (node === undefined) throw new DockerfileError({ file }, 'onbuild trigger should be a single expression');
  const parsed = parseInstruction(node, { file, escapeToken: '\\', parseTrigger: (e) => parseTrigger(e, file) });
  if (parsed.kind === 'FROM') throw new DockerfileError({ file }, "FROM isn't allowed as an ONBUILD trigger");
  return parsed;
}

/** BuildKit's `# check=` syntax: `skip=Rule1,Rule2;error=true;experimental=all`. */
export function parseCheckDirective(value: string): CheckDirective {
  const out: CheckDirective = { skip: [], skipAll: false, experimental: [], experimentalAll: false, error: false };
  const trimmed = value.trim();
  if (trimmed === '') return out;
  for (const part of splitN(trimmed, ';', 3)) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new DetailError(`invalid check option "${part}"`);
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    switch (k) {
      case 'skip':
        if (v === 'all') out.skipAll = true;
        else out.skip = v.split(',').map((r) => r.trim());
        break;
      case 'experimental':
        if (v === 'all') out.experimentalAll = true;
        else out.experimental = v.split(',').map((r) => r.trim());
        break;
      case 'error': {
        const b = parseGoBool(v);
        if (b === undefined) {
          throw new DetailError(`failed to parse check option "${part}": strconv.ParseBool: parsing "${v}": invalid syntax`);
        }
        out.error = b;
        break;
      }
      default:
        throw new DetailError(`invalid check option "${k}"`);
    }
  }
  return out;
}

function splitN(s: string, sep: string, n: number): string[] {
  const parts = s.split(sep);
  if (parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function rule(name: string, message: string, location: SourceLocation): LintWarning {
  const kebab = name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();
  return { rule: name, message, url: `https://docs.docker.com/go/dockerfile/rule/${kebab}/`, location };
}

const selfConsistent = (s: string): boolean => s === s.toLowerCase() || s === s.toUpperCase();

/** The build checks BuildKit runs that need only the text. */
function lintFrom(h: FromHeader): LintWarning[] {
  const out: LintWarning[] = [];
  if (h.nameAsWritten !== undefined && h.nameAsWritten !== h.nameAsWritten.toLowerCase()) {
    out.push(rule('StageNameCasing', `Stage name '${h.nameAsWritten}' should be lowercase`, h.location));
  }
  const as = h.asKeyword;
  if (as !== undefined) {
    const fromLower = h.keyword === h.keyword.toLowerCase();
    const fromUpper = h.keyword === h.keyword.toUpperCase();
    if ((fromLower && as !== as.toLowerCase()) || (!fromLower && fromUpper && as !== as.toUpperCase())) {
      out.push(rule('FromAsCasing', `'${as}' and '${h.keyword}' keywords' casing do not match`, h.location));
    }
  }
  return out;
}

function lint(stages: Stage[]): LintWarning[] {
  const out: LintWarning[] = [];
  let lower = 0;
  let upper = 0;
  const count = (keyword: string): void => {
    if (!selfConsistent(keyword)) return;
    if (keyword === keyword.toLowerCase()) lower++;
    else upper++;
  };
  for (const stage of stages) {
    count(stage.keyword);
    for (const inst of stage.instructions) count(inst.keyword);
  }
  const majorityLower = lower > upper;
  const caseMatch = (keyword: string, loc: SourceLocation): void => {
    let correct = '';
    if (majorityLower && keyword.toLowerCase() !== keyword) correct = 'lowercase';
    else if (!majorityLower && keyword.toUpperCase() !== keyword) correct = 'uppercase';
    if (correct !== '') {
      out.push(rule('ConsistentInstructionCasing', `Command '${keyword}' should match the case of the command majority (${correct})`, loc));
    }
  };

  const names = new Set<string>();
  for (const stage of stages) {
    if (stage.name !== undefined) {
      if (stage.name === 'context' || stage.name === 'scratch') {
        out.push(rule('ReservedStageName', `Stage name should not use the same name as reserved stage "${stage.name}"`, stage.location));
      }
      if (names.has(stage.name)) {
        out.push(rule('DuplicateStageName', `Duplicate stage name "${stage.name}", stage names should be unique`, stage.location));
      }
      names.add(stage.name);
    }
  }
  for (const stage of stages) {
    caseMatch(stage.keyword, stage.location);
    const seen = new Map<string, SourceLocation>();
    for (const inst of stage.instructions) {
      caseMatch(inst.keyword, inst.location);
      if (inst.kind === 'MAINTAINER') {
        out.push(rule('MaintainerDeprecated', 'Maintainer instruction is deprecated in favor of using label', inst.location));
      }
      if ((inst.kind === 'ENV' || inst.kind === 'LABEL') && inst.pairs.some((p) => p.legacy)) {
        out.push(rule('LegacyKeyValueFormat', `"${inst.keyword} key=value" should be used instead of legacy "${inst.keyword} key value" format`, inst.location));
      }
      if (inst.kind === 'CMD' || inst.kind === 'ENTRYPOINT' || inst.kind === 'HEALTHCHECK') {
        const prev = seen.get(inst.kind);
        if (prev !== undefined) {
          out.push(rule('MultipleInstructionsDisallowed', `Multiple ${inst.keyword} instructions should not be used in the same stage because only the last one will be used`, prev));
        }
        seen.set(inst.kind, inst.location);
      }
    }
  }
  return out;
}

function filterWarnings(warnings: LintWarning[], check: CheckDirective | undefined): LintWarning[] {
  if (check === undefined) return warnings;
  if (check.skipAll) return [];
  return warnings.filter((w) => !check.skip.includes(w.rule));
}
