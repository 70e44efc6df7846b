// verify --report FILE: a trace of one verify run to attach to a bug report. It holds the checks
// (id, status, detail, hint), every hop of the sign-in probe (method, host, path, status, the NAMES
// of query parameters and of cookies set, the page kind), the tool and Node versions, the state
// file's inputs (none secret) and timestamps. Never a value that could sign someone in: the probe
// trace never records values in the first place, and the whole document is scrubbed once more
// before it is written (debug.ts's redact plus any `name=value` of a sign-in parameter).
// Written atomically (temporary file, then rename), mode 0600. It replaces an earlier report at
// the same path, and refuses any other existing file (a typo must not overwrite the state file).
import { lstat, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { redact } from '../../lib/debug.js';
import type { VerifyResult } from '../verify.js';

export const REPORT_KIND = 'iap-auth0-verify-report';
export const REPORT_VERSION = 1;

/**
 * Parameters whose values sign someone in or tie a browser to a sign-in: never written, even by name=value accident.
 */
const SIGNIN_PARAMS = [
  'code',
  'state',
  'nonce',
  'redirect_token_v2',
  'id_token',
  'access_token',
  'refresh_token',
  'client_secret',
  'session_state',
  'continueUrl',
  'password',
];
const SIGNIN_VALUES = new RegExp(String.raw`\b(${SIGNIN_PARAMS.join('|')})=[^&\s"'\\<>]+`, 'gi');

export function scrub(text: string): string {
  return redact(text).replace(SIGNIN_VALUES, '$1=[redacted]');
}

function toolVersion(): string {
  try {
    return (
      JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'unknown';
  }
}

export interface ReportMeta {
  waitMs: number;
  finishedAt: string;
  apiHosts?: Record<string, string>;
  signinOrigin?: string;
}

/** The report document (a plain object; nothing in it is secret by construction). */
export function buildReport(r: VerifyResult, meta: ReportMeta): Record<string, unknown> {
  return {
    kind: REPORT_KIND,
    reportVersion: REPORT_VERSION,
    note:
      'Query parameter values, cookie values, page bodies, tokens and secrets are never recorded: only their ' +
      'names.',
    tool: { name: 'iap-auth0', version: toolVersion() },
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    startedAt: r.startedAt,
    finishedAt: meta.finishedAt,
    elapsedMs: r.elapsedMs,
    waitMs: meta.waitMs,
    waitedMs: r.waitedMs,
    ok: r.ok,
    stateFile: r.stateFile,
    setup: r.setup,
    serviceHost: hostOf(r.serviceUrl),
    ...(meta.signinOrigin ? { signinHost: hostOf(meta.signinOrigin) } : {}),
    ...(meta.apiHosts ? { apiHosts: meta.apiHosts } : {}),
    checks: r.checks.map(({ id, stage, status, detail, hint }) => ({
      id,
      stage,
      status,
      detail,
      ...(hint ? { hint } : {}),
    })),
    signinProbe: { rounds: r.probe.rounds, hops: r.probe.hops.map((h, i) => ({ n: i + 1, ...h })) },
    timingsMs: r.timings,
  };
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/**
 * Checks, before anything runs, that `file` may receive a report: its folder exists, and it is
 * absent or an earlier report. Returns the absolute path; throws an Error saying why not.
 */
export async function checkReportPath(file: string, statePath: string): Promise<string> {
  const abs = path.resolve(file);
  if (abs === path.resolve(statePath)) throw new Error(`${file} is the state file; choose another file for the report`);
  const dir = await lstat(path.dirname(abs)).catch(() => undefined);
  if (!dir?.isDirectory())
    throw new Error(`the folder ${path.dirname(abs)} does not exist; create it or choose another path`);
  const st = await lstat(abs).catch(() => undefined);
  if (!st) return abs;
  if (!st.isFile()) throw new Error(`${file} exists and is not a regular file; choose another path`);
  let previous: { kind?: unknown } | undefined;
  try {
    previous = JSON.parse(await readFile(abs, 'utf8'));
  } catch {
    /* not JSON: not a report */
  }
  if (previous?.kind !== REPORT_KIND)
    throw new Error(
      `${file} exists and is not an iap-auth0 report, so it is not overwritten; choose another path or remove it`,
    );
  return abs;
}

/** Writes the report atomically with mode 0600 (replacing an earlier report at that path). */
export async function writeReport(abs: string, report: Record<string, unknown>): Promise<void> {
  const text = scrub(JSON.stringify(report, null, 2)) + '\n';
  const tmp = `${abs}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
    await rename(tmp, abs);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
