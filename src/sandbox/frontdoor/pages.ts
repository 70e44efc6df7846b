// The HTML pages Google's front ends answer with along the sign-in chain: Google Frontend's plain
// error pages (Cloud Run 403/404), IAP's own pages, the OAuth "Access blocked" page of the
// workforce sign-in origin, and the sign-in (STS) error page. Texts follow what users report
// (gcp-api.md 10.1, 12); the layout is simplified. Every value shown is HTML-escaped.
import type { ApiResult } from '../core/http.js';

export const esc = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** Google Frontend's bare error page (what Cloud Run itself answers with). */
function gfePage(status: number, title: string, h1: string, h2: string): ApiResult {
  return {
    status,
    html:
      `<html><head>\n<meta http-equiv="content-type" content="text/html;charset=utf-8">\n<title>${status} ` +
      `${esc(title)}</title>\n</head>\n` +
      `<body text=#000000 bgcolor=#ffffff>\n<h1>Error: ${esc(h1)}</h1>\n<h2>${h2}</h2>\n<h2></h2>\n</body></html>\n`,
  };
}

/** Cloud Run's 403 when the caller lacks run.invoker (IAM on the service). */
export const cloudRunForbidden = (path: string) =>
  gfePage(
    403,
    'Forbidden',
    'Forbidden',
    `Your client does not have permission to get URL <code>${esc(path)}</code> from this server.`,
  );

/** Cloud Run's 404: unknown service, or ingress that does not admit internet traffic. */
export const cloudRunNotFound = (path: string) =>
  gfePage(
    404,
    'Page not found',
    'Page not found',
    `The requested URL <code>${esc(path)}</code> was not found on this server.`,
  );

function googlePage(title: string, body: string): string {
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${esc(title)}</title>` +
    '<style>body{font-family:Roboto,Arial,sans-serif;margin:48px auto;max-width:560px;color:#202124}' +
    `h1{font-weight:400;font-size:24px}.code{color:#5f6368;font-size:14px}code{word-break:break-all}</style></head>` +
    `<body>${body}</body></html>\n`
  );
}

const IAP_HEADERS = { 'x-goog-iap-generated-response': 'true' };

/** IAP on, but the project's IAP service agent was never generated (gcp-api.md 12.1). */
export function iapNotProvisioned(projectNumber: string): ApiResult {
  // Assumption: status 500 (an IAP-side configuration error); the reports quote only the text.
  return {
    status: 500,
    headers: IAP_HEADERS,
    html: googlePage(
      'Error',
      `<h1>Error</h1><p id="message">The IAP service account is not provisioned.</p>` +
        `<p class="code">Generate the Identity-Aware Proxy service agent for project ${esc(projectNumber)} ` +
        `(services.generateServiceIdentity for iap.googleapis.com) and grant it roles/run.invoker on the service.</p>`,
    ),
  };
}

/** IAP on with settings IAP cannot act on (e.g. workforce identity chosen but no pool or client). */
export function iapMisconfigured(detail: string): ApiResult {
  // Assumption: the real service's wording is not documented; 500 with the reason.
  return {
    status: 500,
    headers: IAP_HEADERS,
    html: googlePage(
      'Error',
      `<h1>Error</h1><p>IAP is not configured correctly for this resource.</p><p class="code">${esc(detail)}</p>`,
    ),
  };
}

/** IAP's "You don't have access" page (principal lacks roles/iap.httpsResourceAccessor). */
export function iapAccessDenied(who: string, signOutUrl: string): ApiResult {
  return {
    status: 403,
    headers: IAP_HEADERS,
    html: googlePage(
      'Access denied',
      `<h1>You don't have access</h1>` +
        `<p>Your account does not have permission to access this resource. Ask the resource's administrator ` +
        'to grant you the IAP-secured Web App User role.</p>' +
        `<p class="code">Signed in as <code id="principal">${esc(who)}</code></p>` +
        `<p><a href="${esc(signOutUrl)}">Sign in with a different account</a></p>`,
    ),
  };
}

