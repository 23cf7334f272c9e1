/**
 * Go's text/template for JavaScript, with the parts of Go's standard library its output
 * depends on: fmt's printing, strconv's number and string forms, encoding/json, and
 * time.Time's text forms. Output and error messages are Go's, byte for byte; README.md
 * says what is covered and how JavaScript values stand for Go values.
 */
export { GoTemplate, TemplateError } from './template.ts';
export type { ExecuteOptions } from './template.ts';
export type { MissingKey } from './exec.ts';
export { defineFunc, byteLength, byteSlice } from './funcs.ts';
export type { FuncMap, GoFunc, ParamType } from './funcs.ts';
export { goStruct, goFloat, GoStruct, GoFloat, markStringSlice, compareGoStrings } from './values.ts';
export type { GoStructOptions } from './values.ts';
export { sprint, sprintf, sprintln } from './fmt.ts';
export { marshalJSON } from './json.ts';
export type { JsonOptions } from './json.ts';
export { indentJson } from './json-indent.ts';
export { formatFloat, quoteString } from './strconv.ts';
export { goTimeString, formatRFC3339, formatRFC3339Nano, parseRFC3339, toGoTime } from './time.ts';
export type { GoTime } from './time.ts';
