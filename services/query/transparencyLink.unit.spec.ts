import { describe, expect, it } from 'vitest';
import { TransparencyLinks } from './transparencyLink.js';

const SUBJECT = 'sub_AAAAAAAAAAAAAAAAAAAAAA';
const links = new TransparencyLinks(Buffer.alloc(32, 1));
const now = new Date('2026-12-02T12:00:00Z');

describe('the person’s signed link', () => {
  const token = links.issue(SUBJECT, new Date('2026-12-02T13:00:00Z'));

  it('opens for its subject until it expires, then is refused as expired', () => {
    expect(links.check(token, now)).toEqual({ ok: true, subject: SUBJECT, expiresAt: '2026-12-02T13:00:00.000Z' });
    expect(links.check(token, new Date('2026-12-02T13:00:00Z'))).toEqual({ ok: false, why: 'expired' });
  });

  it('any changed part — subject, expiry, signature — or another key is refused as tampered', () => {
    const [s, exp, sig] = token.split('.') as [string, string, string];
    for (const t of [
      `${s.slice(0, -1)}B.${exp}.${sig}`,
      `${s}.${Number(exp) + 3600}.${sig}`,
      `${s}.${exp}.${sig.slice(0, -1)}${sig.at(-1) === 'A' ? 'B' : 'A'}`,
      `${s}.${exp}`,
      '',
    ])
      expect(links.check(t, now)).toEqual({ ok: false, why: 'tampered' });
    expect(new TransparencyLinks(Buffer.alloc(32, 2)).check(token, now)).toEqual({ ok: false, why: 'tampered' });
  });

  it('names only the pseudonym and the expiry', () => {
    expect(token.split('.').slice(0, 2)).toEqual([SUBJECT, String(Date.parse('2026-12-02T13:00:00Z') / 1000)]);
  });
});
