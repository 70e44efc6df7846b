// The demo's steps as it announces them (`▶ …` lines), for the tests that run it from the repository and from
// the installed package: one list, so both check the same story.
export const DEMO_STEPS = [
  'Starting the sandbox',
  '1. iap-auth0 init',
  '2. iap-auth0 verify --wait 2m',
  '3. A real sign-in',
  '4. iap-auth0 status',
  '5. iap-auth0 destroy --force',
  '6. Nothing left',
];

/** The steps a demo run printed, in order. */
export const demoSteps = (stdout: string) => [...stdout.matchAll(/^▶ (.+)$/gm)].map((m) => m[1]);
