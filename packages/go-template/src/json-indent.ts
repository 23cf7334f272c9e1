/**
 * Go's json.Indent: re-indents JSON text without re-encoding strings or numbers (empty
 * objects and arrays stay `{}` and `[]`). marshalJSON uses it for a struct's own
 * MarshalJSON output; callers use it to print JSON bytes as a Go program would.
 */

/** Indents JSON text the way json.Indent does; every line after the first starts with `prefix`. */
export function indentJson(src: string, indent: string, prefix = ''): string {
  let out = '';
  let level = 0;
  let inString = false;
  let needIndent = false;
  const nl = (): string => '\n' + prefix + indent.repeat(level);
  for (let i = 0; i < src.length; i++) {
    const c = src[i] ?? '';
    if (inString) {
      out += c;
      if (c === '\\') {
        out += src[i + 1] ?? '';
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (needIndent && c !== ']' && c !== '}') {
      needIndent = false;
      level++;
      out += nl();
    }
    switch (c) {
      case '"':
        inString = true;
        out += c;
        break;
      case '{':
      case '[':
        out += c;
        needIndent = true;
        break;
      case ',':
        out += c + nl();
        break;
      case ':':
        out += ': ';
        break;
      case '}':
      case ']':
        if (needIndent) {
          needIndent = false; // empty: keep {} / []
        } else {
          level--;
          out += nl();
        }
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}
