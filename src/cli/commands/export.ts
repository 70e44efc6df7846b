// `iap-auth0 export terraform`: thin over core/export/run.ts. Writes (or, with --dry-run, prints)
// the Terraform folder; --json prints one document listing the files.
import { EXIT, UserError } from '../../lib/exit-codes.js';
import { onInterrupt } from '../interrupt.js';
import { colorsFor } from '../ansi.js';
import type { ExportResult } from '../../core/export/run.js';

export interface ExportCommandOptions {
  dir?: string;
  state?: string;
  dryRun?: boolean;
  force?: boolean;
  json?: boolean;
}

function printJson(r: ExportResult): void {
  const doc = {
    ok: true,
    dir: r.dir,
    dryRun: r.dryRun,
    ...(r.setupId ? { setupId: r.setupId } : {}),
    imports: r.imports,
    // --dry-run writes nothing, so the document carries the files themselves.
    files: r.files.map((f) => ({
      path: f.path,
      bytes: Buffer.byteLength(f.content),
      ...(r.dryRun ? { content: f.content } : {}),
    })),
    notes: r.notes,
  };
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}

function printText(r: ExportResult): void {
  const c = colorsFor(process.stdout);
  const out = (t: string) => process.stdout.write(t + '\n');
  if (r.dryRun) {
    for (const f of r.files) {
      out(c.dim(`# ---- ${r.dir}/${f.path} ----`));
      process.stdout.write(f.content.endsWith('\n') ? f.content : `${f.content}\n`);
    }
    out(c.dim(`--dry-run: nothing was written (${r.files.length} files, ${r.imports} resources to import).`));
  } else {
    out(`Wrote ${r.files.length} files to ${r.dir}: ${r.files.map((f) => f.path).join(', ')}`);
    out(`${r.imports} existing resources are imported; nothing is created. Read ${r.dir}/README.md first.`);
    out(`Next: cd ${r.dir} && terraform init && terraform plan  (expect ${r.imports} to import, 0 to change)`);
  }
  if (r.notes.length) {
    process.stderr.write(
      `${c.yellow('Not written')} (terraform plan would propose to change these; see the README):\n` +
        r.notes.map((n) => `  - ${n}\n`).join(''),
    );
  }
}

export async function exportTerraformCommand(opts: ExportCommandOptions): Promise<void> {
  const ctrlC = onInterrupt();
  const { runExport } = await import('../../core/export/run.js');
  let result: ExportResult;
  try {
    result = await runExport({
      env: process.env,
      statePath: opts.state,
      dir: opts.dir,
      dryRun: opts.dryRun,
      force: opts.force,
      signal: ctrlC.signal,
    });
  } catch (e) {
    if (ctrlC.interrupted) throw new UserError('interrupted; nothing was written.', EXIT.INTERRUPTED);
    if (opts.json && e instanceof UserError)
      process.stdout.write(JSON.stringify({ ok: false, error: { message: e.message, hint: e.hint } }, null, 2) + '\n');
    throw e;
  } finally {
    ctrlC.dispose();
  }
  if (opts.json) printJson(result);
  else printText(result);
  process.exitCode = EXIT.OK;
}
