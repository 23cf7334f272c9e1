/**
 * Output formatting exactly as the docker CLI 28 prints it: `--format` templates (Go's
 * text/template, from the @strata/go-template package) with docker's functions,
 * `table`/`json` formats aligned by a tabwriter, inspect output, and docker's sizes,
 * relative times, IDs and ellipses.
 *
 * Commands build plain row objects (fields as properties, methods as functions) and
 * call `renderList` or `renderInspect`; every error is a StrataError
 * (invalid-argument) whose message is what docker prints. Go values, printing and
 * times (goStruct, quoteString, goTimeString…) come from @strata/go-template itself.
 */
export { renderList, renderInspect, rowJSON, templateString, parseFormat } from './render.ts';
export type { ListRow, RenderListOptions, RenderInspectOptions, InspectResult } from './render.ts';
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
export { columns } from './columns.ts';