/** After ?gcp-iap-mode=CLEAR_LOGIN_COOKIE. */
export function iapSignedOut(): ApiResult {
  // Assumption: IAP answers with a small confirmation page rather than a redirect, so the
  // federated session is not used to sign straight back in.
  return {
    status: 200,
    headers: IAP_HEADERS,
    html: googlePage('Signed out', `<h1>You have been signed out</h1><p>Your IAP session cookie was cleared.</p>`),
  };
}

/** 401 for XMLHttpRequest callers without a valid session (IAP sessions doc). */
export function iapXhrUnauthorized(): ApiResult {
  return {
    status: 401,
    headers: IAP_HEADERS,
    text: 'Unauthorized: the IAP session is missing or expired. Reload the page to sign in again.\n',
  };
}

/**
 * Google's OAuth "Access blocked" page (what accounts.google.com and auth.cloud.google show for a
 * bad authorization request): `Error {status}: {error}` and the request details.
 */
export function oauthErrorPage(
  status: 400 | 401,
  error: string,
  message: string,
  details: Record<string, string | undefined> = {},
): ApiResult {
  const title =
    status === 401 ? 'Access blocked: Authorization Error' : "Access blocked: This app's request is invalid";
  const lines = Object.entries(details)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<li><code>${esc(k)}=${esc(v)}</code></li>`)
    .join('');
  return {
    status,
    html: googlePage(
      title,
      `<h1>${esc(title)}</h1>` +
        `<p>You can't sign in because this app sent an invalid request. You can try again later, or contact ` +
        'the developer about this issue.</p>' +
        `<p>${esc(message)}</p><p class="code" id="error">Error ${status}: ${esc(error)}</p>` +
        (lines ? `<p class="code">Request details:</p><ul class="code">${lines}</ul>` : ''),
    ),
  };
}

/** The workforce sign-in error page: STS-style `error: description` (e.g. issuer or condition failures). */
export function signinErrorPage(status: number, error: string, description: string): ApiResult {
  return {
    status,
    html: googlePage(
      'Sign-in failed',
      `<h1>Unable to sign in</h1><p>Sign-in through your organization's identity provider failed.</p>` +
        `<p class="code" id="error">${esc(error)}: ${esc(description)}</p>`,
    ),
  };
}

/**
 * The workforce sign-in's provider chooser (emulation `signinHops: chooser`). Assumption: no capture
 * of such a page exists. Google's console sign-in asks for the provider name when it has none
 * ("they are prompted to enter the workforce identity pool provider name", workforce-console-sso
 * doc); this stand-in lists the pool's usable providers as links to /signin/{provider}, and asks for
 * a provider name only when it does not know the pool.
 */
export function providerChooserPage(
  choices: { name: string; displayName?: string; href: string }[],
  form?: { action: string; continueUrl: string },
): ApiResult {
  const items = choices
    .map(
      (c) =>
        `<li><a class="provider" href="${esc(c.href)}">${esc(c.displayName || c.name)}</a> ` +
        `<span class="code">${esc(c.name)}</span></li>`,
    )
    .join('');
  return {
    status: 200,
    html: googlePage(
      'Sign in',
      `<h1>Sign in with your organization's identity provider</h1>` +
        (items
          ? `<p>Choose how to sign in:</p><ul>${items}</ul>`
          : '<p>No identity provider is available for this sign-in request.</p>') +
        (form
          ? `<form method="get" action="${esc(form.action)}">` +
            '<label for="provider">Workforce identity pool provider name</label>' +
            '<input type="text" id="provider" name="provider" ' +
            'placeholder="locations/global/workforcePools/POOL/providers/PROVIDER">' +
            `<input type="hidden" name="continueUrl" value="${esc(form.continueUrl)}">` +
            '<button type="submit">Continue</button></form>'
          : ''),
    ),
  };
}
