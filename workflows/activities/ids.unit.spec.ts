// Deterministic ids of workflow-written events and notices.
import { describe, expect, it } from 'vitest';
import { EVENT_ID_PATTERN } from '../../contracts/consent/primitives.js';
import { noticeIdFor, systemEventId } from './ids.js';

describe('workflow ids', () => {
  it('derive from the event they follow, the same every time', () => {
    expect(systemEventId('c1', 'effective')).toBe('wf.c1.effective');
    expect(systemEventId('w1', 'sent', 'du_uni')).toBe('wf.w1.sent.du_uni');
    expect(noticeIdFor('w1', 'du_uni')).toBe('ntc.w1.du_uni');
  });
  it('stay valid event ids (≤ 128) for the longest inputs, still distinct and stable', () => {
    const long = 'x'.repeat(128);
    const a = systemEventId(long, 'sent', 'du_' + 'a'.repeat(64));
    const b = systemEventId(long, 'sent', 'du_' + 'b'.repeat(64));
    expect(a).toMatch(EVENT_ID_PATTERN);
    expect(a).not.toBe(b);
    expect(systemEventId(long, 'sent', 'du_' + 'a'.repeat(64))).toBe(a);
    expect(noticeIdFor(long, 'du_uni')).toMatch(EVENT_ID_PATTERN);
  });
});
