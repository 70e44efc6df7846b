// The HTML Auth0 shows a browser: the Universal Login page (/u/login?state=…), the consent page
// for third-party apps (/u/consent?state=…), and the generic error page ("Oops!, something went
// wrong") that answers an /authorize request Auth0 cannot send back to the application.
import { randomBytes } from 'node:crypto';

export const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

// One rule set per line, as the page carries it.
const STYLE =
  'body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif;background:#f3f3f4;margin:0}\n' +
  'main{max-width:400px;margin:64px auto;background:#fff;border-radius:5px;' +
  'box-shadow:0 12px 40px rgba(0,0,0,.12);padding:40px}\n' +
  'h1{font-size:24px;font-weight:400;text-align:center}p{color:#1e212a;font-size:14px}' +
  'label{display:block;font-size:14px;margin-top:16px}\n' +
  'input[type=text],input[type=password]{width:100%;box-sizing:border-box;height:52px;padding:0 16px;' +
  'border:1px solid #c9cace;border-radius:3px}\n' +
  'button{width:100%;height:52px;margin-top:24px;border:0;border-radius:3px;' +
  'background:#635dff;color:#fff;font-size:16px}\n' +
  '.error{color:#d03c38;font-size:14px}code{font-size:12px}';

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

export interface LoginPageInput {
  state: string;
  appName: string;
  tenant: string;
  error?: string;
  username?: string;
}

/** New Universal Login's username/password form; posts back to /u/login?state=… with the state. */
export function loginPage(p: LoginPageInput): string {
  return layout(
    'Log in | iap-auth0 sandbox',
    `
<header><h1>Welcome</h1><p>Log in to ${esc(p.tenant)} to continue to ${esc(p.appName)}.</p></header>
<form method="POST" action="/u/login?state=${encodeURIComponent(p.state)}" data-form-primary="true">
  <input type="hidden" name="state" value="${esc(p.state)}">
  ${p.error ? `<p id="error-element-password" class="error" role="alert">${esc(p.error)}</p>` : ''}
  <label for="username">Email address</label>
  <input type="text" id="username" name="username" value="${esc(p.username ?? '')}" autocomplete="email" ` +
      `autocapitalize="none" spellcheck="false" required autofocus>
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="current-password" required>
  <button type="submit" name="action" value="default">Continue</button>
</form>`,
  );
}

export interface ConsentPageInput {
  state: string;
  appName: string;
  tenant: string;
  userEmail: string;
  scopes: string[];
}

/** Shown to third-party apps only; first-party apps skip consent (auth0.md 2.2 is_first_party). */
export function consentPage(p: ConsentPageInput): string {
  return layout(
    `Authorize Application | iap-auth0 sandbox`,
    `
<header><h1>Authorize ${esc(p.appName)}</h1><p>Hi ${esc(p.userEmail)}, ` +
      `${esc(p.appName)} is requesting access to your ${esc(p.tenant)} account.</p></header>
<ul>${p.scopes.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>
<form method="POST" action="/u/consent?state=${encodeURIComponent(p.state)}">
  <input type="hidden" name="state" value="${esc(p.state)}">
  <button type="submit" name="action" value="accept">Accept</button>
  <button type="submit" name="action" value="deny">Decline</button>
</form>`,
  );
}

export interface ErrorPageInput {
  description: string;
  error: string;
  errorDescription: string;
}

/** Auth0's default error page: a human sentence, then the technical details and a tracking id. */
export function errorPage(p: ErrorPageInput): string {
  const tracking = randomBytes(10).toString('hex');
  return layout(
    'Error',
    `
<h1>Oops!, something went wrong</h1>
<p class="error-description">${esc(p.description)}</p>
<section class="technical-details"><p><strong>TECHNICAL DETAILS</strong></p>
<p><code>${esc(p.error)}: ${esc(p.errorDescription)}</code></p>
<p><code>tracking: ${tracking}</code></p></section>`,
  );
}
