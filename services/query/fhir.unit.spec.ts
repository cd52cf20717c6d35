// Given events / when exported / then FHIR R4 Consent resources.
import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../contracts/consent/fold.js';
import {
  SUBJECT,
  cancelled,
  effective,
  given,
  ledger,
  optOut,
  optOutRevoked,
  scope,
  withdrawn,
} from '../../contracts/consent/fixtures.js';
import { fhirBundle, fhirConsents } from './fhir.js';

const state = (...events: Parameters<typeof ledger>) => foldEvents(ledger(...events));
const narrow = scope({
  purposes: ['research', 'ai-training'],
  dataCategories: ['ehr'],
  dataUserCategories: ['nhs', 'academic'],
  jurisdictions: ['uk'],
});

describe('FHIR R4 Consent export', () => {
  it('an effective consent is an active research Consent with a permit provision over its scope', () => {
    const [c] = fhirConsents(state(given('c1', 0, { scope: narrow }), effective('c1', 14))) as any[];
    expect(c).toMatchObject({
      resourceType: 'Consent',
      status: 'active',
      identifier: [{ value: 'c1' }],
      scope: { coding: [{ code: 'research' }] },
      policyRule: { coding: [{ code: 'OPTIN' }] },
      patient: { identifier: { value: SUBJECT } },
    });
    expect(c.id).toMatch(/^[A-Za-z0-9.-]{1,64}$/);
    expect(c.provision.type).toBe('permit');
    expect(c.provision.period.start).toBe('2026-01-15T00:00:00Z');
    expect(c.provision.purpose).toEqual(
      expect.arrayContaining([
        { system: 'urn:consent-ledger:purpose', code: 'research' },
        { system: 'http://purl.obolibrary.org/obo/duo.owl', code: 'DUO:0000042' },
      ]),
    );
    expect(c.provision.class).toEqual([{ system: 'urn:consent-ledger:data-category', code: 'ehr' }]);
    expect(c.provision.actor.map((a: any) => a.reference.identifier.value)).toEqual(['nhs', 'academic']);
    expect(c.provision.extension).toEqual([{ url: expect.any(String), valueCode: 'uk' }]);
  });

  it('maps statuses: pending → proposed, cancelled → rejected', () => {
    const pending = fhirConsents(state(given('c1', 0)))[0] as any;
    expect(pending.status).toBe('proposed');
    const gone = fhirConsents(state(given('c1', 0), cancelled('c1', 1)))[0] as any;
    expect(gone.status).toBe('rejected');
    expect(gone.provision.period.end).toBe('2026-01-02T00:00:00Z');
  });

  it('a withdrawal is a nested deny provision of the consent it overlaps, with its own scope and start', () => {
    const s = state(
      given('c1', 0),
      effective('c1', 14),
      withdrawn('w1', 20, { scope: scope({ purposes: ['ai-training'] }) }),
    );
    const all = fhirConsents(s) as any[];
    expect(all).toHaveLength(1);
    expect(all[0].provision.provision).toEqual([
      {
        type: 'deny',
        period: { start: '2026-01-21T00:00:00Z' },
        purpose: expect.arrayContaining([{ system: 'urn:consent-ledger:purpose', code: 'ai-training' }]),
      },
    ]);
  });

  it('a withdrawal that overlaps no consent stands alone as a deny', () => {
    const all = fhirConsents(state(withdrawn('w1', 2))) as any[];
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      status: 'active',
      provision: { type: 'deny' },
      policyRule: { coding: [{ code: 'OPTOUT' }] },
    });
  });

  it('opt-outs are patient-privacy deny Consents; a national one has no restriction; a revoked one is inactive', () => {
    const all = fhirConsents(
      state(optOut('o1', 1, { national: true }), optOut('o2', 2, { scope: narrow }), optOutRevoked('o2', 3)),
    ) as any[];
    expect(all.map((c) => [c.status, c.scope.coding[0].code, c.provision.type])).toEqual([
      ['active', 'patient-privacy', 'deny'],
      ['inactive', 'patient-privacy', 'deny'],
    ]);
    expect(Object.keys(all[0].provision).sort()).toEqual(['period', 'type']);
    expect(all[1].provision.period.end).toBe('2026-01-04T00:00:00Z');
  });

  it('wraps them in a collection Bundle with unique fullUrls', () => {
    const b = fhirBundle(state(given('c1', 0), optOut('o1', 1)), '2026-02-01T00:00:00Z') as any;
    expect(b).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(new Set(b.entry.map((e: any) => e.fullUrl)).size).toBe(2);
    expect(b.entry[0].fullUrl).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  });
});
