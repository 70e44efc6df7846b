// The one colour module: plain ANSI codes, no library, so even `status` (which must start at once)
// can colour. Colour only on a terminal, never with NO_COLOR (https://no-color.org: any non-empty
// value) or in CI; FORCE_COLOR is not consulted, as before with chalk at an explicit level.
const codes = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;
export type Paint = Record<keyof typeof codes, (s: string) => string>;

/** Painters that colour when `on`, else return the text as it is. Nest them to combine: bold(cyan(s)). */
export function paint(on: boolean): Paint {
  return Object.fromEntries(
    Object.entries(codes).map(([k, [a, b]]) => [k, (s: string) => (on ? `\x1b[${a}m${s}\x1b[${b}m` : s)]),
  ) as Paint;
}

/** Whether text written to `stream` may be coloured. */
export function colorOn(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return !!stream.isTTY && !env.CI && !env.NO_COLOR;
}

/** Colours for `stream`. */
export function colorsFor(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): Paint {
  return paint(colorOn(stream, env));
}
