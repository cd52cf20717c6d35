// The acknowledgement body: each kind of attestation, the fields a bad one names, and repeats.
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../contracts/domainError.js';
import { attestationOf, checkSameAttestation } from './acknowledgement.js';

const now = new Date('2026-03-01T10:00:00Z');
const by = { performedAt: '2026-03-01T09:00:00Z', performedBy: { role: 'data-custodian' } };
const fields = (body: unknown) => {
  try {
    attestationOf(body, now);
    return [];
  } catch (err) {
    return (err as DomainError).problems.map((p) => p.field);
  }
};

describe('attestationOf', () => {
  it.each([
    { action: 'deleted', ...by },
    { action: 'derived-data-deleted', ...by, evidenceSha256: 'f'.repeat(64) },
    { action: 'retained', retained: 'trained-model', legalBasis: 'research-impossible-without', ...by },
  ])('takes $action', (attestation) => {
    expect(attestationOf({ attestation }, now)).toEqual(attestation);
  });

  it('no body: acknowledged without attestation', () => {
    expect(attestationOf(undefined, now)).toBeUndefined();
  });

  it.each([
    [{}, ['/attestation']],
    [{ attestation: { action: 'retained', retained: 'trained-model', ...by } }, ['/attestation/legalBasis']],
    [{ attestation: { action: 'deleted', performedAt: by.performedAt } }, ['/attestation/performedBy']],
    [
      { attestation: { action: 'deleted', ...by, performedBy: { role: 'Dr Jones' } } },
      ['/attestation/performedBy/role'],
    ],
    [{ attestation: { action: 'deleted', ...by, evidenceSha256: 'abc' } }, ['/attestation/evidenceSha256']],
    [{ attestation: { action: 'deleted', ...by, note: 'free text' } }, ['/attestation/note']],
    [{ attestation: { action: 'deleted', ...by, performedAt: '2026-03-01T10:06:00Z' } }, ['/attestation/performedAt']],
  ])('refuses %j naming %j', (body, expected) => {
    expect(fields(body)).toEqual(expected);
  });

  it('a data user’s clock up to 5 minutes ahead is tolerated', () => {
    expect(fields({ attestation: { action: 'deleted', ...by, performedAt: '2026-03-01T10:04:00Z' } })).toEqual([]);
  });
});

describe('checkSameAttestation (the first acknowledgement stands)', () => {
  const a = {
    action: 'deleted' as const,
    performedAt: by.performedAt,
    performedBy: { role: 'data-custodian' as const },
  };
  it('a bare retry or the same attestation again is fine', () => {
    expect(() => checkSameAttestation(a, undefined)).not.toThrow();
    expect(() => checkSameAttestation(a, { ...a })).not.toThrow();
  });
  it('another attestation, or one after an acknowledgement without, is a conflict', () => {
    expect(() => checkSameAttestation(a, { ...a, action: 'derived-data-deleted' })).toThrow(DomainError);
    expect(() => checkSameAttestation(undefined, a)).toThrow(/already acknowledged/);
  });
});
