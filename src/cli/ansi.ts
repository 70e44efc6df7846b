// Colours without a library, for the commands that must start instantly (status). Same rules as
// render.ts: only on a terminal, never with NO_COLOR or in CI.
const codes = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39] } as const;
export type Paint = Record<keyof typeof codes, (s: string) => string>;

export function paint(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): Paint {
  const on = !!stream.isTTY && !env.CI && !env.NO_COLOR;
  return Object.fromEntries(Object.entries(codes).map(([k, [a, b]]) => [k, (s: string) => (on ? `\x1b[${a}m${s}\x1b[${b}m` : s)])) as Paint;
}
