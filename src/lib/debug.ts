// --debug: a trace of every Google API call (method, URL, status, time) and every retry on stderr,
// for bug reports. Everything printed goes through redact(): bearer tokens, secrets and one-time
// codes never appear, even in a debug log someone pastes into an issue.

export const debugEnabled = () => process.env.IAP_AUTH0_DEBUG === '1';

const SECRET_NAMES = 'client_?secret|clientSecret|plainText|access_token|id_token|refresh_token|password';

const PATTERNS: [RegExp, string][] = [
  [/(authorization:\s*)(bearer|basic)\s+[^\s"',]+/gi, '$1$2 [redacted]'],
  [/\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  // A secret's name (JSON key or name=value), then its value.
  [new RegExp(String.raw`("?(?:${SECRET_NAMES})"?\s*[:=]\s*"?)[^"&\s,}]+`, 'gi'), '$1[redacted]'],
  [/([?&](?:code|state|nonce|redirect_token_v2|client_secret|access_token)=)[^&#\s]+/gi, '$1[redacted]'],
  [/\bGOCSPX-[A-Za-z0-9_-]+/g, 'GOCSPX-[redacted]'],
  [/\bya29\.[A-Za-z0-9._-]+/g, 'ya29.[redacted]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted JWT]'],
];

export function redact(text: string): string {
  return PATTERNS.reduce((t, [re, by]) => t.replace(re, by), text);
}

export function debug(line: string): void {
  if (debugEnabled()) process.stderr.write(`[debug] ${redact(line)}\n`);
}
