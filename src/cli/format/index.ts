/**
 * Output formatting exactly as the docker CLI 28 prints it: Go text/template
 * `--format` templates with docker's functions, `table`/`json` formats aligned by a
 * tabwriter, inspect output, and docker's sizes, relative times, IDs and ellipses.
 *
 * Commands build plain row objects (fields as properties, methods as functions) and
 * call `renderList` or `renderInspect`; every error is a StrataError
 * (invalid-argument) whose message is what docker prints.
 */
export { renderList, renderInspect, rowJSON, templateString, parseFormat } from './render.ts';
export type { ListRow, RenderListOptions, RenderInspectOptions, InspectResult } from './render.ts';
export { GoTemplate, TemplateError } from './go-template/template.ts';
export type { ExecuteOptions } from './go-template/template.ts';
export type { MissingKey } from './go-template/exec.ts';
export { defineFunc } from './go-template/funcs.ts';
export type { FuncMap, GoFunc, ParamType } from './go-template/funcs.ts';
export { goStruct, goFloat, GoStruct, GoFloat, markStringSlice } from './go-template/values.ts';
export type { GoStructOptions } from './go-template/values.ts';
export { sprint, sprintf, sprintln } from './go-template/fmt.ts';
export { marshalJSON } from './go-template/json.ts';
export type { JsonOptions } from './go-template/json.ts';
export { formatFloat, quoteString } from './go-template/strconv.ts';
export { dockerFunctions, headerFunctions } from './docker-functions.ts';
export { TabWriter, alignTable, DOCKER_TABLE } from './tabwriter.ts';
export type { TabWriterOptions } from './tabwriter.ts';
export { stringWidth, runeWidth } from './text-width.ts';
export { truncateId, ellipsis } from './display.ts';
export {
  humanSize,
  humanSize4,
  humanSizeWithPrecision,
  bytesSize,
  parseRAMInBytes,
  parseHumanSize,
} from './size.ts';
export { humanDuration, timeAgo, upFor, exitedAgo } from './duration.ts';
export { goTimeString, formatRFC3339, formatRFC3339Nano, parseRFC3339, toGoTime } from './go-time.ts';
export type { GoTime } from './go-time.ts';
export { columns } from './columns.ts';
