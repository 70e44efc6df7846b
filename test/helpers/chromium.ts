// Debian's Chromium, driven by playwright-core (never a browser a package downloads itself), with
// the flags that work on a headless 2-core CI machine. One place for the browser tests and the live
// suite, so a flag changed for one cannot silently differ in another.
import type { Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}
