// The client's verifier against the signing the worker does (revocations/webhooks.ts) and against the
// README's copyable verifier: both must give the same answer for every signed, tampered or stale delivery.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signatureHeader } from '../revocations/webhooks.js';
import { readmeVerifier } from '../test/harness/readmeVerifier.js';
import { UnverifiedDelivery, verifiedDelivery, verifySignature } from './webhookSignature.js';

const secret = randomBytes(32).toString('base64url');
const now = 1_790_000_000;

describe('verifySignature', () => {
  it('accepts what the worker signs, with the secret string as returned (not decoded)', () => {
    const body = JSON.stringify({ type: 'revocation.notice', notice: { noticeId: 'ntc.e1.du_x' } });
    expect(verifySignature(secret, body, signatureHeader(secret, body, now), now)).toBe(true);
    expect(verifySignature(secret, Buffer.from(body), signatureHeader(secret, body, now), now)).toBe(true);
    const decodedKey = Buffer.from(secret, 'base64url').toString('latin1');
    expect(verifySignature(decodedKey, body, signatureHeader(secret, body, now), now)).toBe(false);
  });

  it('rejects a changed body, another secret, a stale or future t, a malformed header', () => {
    const body = '{"type":"revocation.notice"}';
    const header = signatureHeader(secret, body, now);
    expect(verifySignature(secret, body + ' ', header, now)).toBe(false);
    expect(verifySignature(`${secret}x`, body, header, now)).toBe(false);
    expect(verifySignature(secret, body, header, now + 301)).toBe(false);
    expect(verifySignature(secret, body, header, now - 301)).toBe(false);
    expect(verifySignature(secret, body, header, now + 299)).toBe(true);
    expect(verifySignature(secret, body, undefined, now)).toBe(false);
    expect(verifySignature(secret, body, header.replace('v1=', 'v2='), now)).toBe(false);
    expect(verifySignature(secret, body, `${header},v1=${'0'.repeat(64)}`, now)).toBe(false);
  });

  it('agrees with the README verifier on signed, tampered and stale deliveries', async () => {
    const readme = await readmeVerifier();
    fc.assert(
      fc.property(
        fc.string(),
        fc.string({ minLength: 1 }),
        fc.integer({ min: -600, max: 600 }),
        fc.boolean(),
        (body, key, skew, tamper) => {
          const header = signatureHeader(key, body, now);
          const received = tamper ? `${body}.` : body;
          const mine = verifySignature(key, received, header, now + skew);
          expect(mine).toBe(readme(key, received, header, now + skew));
          expect(mine).toBe(!tamper && Math.abs(skew) <= 300);
        },
      ),
    );
  });
});

describe('verifiedDelivery', () => {
  it('returns the typed delivery once it verifies, and refuses it otherwise', () => {
    const body = JSON.stringify({ type: 'revocation.reminder', notice: { noticeId: 'ntc.e2.du_x' } });
    expect(verifiedDelivery(secret, body, signatureHeader(secret, body, now), now).notice.noticeId).toBe('ntc.e2.du_x');
    expect(() => verifiedDelivery(secret, body, signatureHeader('other', body, now), now)).toThrow(UnverifiedDelivery);
    const other = JSON.stringify({ type: 'something.else', notice: {} });
    expect(() => verifiedDelivery(secret, other, signatureHeader(secret, other, now), now)).toThrow(
      'not a revocation delivery',
    );
  });
});
