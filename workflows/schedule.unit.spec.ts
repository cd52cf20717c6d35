// The pure scheduling helpers the workflows use (times derive from the input and the policy only).
import { describe, expect, it } from 'vitest';
import { reconfirmationReminders } from './coolingOff.js';
import { reconsentPromptAt } from './expiry.js';
import { utcMillis } from '../contracts/consent/primitives.js';

describe('reconfirmation reminders', () => {
  it('half way through the window and a day before it closes', () => {
    expect(reconfirmationReminders('2026-01-29T00:00:00Z', '2026-02-28T00:00:00Z')).toEqual([
      '2026-02-13T00:00:00.000Z',
      '2026-02-27T00:00:00Z',
    ]);
  });
  it('only half way for a window of two days or less', () => {
    expect(reconfirmationReminders('2026-01-01T00:00:00Z', '2026-01-01T00:00:10Z')).toEqual([
      '2026-01-01T00:00:05.000Z',
    ]);
  });
});

describe('re-consent prompt', () => {
  it('30 days before validUntil, or half way for a consent valid for less', () => {
    expect(reconsentPromptAt('2027-01-01T00:00:00Z', utcMillis('2026-01-01T00:00:00Z'))).toBe('2026-12-02T00:00:00Z');
    expect(reconsentPromptAt('2026-01-01T00:00:10Z', utcMillis('2026-01-01T00:00:00Z'))).toBe('2026-01-01T00:00:05Z');
  });
});
