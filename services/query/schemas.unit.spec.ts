// Found by fuzzing (schemathesis): a release with a repeated data category passed request validation and
// was refused only by the ledger writer, as a 422 pointing at /data/dataCategories/<i> — a field of the
// internal event, not of the request. The request schema now refuses it, naming the request's field.
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../contracts/domainError.js';
import { RecordRelease, parseOr400 } from './schemas.js';

const release = { releaseId: 'rel-1', dataUserId: 'du_uni', purpose: 'research', subjects: ['sub_AAAAAAAAAAAAAAAA'] };

describe('RecordRelease', () => {
  it('refuses a repeated data category with a 400 naming /dataCategories/<i>', () => {
    let err: unknown;
    try {
      parseOr400(RecordRelease, { ...release, dataCategories: ['ehr', 'imaging', 'ehr'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('invalid-request');
    expect((err as DomainError).problems).toEqual([{ field: '/dataCategories/2', message: 'duplicate value' }]);
  });
  it('accepts distinct data categories', () => {
    expect(parseOr400(RecordRelease, { ...release, dataCategories: ['ehr', 'imaging'] }).dataCategories).toEqual([
      'ehr',
      'imaging',
    ]);
  });
});
