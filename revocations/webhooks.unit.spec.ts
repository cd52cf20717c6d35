// Webhook signatures: what a data user's receiver verifies.
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from './webhooks.js';

const secret = Buffer.alloc(32, 9);
const body = JSON.stringify({ type: 'revocation.notice', notice: { noticeId: 'ntc.w1.du_uni' } });

describe('webhook signatures', () => {
  it('a signature over timestamp and body verifies with the same secret', () => {
    expect(verifySignature(secret, body, signatureHeader(secret, body, 1_800_000_000), 1_800_000_010)).toBe(true);
  });
  it.each([
    ['another secret', (h: string) => verifySignature(Buffer.alloc(32, 8), body, h, 1_800_000_000)],
    ['a changed body', (h: string) => verifySignature(secret, body.replace('w1', 'w2'), h, 1_800_000_000)],
    ['a stale timestamp (replay)', (h: string) => verifySignature(secret, body, h, 1_800_000_000 + 301)],
    ['a malformed header', (_h: string) => verifySignature(secret, body, 'v1=abc', 1_800_000_000)],
    ['no header', (_h: string) => verifySignature(secret, body, undefined, 1_800_000_000)],
  ])('is rejected with %s', (_name, check) => {
    expect(check(signatureHeader(secret, body, 1_800_000_000))).toBe(false);
  });
});
