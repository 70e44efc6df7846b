// The tests' browser without a browser is the one the CLI ships (src/lib/browserless.ts).
export { Browserless, CookieJar, pageText, type Page, type Hop } from '../../src/lib/browserless.js';
