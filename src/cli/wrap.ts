// Text cut into lines for a terminal of a given width, at word boundaries only. A token longer
// than a line (a URL, a resource path, an account) is cut after a "/" (or else after "@", "." or
// "-"), never inside a run of letters and digits, so no word is ever broken; only a run longer than
// the whole line is cut where it must be.

/** Pieces of an overlong token, each ending at a "/", "." or "-" where possible, none wider than `width`. */
function splitToken(token: string, width: number): string[] {
  const pieces: string[] = [];
  let rest = token;
  while (rest.length > width) {
    const head = rest.slice(0, width);
    // The strongest boundary that fits: a path's "/", then an address's "@", then "." and "-".
    const cut = ['/', '@', '.', '-'].map((c) => head.lastIndexOf(c)).find((i) => i > 0) ?? -1;
    const at = cut > 0 ? cut + 1 : width;
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  return rest ? [...pieces, rest] : pieces;
}

/**
 * Off a terminal (a pipe, a file, a CI log), text a person reads is wrapped at 100 columns: most
 * plan lines then fit on one or two lines, a CI log pane or a split terminal shows them without
 * its own wrapping, and prose much wider than that is hard to read anyway.
 */
export const PIPE_WIDTH = 100;

/** The width to wrap text written to `stream` at: the terminal's (80 if it gives none), else PIPE_WIDTH. */
export const widthOf = (stream: { isTTY?: boolean; columns?: number }): number =>
  stream.isTTY ? stream.columns || 80 : PIPE_WIDTH;

/** A colour code (ESC [ … m, as ansi.ts writes them): it takes no column. */
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
/** Columns `s` takes on a terminal. */
const visible = (s: string) => s.replace(COLOUR, '').length;

/**
 * `text` in lines of at most `width` columns: the first starts with `first`, the others with
 * `indent` (a hanging indent). Spaces between words are where lines break.
 */
export function wrap(text: string, width: number, first = '', indent = ' '.repeat(visible(first))): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true; // nothing but the prefix on the line yet
  const room = () => width - visible(line);
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const gap = empty ? '' : ' ';
    if (word.length + gap.length <= room()) {
      line += gap + word;
      empty = false;
      continue;
    }
    if (!empty) {
      lines.push(line);
      line = indent;
    }
    const pieces = splitToken(word, Math.max(1, width - visible(indent)));
    // Pieces of one token continue on the next line with no space: the reader sees one path.
    for (const [i, piece] of pieces.entries()) {
      if (i > 0) {
        lines.push(line);
        line = indent;
      }
      line += piece;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

/** Where a line's text starts: after its indent and a bullet or label its continuation lines sit under. */
const LEAD = /^(\s*)(iap-auth0: |hint: |made so far: |- )?/;

/**
 * Prose of one or more lines (a message, the resources it lists, its hints), each line wrapped at
 * `width` with its continuation under its text: after a bullet or a label ("- ", "hint: ",
 * "iap-auth0: "), else two columns further in than the line. Without a width (off a terminal, where
 * a log keeps one line per message for grep), the lines as they are.
 */
export function proseLines(text: string, width?: number): string[] {
  const lines = text.split('\n');
  if (!width) return lines;
  return lines.flatMap((line) => {
    const [lead, indent, label] = LEAD.exec(line) ?? ['', ''];
    return wrap(line.slice(lead.length), width, lead, label ? ' '.repeat(lead.length) : `${indent}  `);
  });
}

/**
 * A refusal or failure as the CLI prints it: `iap-auth0: MESSAGE`, its hint (or hints) under it,
 * wrapped at word boundaries at `width` on a terminal, as they are elsewhere (see proseLines).
 */
export const errorLines = (message: string, hint: string | undefined, width?: number): string[] =>
  proseLines(`iap-auth0: ${message}${hint ? `\n  hint: ${hint}` : ''}`, width);

/** The width to wrap prose written to `stream` at: the terminal's (widthOf), none off a terminal. */
export const proseWidth = (stream: { isTTY?: boolean; columns?: number }): number | undefined =>
  stream.isTTY ? widthOf(stream) : undefined;
