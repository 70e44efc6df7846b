// Build step: the top-level --help text, generated from the program itself, so `iap-auth0 --help`
// can print it without loading commander (see src/cli/main.ts). Always equal to commander's output
// at 80 columns.
import { writeFileSync } from 'node:fs';
const { buildProgram } = await import('../dist/src/cli/program.js');
const program = buildProgram();
program.configureOutput({ getOutHelpWidth: () => 80, getErrHelpWidth: () => 80 });
writeFileSync(new URL('../dist/src/cli/help.txt', import.meta.url), program.helpInformation());
