// The person's short-lived signed link: `<pseudonym>.<expiry, unix seconds>.<HMAC-SHA256>` keyed by
// TRANSPARENCY_LINK_KEY. It names only the pseudonym (no NHS number, no name) and is refused once
// expired or if any character was changed. Nothing is stored: the signature is the whole proof.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SUBJECT_ID_PATTERN } from '../../contracts/consent/primitives.js';

export type LinkCheck =
  | { readonly ok: true; readonly subject: string; readonly expiresAt: string }
  | { readonly ok: false; readonly why: 'tampered' | 'expired' };

export class TransparencyLinks {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('the transparency link key must be at least 32 bytes');
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload, 'utf8').digest('base64url');
  }

  issue(subject: string, expiresAt: Date): string {
    const payload = `${subject}.${Math.floor(expiresAt.getTime() / 1000)}`;
    return `${payload}.${this.sign(payload)}`;
  }

  check(token: string, now: Date): LinkCheck {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, why: 'tampered' };
    const [subject, exp, sig] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(`${subject}.${exp}`));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, why: 'tampered' };
    if (!SUBJECT_ID_PATTERN.test(subject) || !/^\d{1,12}$/.test(exp)) return { ok: false, why: 'tampered' };
    const expiresAt = new Date(Number(exp) * 1000);
    if (now.getTime() >= expiresAt.getTime()) return { ok: false, why: 'expired' };
    return { ok: true, subject, expiresAt: expiresAt.toISOString() };
  }
}
