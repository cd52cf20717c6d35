// The webhook verifier a data user copies from the README, as the tests' receivers run it: the code
// block after `<!-- webhook-verifier -->` in README.md, written to a module and imported. So a
// receiver written from the README alone is what verifies every delivery in the propagation tests;
// a README that drifted from the signing code would fail them.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export type Verifier = (
  secret: string,
  rawBody: string,
  header: string | undefined,
  nowSeconds?: number,
  toleranceSeconds?: number,
) => boolean;

const MARKER = '<!-- webhook-verifier -->';

/** The README's verifier block (its text), or an error saying what is missing. */
export function readmeVerifierSource(readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')) {
  const at = readme.indexOf(MARKER);
  if (at < 0) throw new Error(`README.md has no ${MARKER} block`);
  const m = /^```js\n([\s\S]*?)\n```/m.exec(readme.slice(at + MARKER.length));
  if (!m) throw new Error(`README.md: no \`\`\`js block after ${MARKER}`);
  return m[1]!;
}

let loaded: Promise<Verifier> | undefined;

/** The README's `verifyConsentLedgerSignature`, imported from the block as written. */
export function readmeVerifier(): Promise<Verifier> {
  loaded ??= (async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'readme-verifier-')), 'verify.mjs');
    writeFileSync(file, readmeVerifierSource());
    const mod = (await import(pathToFileURL(file).href)) as { verifyConsentLedgerSignature?: Verifier };
    if (typeof mod.verifyConsentLedgerSignature !== 'function')
      throw new Error('the README verifier block does not export verifyConsentLedgerSignature');
    return mod.verifyConsentLedgerSignature;
  })();
  return loaded;
}
