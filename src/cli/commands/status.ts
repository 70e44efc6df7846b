// `iap-auth0 status`: what the state file says, and what to run next. Reads one local file.
import { EXIT, UserError } from '../../lib/exit-codes.js';
import { readStateQuick } from '../../state/read-quick.js';
import { statusReport } from '../../core/status.js';
import { colorsFor } from '../ansi.js';
import { labelledResources } from '../../core/resource-labels.js';
// Not from state/store.js: it loads the schema library, and status must start at once.
import { DEFAULT_STATE_PATH } from '../../state/names.js';

export interface StatusCommandOptions {
  json?: boolean;
  state?: string;
}

export async function statusCommand(opts: StatusCommandOptions): Promise<void> {
  const file = opts.state ?? DEFAULT_STATE_PATH;
  let state: Awaited<ReturnType<typeof readStateQuick>>;
  try {
    state = await readStateQuick(file);
  } catch (e) {
    const { StateError } = await import('../../state/store.js');
    if (e instanceof StateError) throw new UserError(e.message, EXIT.USAGE, e.hint);
    throw e;
  }
  const r = statusReport(file, state);
  if (opts.json) {
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    process.exitCode = EXIT.OK;
    return;
  }
  const c = colorsFor(process.stdout);
  const ui = { line: (t: string) => process.stdout.write(t + '\n') };
  if (!r.exists) {
    ui.line(`No state file at ${file}: nothing set up yet.`);
  } else {
    ui.line(
      `${c.bold(r.service ?? '')} in ${r.project} (${r.region}): ${r.summary}. State file: ` +
        `${file}${r.setupId ? ` (setup ${r.setupId})` : ''}`,
    );
    const mark: Record<string, string> = {
      done: c.green('✓'),
      destroyed: c.dim('-'),
      failed: c.red('✗'),
      'in-progress': c.yellow('…'),
      destroying: c.yellow('…'),
      pending: ' ',
    };
    const width = Math.max(...r.stages.map((s) => s.title.length));
    for (const s of r.stages) {
      const m = s.state === 'interrupted' || s.state === 'destroy interrupted' ? c.yellow('-') : mark[s.status];
      ui.line(`${m ?? ' '} ${s.title.padEnd(width)}  ${s.state}`);
      for (const row of labelledResources(s.id, s))
        ui.line(
          `    ${c.dim(row.label.padEnd(Math.max(19, row.label.length + 2)))}${row.value}` +
            (s.adopted?.includes(row.key) ? c.dim(' (adopted: never deleted by this setup)') : ''),
        );
      // The state words already carry an in-progress stage's reason; a failed stage's error is its own line.
      if (s.error && s.status !== 'in-progress') ui.line(`    ${c.red('error'.padEnd(19))}${s.error}`);
    }
    if (r.serviceUrl) ui.line(`Service URL: ${r.serviceUrl}`);
  }
  ui.line(`Next: ${r.next}`);
  process.exitCode = EXIT.OK;
}
