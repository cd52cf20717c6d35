// Webhook signatures as a data user's receiver checks them: with the README's verifier (extracted from
// the README, as the integration tests' receivers run it) and the secret string exactly as returned.
import { describe, expect, it } from 'vitest';
import { readmeVerifier } from '../test/harness/readmeVerifier.js';
import { signatureHeader } from './webhooks.js';

// Shaped like a registration's secret: 43 characters of base64url (32 bytes).
const secret = 'q3Jv0l3v5N2oQ8R1c6mZyV7wXo4tKcF9hB2sA1eD0gU';
const body = JSON.stringify({ type: 'revocation.notice', notice: { noticeId: 'ntc.w1.du_uni' } });
const t = 1_800_000_000;

describe('webhook signatures (the README verifier)', () => {
  it('a delivery signed with the secret as returned verifies', async () => {
    const verify = await readmeVerifier();
    expect(verify(secret, body, signatureHeader(secret, body, t), t + 10)).toBe(true);
  });
  it.each<[string, (h: string) => [string, string, string | undefined, number]]>([
    ['the secret decoded first', (h) => [Buffer.from(secret, 'base64url').toString('latin1'), body, h, t]],
    ['another secret', (h) => [secret.replace('q', 'r'), body, h, t]],
    ['a changed body', (h) => [secret, body.replace('w1', 'w2'), h, t]],
    ['a stale timestamp (replay)', (h) => [secret, body, h, t + 301]],
    ['a malformed header', () => [secret, body, 'v1=abc', t]],
    ['no header', () => [secret, body, undefined, t]],
  ])('is rejected with %s', async (_name, args) => {
    const verify = await readmeVerifier();
    expect(verify(...args(signatureHeader(secret, body, t)))).toBe(false);
  });
});
