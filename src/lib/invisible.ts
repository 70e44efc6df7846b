// Characters nobody sees in a terminal but every server compares: the trailing newline of a value
// pasted from a dashboard, the carriage return of a Windows .env file, a no-break space, a
// zero-width space or byte-order mark copied from a web page, quotes a .env loader kept. Named
// one by one, so a message can say "AUTH0_CLIENT_SECRET ends with a newline (\n)" without ever
// printing the value itself.

const NAMES: Record<string, string> = {
  ' ': 'a space',
  '\t': 'a tab (\\t)',
  '\n': 'a newline (\\n)',
  '\r': 'a carriage return (\\r)',
  '\v': 'a vertical tab (\\v)',
  '\f': 'a form feed (\\f)',
  '\u00a0': 'a no-break space (U+00A0)',
  '\u200b': 'a zero-width space (U+200B)',
  '\u200c': 'a zero-width non-joiner (U+200C)',
  '\u200d': 'a zero-width joiner (U+200D)',
  '\u2060': 'a word joiner (U+2060)',
  '\ufeff': 'a byte-order mark (U+FEFF)',
};

/** Whitespace, control and format characters (\p{C}: Cc, Cf, Co, Cn, Cs) and Unicode separators. */
const INVISIBLE = /[\s\p{C}\p{Z}]/u;

export function nameOf(ch: string): string {
  if (NAMES[ch]) return NAMES[ch];
  const cp = ch.codePointAt(0)!;
  return `an invisible character (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}

/** "a carriage return and a newline (\r\n)" for the common pair; otherwise the names joined. */
function describeRun(run: string): string {
  if (run === '\r\n') return 'a carriage return and a newline (\\r\\n)';
  const names = [...run].map(nameOf);
  const distinct = [...new Set(names)];
  if (distinct.length === 1 && names.length > 1) return `${names.length} × ${distinct[0].replace(/^an? /, '')}`;
  return names.length > 3
    ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more invisible characters`
    : names.join(' and ');
}

/**
 * What is wrong with a value that should hold no invisible character (an id, a secret, a host),
 * said without the value: "ends with a newline (\n)", "starts with a space", "contains a
 * zero-width space (U+200B) at position 12", "is wrapped in double quotes". Undefined when clean.
 */
export function invisibleProblem(value: string): string | undefined {
  const chars = [...value];
  const lead = value.match(/^[\s\p{C}\p{Z}]+/u)?.[0] ?? '';
  const trail = value.slice(lead.length).match(/[\s\p{C}\p{Z}]+$/u)?.[0] ?? '';
  const parts: string[] = [];
  if (lead && lead.length === value.length) return `holds only ${describeRun(lead)}`;
  if (lead) parts.push(`starts with ${describeRun(lead)}`);
  if (trail) parts.push(`ends with ${describeRun(trail)}`);
  const inner = chars.slice([...lead].length, chars.length - [...trail].length);
  const at = inner.findIndex((c) => INVISIBLE.test(c));
  if (at >= 0) parts.push(`contains ${nameOf(inner[at])} at position ${[...lead].length + at + 1}`);
  if (parts.length) return parts.join(' and ');
  const q = value[0];
  if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q))
    return `is wrapped in ${q === '"' ? 'double' : 'single'} quotes (a .env loader kept them)`;
  return undefined;
}
